import java.io.BufferedReader;
import java.io.InputStreamReader;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.retry.RetryNTimes;

/**
 * Curator's DistributedDoubleBarrier for the zk-sync interop test:
 *   CONNECT PATH QTY   enter, print "ENTERED", wait for a stdin line, leave, print "LEFT"
 */
public class CuratorDoubleBarrier {
    public static void main(String[] args) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[0], 10000, 5000, new RetryNTimes(20, 100));
        client.start();
        client.blockUntilConnected();
        DistributedDoubleBarrier barrier = new DistributedDoubleBarrier(client, args[1], Integer.parseInt(args[2]));
        System.out.println("ARRIVING");
        System.out.flush();
        barrier.enter();
        System.out.println("ENTERED");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        barrier.leave();
        System.out.println("LEFT");
        System.out.flush();
        client.close();
    }
}
