import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.concurrent.CountDownLatch;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.Revoker;
import org.apache.curator.retry.RetryNTimes;

/**
 * Curator's side of cooperative revocation, driven by the zk-sync revocation tests.
 *   revocable CONNECT PATH   lock with makeRevocable, print "LOCKED <node>", release once asked ("RELEASED")
 *   revoke CONNECT NODE      Revoker.attemptRevoke on NODE, print "ASKED"
 */
public class CuratorRevocation {
    public static void main(String[] args) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[1], 10000, 5000, new RetryNTimes(20, 100));
        client.start();
        client.blockUntilConnected();
        switch (args[0]) {
            case "revocable": {
                InterProcessMutex mutex = new InterProcessMutex(client, args[2]);
                CountDownLatch asked = new CountDownLatch(1);
                mutex.makeRevocable(forLock -> asked.countDown());
                mutex.acquire();
                String node = null;
                for (String participant : mutex.getParticipantNodes()) {
                    node = participant;
                    break;
                }
                System.out.println("LOCKED " + node);
                System.out.flush();
                asked.await();
                // The listener runs on another thread; a mutex is released by its owner.
                mutex.release();
                System.out.println("RELEASED");
                break;
            }
            case "revoke": {
                Revoker.attemptRevoke(client, args[2]);
                System.out.println("ASKED");
                break;
            }
            default:
                throw new IllegalArgumentException(args[0]);
        }
        System.out.flush();
        client.close();
    }
}
