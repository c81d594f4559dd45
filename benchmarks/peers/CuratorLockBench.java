import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessLock;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.retry.RetryNTimes;

/**
 * Curator's InterProcessMutex and InterProcessReadWriteLock under zk-sync's benchmark workloads.
 *   uncontended CONNECT PATH CYCLES [mutex|read|write]   prints "READY"; then, for each stdin line,
 *                                                        runs CYCLES acquire+release cycles and prints
 *                                                        "cycle_ms <mean ms per cycle>"; ends at EOF
 *   contended CONNECT PATH THREADS SECONDS               prints "handoffs <count>" (mutex)
 */
public class CuratorLockBench {
    public static void main(String[] args) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[1], 10000, 5000, new RetryNTimes(20, 100));
        client.start();
        client.blockUntilConnected();
        String path = args[2];
        if (args[0].equals("uncontended")) {
            int cycles = Integer.parseInt(args[3]);
            String kind = args.length > 4 ? args[4] : "mutex";
            InterProcessLock mutex = kind.equals("mutex") ? new InterProcessMutex(client, path)
                : kind.equals("read") ? new InterProcessReadWriteLock(client, path).readLock()
                : new InterProcessReadWriteLock(client, path).writeLock();
            for (int i = 0; i < Math.max(cycles / 10 + 1, 500); i++) { mutex.acquire(); mutex.release(); }  // warm-up
            System.out.println("READY");
            System.out.flush();
            BufferedReader rounds = new BufferedReader(new InputStreamReader(System.in));
            while (rounds.readLine() != null) {
                long start = System.nanoTime();
                for (int i = 0; i < cycles; i++) { mutex.acquire(); mutex.release(); }
                System.out.println("cycle_ms " + (System.nanoTime() - start) / 1e6 / cycles);
                System.out.flush();
            }
        } else {
            int threads = Integer.parseInt(args[3]);
            long deadline = System.nanoTime() + (long) (Double.parseDouble(args[4]) * 1e9);
            AtomicLong handoffs = new AtomicLong();
            Thread[] workers = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                InterProcessLock mutex = new InterProcessMutex(client, path);
                workers[t] = new Thread(() -> {
                    try {
                        while (System.nanoTime() < deadline) { mutex.acquire(); handoffs.incrementAndGet(); mutex.release(); }
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
