import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;

/**
 * Curator's InterProcessSemaphoreV2, driven by the zk-sync interop tests.
 *   hammer CONNECT PATH MAX ROUNDS REGISTRY THREADS  lease, register under REGISTRY, count the
 *                                                    holders, unregister, return; prints
 *                                                    "DONE <most holders seen>" or "VIOLATION <n>"
 *   hold CONNECT PATH MAX                            one lease, print "LEASED", return it on a stdin line
 *   try CONNECT PATH MAX                             print "ACQUIRED" or "BUSY" (200 ms attempt)
 */
public class CuratorSemaphore {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[1], 10000, 5000, new RetryNTimes(20, 100));
        client.start();
        client.blockUntilConnected();
        int max = Integer.parseInt(args[3]);
        InterProcessSemaphoreV2 semaphore = new InterProcessSemaphoreV2(client, args[2], max);
        switch (mode) {
            case "hammer": {
                int rounds = Integer.parseInt(args[4]);
                String registry = args[5];
                int threads = Integer.parseInt(args[6]);
                AtomicInteger most = new AtomicInteger();
                AtomicInteger violations = new AtomicInteger();
                Thread[] workers = new Thread[threads];
                for (int t = 0; t < threads; t++) {
                    workers[t] = new Thread(() -> {
                        try {
                            for (int i = 0; i < rounds; i++) {
                                Lease lease = semaphore.acquire();
                                try {
                                    String me = client.create().creatingParentsIfNeeded()
                                        .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(registry + "/holder-");
                                    int holders = client.getChildren().forPath(registry).size();
                                    most.accumulateAndGet(holders, Math::max);
                                    if (holders > max) {
                                        violations.incrementAndGet();
                                    }
                                    Thread.sleep(2);
                                    client.delete().forPath(me);
                                } finally {
                                    semaphore.returnLease(lease);
                                }
                            }
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    workers[t].start();
                }
                for (Thread worker : workers) {
                    worker.join();
                }
                if (violations.get() > 0) {
                    System.out.println("VIOLATION " + violations.get());
                } else {
                    System.out.println("DONE " + most.get());
                }
                break;
            }
            case "hold": {
                Lease lease = semaphore.acquire();
                System.out.println("LEASED " + lease.getNodeName());
                System.out.flush();
                new BufferedReader(new InputStreamReader(System.in)).readLine();
                semaphore.returnLease(lease);
                System.out.println("RELEASED");
                break;
            }
            case "try": {
                Lease lease = semaphore.acquire(200, TimeUnit.MILLISECONDS);
                if (lease != null) {
                    System.out.println("ACQUIRED");
                    semaphore.returnLease(lease);
                } else {
                    System.out.println("BUSY");
                }
                break;
            }
            default:
                throw new IllegalArgumentException(mode);
        }
        System.out.flush();
        client.close();
    }
}
