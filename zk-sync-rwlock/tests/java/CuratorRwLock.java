import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.retry.RetryNTimes;

/**
 * Curator's InterProcessReadWriteLock, driven by the zk-sync interop tests.
 *   increment CONNECT PATH COUNTER_FILE ROUNDS  each round: read-pause-write the counter under the
 *                                               write lock, then read it twice, a pause apart, under
 *                                               the read lock (exit 1 with "CHANGED" if it moved)
 *   hold-read|hold-write CONNECT PATH           lock, print "LOCKED <children>", release on a stdin line
 *   try-read|try-write CONNECT PATH             print "ACQUIRED" or "BUSY <children>" (200 ms attempt)
 */
public class CuratorRwLock {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String path = args[2];
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[1], 10000, 5000, new RetryNTimes(20, 100));
        client.start();
        client.blockUntilConnected();
        InterProcessReadWriteLock lock = new InterProcessReadWriteLock(client, path);
        switch (mode) {
            case "increment": {
                Path counter = Paths.get(args[3]);
                int rounds = Integer.parseInt(args[4]);
                for (int i = 0; i < rounds; i++) {
                    lock.writeLock().acquire();
                    try {
                        int value = read(counter);
                        Thread.sleep(2);
                        Files.write(counter, Integer.toString(value + 1).getBytes(StandardCharsets.UTF_8));
                    } finally {
                        lock.writeLock().release();
                    }
                    lock.readLock().acquire();
                    try {
                        int before = read(counter);
                        Thread.sleep(2);
                        int after = read(counter);
                        if (before != after) {
                            System.out.println("CHANGED " + before + " -> " + after);
                            System.exit(1);
                        }
                    } finally {
                        lock.readLock().release();
                    }
                }
                System.out.println("DONE");
                break;
            }
            case "hold-read":
            case "hold-write": {
                InterProcessMutex side = mode.equals("hold-read") ? lock.readLock() : lock.writeLock();
                side.acquire();
                System.out.println("LOCKED " + String.join(",", client.getChildren().forPath(path)));
                System.out.flush();
                new BufferedReader(new InputStreamReader(System.in)).readLine();
                side.release();
                System.out.println("RELEASED");
                break;
            }
            case "try-read":
            case "try-write": {
                InterProcessMutex side = mode.equals("try-read") ? lock.readLock() : lock.writeLock();
                if (side.acquire(200, TimeUnit.MILLISECONDS)) {
                    System.out.println("ACQUIRED");
                    side.release();
                } else {
                    System.out.println("BUSY " + String.join(",", client.getChildren().forPath(path)));
                }
                break;
            }
            default:
                throw new IllegalArgumentException(mode);
        }
        System.out.flush();
        client.close();
    }

    private static int read(Path counter) throws Exception {
        return Integer.parseInt(new String(Files.readAllBytes(counter), StandardCharsets.UTF_8).trim());
    }
}
