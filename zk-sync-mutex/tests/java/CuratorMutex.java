import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;

/**
 * Curator's InterProcessMutex, driven by the zk-sync interop tests.
 *   increment CONNECT PATH COUNTER_FILE ROUNDS  read-pause-write the counter under the lock
 *   hold CONNECT PATH                           lock, print "LOCKED <participants>", release on a stdin line
 *   try CONNECT PATH                            print "ACQUIRED" or "BUSY" (200 ms attempt)
 */
public class CuratorMutex {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[1], 10000, 5000, new RetryNTimes(20, 100));
        client.start();
        client.blockUntilConnected();
        InterProcessMutex mutex = new InterProcessMutex(client, args[2]);
        switch (mode) {
            case "increment": {
                Path counter = Paths.get(args[3]);
                int rounds = Integer.parseInt(args[4]);
                for (int i = 0; i < rounds; i++) {
                    mutex.acquire();
                    try {
                        int value = Integer.parseInt(new String(Files.readAllBytes(counter), StandardCharsets.UTF_8).trim());
                        Thread.sleep(2);
                        Files.write(counter, Integer.toString(value + 1).getBytes(StandardCharsets.UTF_8));
                    } finally {
                        mutex.release();
                    }
                }
                System.out.println("DONE");
                break;
            }
            case "hold": {
                mutex.acquire();
                System.out.println("LOCKED " + String.join(",", mutex.getParticipantNodes()));
                System.out.flush();
                new BufferedReader(new InputStreamReader(System.in)).readLine();
                mutex.release();
                System.out.println("RELEASED");
                break;
            }
            case "try": {
                if (mutex.acquire(200, TimeUnit.MILLISECONDS)) {
                    System.out.println("ACQUIRED");
                    mutex.release();
                } else {
                    System.out.println("BUSY " + String.join(",", mutex.getParticipantNodes()));
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
