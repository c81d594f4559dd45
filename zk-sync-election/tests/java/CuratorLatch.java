import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.retry.RetryNTimes;

/**
 * Curator's LeaderLatch, driven by the zk-sync interop tests.
 *   rounds CONNECT PATH ID ROUNDS HOLDER LOG  lead ROUNDS times; while leading, claim the HOLDER file
 *                                             (it must say "none"), append ID to LOG, check getLeader()
 *                                             names us, then release the file and close the latch
 *   lead CONNECT PATH ID                      print "LEADING <our path>" and "LEADER <getLeader id>" once
 *                                             leading; close the latch on a stdin line, print "CLOSED"
 *   query CONNECT PATH                        print "LEADER <id>" and "PARTICIPANTS <id>[*],..." (* = leader)
 */
public class CuratorLatch {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[1], 10000, 5000, new RetryNTimes(20, 100));
        client.start();
        client.blockUntilConnected();
        String path = args[2];
        switch (mode) {
            case "rounds": {
                String id = args[3];
                int rounds = Integer.parseInt(args[4]);
                Path holder = Paths.get(args[5]);
                Path log = Paths.get(args[6]);
                for (int i = 0; i < rounds; i++) {
                    LeaderLatch latch = new LeaderLatch(client, path, id);
                    latch.start();
                    latch.await();
                    String before = read(holder);
                    if (!before.equals("none")) {
                        fail(id + " leads while " + before + " holds");
                    }
                    write(holder, id);
                    Files.write(log, (id + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
                    String leader = latch.getLeader().getId();
                    if (!leader.equals(id)) {
                        fail(id + " leads but getLeader() says " + leader);
                    }
                    Thread.sleep(10);
                    String after = read(holder);
                    if (!after.equals(id)) {
                        fail(id + " lost the holder file to " + after);
                    }
                    write(holder, "none");
                    latch.close();
                }
                System.out.println("DONE");
                break;
            }
            case "lead": {
                LeaderLatch latch = new LeaderLatch(client, path, args[3]);
                latch.start();
                latch.await();
                System.out.println("LEADING " + latch.getOurPath());
                System.out.println("LEADER " + latch.getLeader().getId());
                System.out.flush();
                new BufferedReader(new InputStreamReader(System.in)).readLine();
                latch.close();
                System.out.println("CLOSED");
                break;
            }
            case "query": {
                LeaderLatch latch = new LeaderLatch(client, path);
                System.out.println("LEADER " + latch.getLeader().getId());
                List<String> participants = new ArrayList<>();
                for (Participant p : latch.getParticipants()) {
                    participants.add(p.getId() + (p.isLeader() ? "*" : ""));
                }
                System.out.println("PARTICIPANTS " + String.join(",", participants));
                break;
            }
            default:
                throw new IllegalArgumentException(mode);
        }
        System.out.flush();
        client.close();
    }

    private static String read(Path file) throws Exception {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
    }

    private static void write(Path file, String text) throws Exception {
        Files.write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void fail(String why) {
        System.out.println("VIOLATION " + why);
        System.out.flush();
        System.exit(1);
    }
}
