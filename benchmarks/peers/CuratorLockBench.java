import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessLock;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.RetryNTimes;

/**
 * Curator's InterProcessMutex, InterProcessReadWriteLock and InterProcessSemaphoreV2 under
 * zk-sync's benchmark workloads.
 *   uncontended CONNECT PATH CYCLES [mutex|read|write|semaphore]
 *       prints "READY"; then, for each stdin line, runs CYCLES acquire+release cycles and prints
 *       "cycle_ms <mean ms per cycle>"; ends at EOF (a semaphore of 4 permits)
 *   contended CONNECT PATH THREADS SECONDS [PERMITS]
 *       prints "handoffs <count>": acquisitions of a mutex, or of a semaphore of PERMITS
 */
public class CuratorLockBench {
    interface Cycle { void run() throws Exception; }

    static final int UNCONTENDED_PERMITS = 4;

    static Cycle semaphoreCycle(InterProcessSemaphoreV2 semaphore) {
        return () -> { Lease lease = semaphore.acquire(); semaphore.returnLease(lease); };
    }

    public static void main(String[] args) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[1], 10000, 5000, new RetryNTimes(20, 100));
        client.start();
        client.blockUntilConnected();
        String path = args[2];
        if (args[0].equals("uncontended")) {
            int cycles = Integer.parseInt(args[3]);
            String kind = args.length > 4 ? args[4] : "mutex";
            Cycle cycle;
            if (kind.equals("semaphore")) {
                cycle = semaphoreCycle(new InterProcessSemaphoreV2(client, path, UNCONTENDED_PERMITS));
            } else {
                InterProcessLock mutex = kind.equals("mutex") ? new InterProcessMutex(client, path)
                    : kind.equals("read") ? new InterProcessReadWriteLock(client, path).readLock()
                    : new InterProcessReadWriteLock(client, path).writeLock();
                cycle = () -> { mutex.acquire(); mutex.release(); };
            }
            for (int i = 0; i < Math.max(cycles / 10 + 1, 500); i++) cycle.run();  // warm-up
            System.out.println("READY");
            System.out.flush();
            BufferedReader rounds = new BufferedReader(new InputStreamReader(System.in));
            while (rounds.readLine() != null) {
                long start = System.nanoTime();
                for (int i = 0; i < cycles; i++) cycle.run();
                System.out.println("cycle_ms " + (System.nanoTime() - start) / 1e6 / cycles);
                System.out.flush();
            }
        } else {
            int threads = Integer.parseInt(args[3]);
            long deadline = System.nanoTime() + (long) (Double.parseDouble(args[4]) * 1e9);
            AtomicLong handoffs = new AtomicLong();
            Thread[] workers = new Thread[threads];
            // One semaphore per process, shared by its threads, as a service would hold it.
            InterProcessSemaphoreV2 semaphore = args.length > 5
                ? new InterProcessSemaphoreV2(client, path, Integer.parseInt(args[5])) : null;
            for (int t = 0; t < threads; t++) {
                InterProcessLock mutex = new InterProcessMutex(client, path);
                Cycle cycle = semaphore != null ? semaphoreCycle(semaphore)
                    : () -> { mutex.acquire(); mutex.release(); };
                workers[t] = new Thread(() -> {
                    try {
                        while (System.nanoTime() < deadline) { cycle.run(); handoffs.incrementAndGet(); }
                    } catch (Exception e) { throw new RuntimeException(e); }
                });
                workers[t].start();
            }
            for (Thread w : workers) w.join();
            System.out.println("handoffs " + handoffs.get());
        }
        System.out.flush();
        client.close();
    }
}
