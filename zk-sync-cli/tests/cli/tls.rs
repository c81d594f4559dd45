//! Every primitive over TLS, and `zk-sync --tls-ca` against a server's secure client port.

use crate::common::{run, unique_path, zk_sync};
use std::sync::OnceLock;
use std::time::Duration;
use zk_sync_barrier::DoubleBarrier;
use zk_sync_core::{Session, Tls};
use zk_sync_election::LeaderElection;
use zk_sync_mutex::DistMutex;
use zk_sync_rwlock::DistRwLock;
use zk_sync_semaphore::DistSemaphore;
use zk_sync_testkit::ZkServer;

fn server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| ZkServer::start_tls(false).expect("a TLS ZooKeeper"))
}

async fn tls_session() -> Session {
    let server = server();
    Session::builder(&server.secure_connect_string().unwrap())
        .connection_timeout(Duration::from_secs(5))
        .tls(Tls::new(server.tls().unwrap().ca_pem()))
        .connect()
        .await
        .expect("a TLS session")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_primitive_acquires_and_releases_over_tls() {
    let session = tls_session().await;
    let mutex = DistMutex::new(session.clone(), &unique_path("tls/mutex")).unwrap();
    mutex.lock().await.unwrap().unlock().await.unwrap();

    let rwlock = DistRwLock::new(session.clone(), &unique_path("tls/rwlock")).unwrap();
    rwlock.read().await.unwrap().unlock().await.unwrap();
    rwlock.write().await.unwrap().unlock().await.unwrap();

    let election = LeaderElection::new(session.clone(), &unique_path("tls/election"), "a").unwrap();
    election.campaign().await.unwrap().resign().await.unwrap();

    let barrier = DoubleBarrier::new(session.clone(), &unique_path("tls/barrier"), 1).unwrap();
    barrier.enter().await.unwrap();
    barrier.leave().await.unwrap();

    let semaphore = DistSemaphore::new(session, &unique_path("tls/semaphore"), 2).unwrap();
    semaphore
        .acquire_many(2)
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_locks_over_tls_with_tls_ca() {
    let server = server();
    let secure = server.secure_connect_string().unwrap();
    let ca = server.tls().unwrap().ca_pem();
    let path = unique_path("tls/cli");
    let locked = run(zk_sync(&secure)
        .args([
            "--tls-ca",
            ca.to_str().unwrap(),
            "lock",
            &path,
            "--",
            "sh",
            "-c",
        ])
        .arg("echo $ZK_SYNC_FENCING_TOKEN"))
    .await;
    assert_eq!(locked.code, 0, "{locked:?}");
    assert!(locked.stdout.trim().parse::<i64>().is_ok(), "{locked:?}");

    let plain =
        run(zk_sync(&secure).args(["--connect-timeout", "2s", "lock", &path, "--", "true"])).await;
    assert_ne!(plain.code, 0, "plain text on the secure port: {plain:?}");

    let missing = run(zk_sync(&secure).args([
        "--tls-ca",
        "/nonexistent/ca.pem",
        "lock",
        &path,
        "--",
        "true",
    ]))
    .await;
    assert_eq!(missing.code, 64, "a bad file is a usage error: {missing:?}");
    crate::common::assert_one_clear_line(&missing, "/nonexistent/ca.pem");
}

fn sasl_server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| ZkServer::start_sasl(&[("alice", "secret")]).expect("a SASL ZooKeeper"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_come_from_a_file_or_the_environment_never_an_argument() {
    let connect = sasl_server().connect_string();
    let dir = crate::common::scratch();
    let password = dir.path().join("password");
    std::fs::write(&password, "secret\n").unwrap();
    let path = unique_path("sasl/cli");
    let sasl = [
        "--sasl-user",
        "alice",
        "--sasl-password-file",
        password.to_str().unwrap(),
    ];
    let locked =
        run(zk_sync(&connect)
            .args(sasl)
            .args(["--locked-down", "lock", &path, "--", "true"]))
        .await;
    assert_eq!(locked.code, 0, "{locked:?}");

    let wrong = run(zk_sync(&connect)
        .args(["--sasl-user", "alice", "lock", &path, "--", "true"])
        .env("ZK_SYNC_SASL_PASSWORD", "guess"))
    .await;
    assert_eq!(
        wrong.code, 77,
        "a wrong password is permission denied: {wrong:?}"
    );

    let digest = dir.path().join("auth");
    std::fs::write(&digest, "digest:bob:pw\n").unwrap();
    let auth_file = ["--auth-file", digest.to_str().unwrap()];
    // While alice holds her locked-down lock, anyone can inspect it, bob cannot take it.
    let mut holder = crate::common::Running::spawn(zk_sync(&connect).args(sasl).args([
        "--locked-down",
        "lock",
        &path,
    ]));
    holder.stderr_line_containing("holding the lock").await;
    let shown = run(zk_sync(&connect).args(["inspect", &path])).await;
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(shown.stdout.contains("holds"), "{shown:?}");
    let refused = run(zk_sync(&connect)
        .args(auth_file)
        .args(["lock", &path, "--", "true"]))
    .await;
    assert_eq!(
        refused.code, 77,
        "another identity in a locked-down directory: {refused:?}"
    );
    holder.signal(libc::SIGTERM);
    let (code, rest) = holder.finish().await;
    assert_eq!(code, 0, "the holder kept its lock: {rest}");
    // Alice's run locked down the parents it created, too: bob works elsewhere.
    let own = format!("/zk-sync-bob-{}", std::process::id());
    let by_file = run(zk_sync(&connect)
        .args(auth_file)
        .args(["lock", &own, "--", "true"]))
    .await;
    assert_eq!(by_file.code, 0, "{by_file:?}");
    let as_argument =
        run(zk_sync(&connect).args(["--auth", "digest:bob:pw", "lock", &path, "--", "true"])).await;
    assert_eq!(
        as_argument.code, 64,
        "no credentials on the command line: {as_argument:?}"
    );
}
