import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;

/**
 * Curator's InterProcessMutex on a locked-down lock path, for the zk-sync tests.
 *   lock CONNECT PATH [USER:PASSWORD]   takes and releases the lock (10 s at most) with the digest
 *                                       credentials, if given; prints "LOCKED", "BUSY" or "NOAUTH"
 */
public class CuratorLockedDown {
    public static void main(String[] args) throws Exception {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
            .connectString(args[1]).sessionTimeoutMs(10000).connectionTimeoutMs(5000)
            .retryPolicy(new RetryNTimes(3, 100));
        if (args.length > 3) {
            builder = builder.authorization("digest", args[3].getBytes(StandardCharsets.UTF_8));
        }
        CuratorFramework client = builder.build();
        client.start();
        client.blockUntilConnected();
        InterProcessMutex mutex = new InterProcessMutex(client, args[2]);
        try {
            if (mutex.acquire(10, TimeUnit.SECONDS)) {
                System.out.println("LOCKED");
                mutex.release();
            } else {
                System.out.println("BUSY");
            }
        } catch (KeeperException.NoAuthException e) {
            System.out.println("NOAUTH");
        }
        System.out.flush();
        client.close();
    }
}
