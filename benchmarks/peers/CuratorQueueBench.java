import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;

/**
 * One process of zk-sync's long-queue benchmark on Curator's InterProcessMutex:
 *   CONNECT PATH COUNT   starts COUNT threads and prints "READY"; on the line "GO" every thread
 *                        acquires PATH, records the wall clock (microseconds since the epoch) and
 *                        releases at once; when all are done prints "acquired <us> <us> ...";
 *                        ends at end of input
 */
public class CuratorQueueBench {
    public static void main(String[] args) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[0], 10000, 5000, new RetryNTimes(20, 100));
        client.start();
        client.blockUntilConnected();
        int count = Integer.parseInt(args[2]);
        ConcurrentLinkedQueue<Long> acquired = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        Thread[] waiters = new Thread[count];
        for (int i = 0; i < count; i++) {
            // A mutex per thread, as in CuratorLockBench: threads sharing one would all be woken
            // (notifyAll) by any of their watches, and all list the queue again, at each hand-off.
            InterProcessMutex mutex = new InterProcessMutex(client, args[1]);
            Runnable waiter = () -> {
                try {
                    go.await();
                    mutex.acquire();
                    acquired.add(micros(Instant.now()));
                    mutex.release();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            };
            // Started before READY, so the queueing time is Curator's, not thread creation's;
            // small stacks, as there are thousands.
            waiters[i] = new Thread(null, waiter, "waiter-" + i, 256 * 1024);
            waiters[i].start();
        }
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in));
        System.out.println("READY");
        System.out.flush();
        if (!"GO".equals(commands.readLine())) {
            System.exit(1);
        }
        go.countDown();
        for (Thread waiter : waiters) waiter.join();
        StringBuilder line = new StringBuilder("acquired");
        for (long at : acquired) line.append(' ').append(at);
        System.out.println(line);
        System.out.flush();
        while (commands.readLine() != null) {}
        client.close();
    }

    /** Instant.now() has microsecond resolution on Linux; System.currentTimeMillis() is too coarse. */
    private static long micros(Instant at) {
        return at.getEpochSecond() * 1_000_000L + at.getNano() / 1_000;
    }
}
