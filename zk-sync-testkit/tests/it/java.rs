use std::time::Duration;

use zk_sync_testkit::{compile_java, curator_classpath, java_command, ZkServer};

use crate::{connect, unique_path};

const PROGRAM: &str = r#"
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryOneTime;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

public class CuratorProbe {
    public static void main(String[] args) throws Exception {
        try (CuratorFramework client = CuratorFrameworkFactory.newClient(args[0], 10000, 5000, new RetryOneTime(100))) {
            client.start();
            if (!client.blockUntilConnected(20, TimeUnit.SECONDS)) throw new IllegalStateException("not connected");
            client.create().creatingParentsIfNeeded().forPath(args[1], "from-curator".getBytes(StandardCharsets.UTF_8));
            InterProcessMutex lock = new InterProcessMutex(client, args[1] + "-lock");
            lock.acquire();
            lock.release();
            System.out.println("OK " + new String(client.getData().forPath(args[1]), StandardCharsets.UTF_8));
        }
    }
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curator_program_talks_to_the_shared_server() {
    let zk = ZkServer::shared();
    let classpath = curator_classpath().unwrap();
    let classes = compile_java("CuratorProbe", PROGRAM, &classpath).unwrap();
    assert!(classes.join("CuratorProbe.class").is_file());
    assert_eq!(
        compile_java("CuratorProbe", PROGRAM, &classpath).unwrap(),
        classes,
        "second compile is cached"
    );

    let path = unique_path("curator");
    let full_classpath = format!("{}:{classpath}", classes.display());
    let mut cmd = java_command(&full_classpath, "CuratorProbe").unwrap();
    let output = tokio::task::spawn_blocking(move || {
        cmd.arg(zk.connect_string())
            .arg(&path)
            .output()
            .map(|o| (o, path))
    })
    .await
    .unwrap();
    let (output, path) = output.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("OK from-curator"),
        "curator program failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );

    let client = connect(&zk.connect_string(), Duration::from_secs(10)).await;
    let (data, _) = client.get_data(&path).await.unwrap();
    assert_eq!(data, b"from-curator");
}

#[test]
fn compile_errors_carry_javac_output() {
    let err = compile_java("Broken", "public class Broken { int x = ; }", "").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Broken"), "{text}");
    assert!(text.contains("error"), "{text}");
}
