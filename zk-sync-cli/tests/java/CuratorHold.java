import java.io.BufferedReader;
import java.io.InputStreamReader;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;

/**
 * Holds Curator's InterProcessMutex for the zk-sync CLI tests.
 *   CONNECT PATH   lock; print "LOCKED <our node> <session id in hex>"; release on a stdin line
 */
public class CuratorHold {
    public static void main(String[] args) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[0], 10000, 5000, new RetryNTimes(20, 100));
        client.start();
        client.blockUntilConnected();
        InterProcessMutex mutex = new InterProcessMutex(client, args[1]);
        mutex.acquire();
        // Right after acquiring, the first participant is our own node.
        String node = mutex.getParticipantNodes().iterator().next();
        long session = client.getZookeeperClient().getZooKeeper().getSessionId();
        System.out.println("LOCKED " + node + " 0x" + Long.toHexString(session));
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        mutex.release();
        System.out.println("RELEASED");
        System.out.flush();
        client.close();
    }
}
