//! Apache Curator 5.4's `LeaderLatch` and `LeaderElection` in one election: at most one of them
//! believes it leads at any moment, and both sides name the same leader.

mod common;

use common::{next_leader, participant, unique_path};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use zk_sync_election::LeaderElection;
use zk_sync_testkit::{curator_program, ChildLines, ZkServer};

const SOURCE: &str = include_str!("java/CuratorLatch.java");
/// How long the Curator helper may take to print its next line.
const CURATOR_ANSWERS: Duration = Duration::from_secs(30);

fn curator(args: &[&str]) -> Command {
    let mut command = curator_program("CuratorLatch", SOURCE).expect("Curator 5.4 and a JDK");
    command.args(args);
    command
}

fn run_curator(args: &[&str]) -> String {
    let output = curator(args).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "Curator helper failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The line of `output` that starts with `key `, without the key.
fn field<'a>(output: &'a str, key: &str) -> &'a str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {key} in {output:?}"))
}

fn read_trimmed(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap().trim().to_owned()
}

/// The same rounds as the Java helper's `rounds` mode, for one of our participants.
async fn our_rounds(election: LeaderElection, rounds: usize, holder: PathBuf, log: PathBuf) {
    let id = election.participant_id().to_owned();
    for _ in 0..rounds {
        let leadership = election.campaign().await.unwrap();
        let before = read_trimmed(&holder);
        assert_eq!(before, "none", "{id} leads while {before} holds");
        std::fs::write(&holder, &id).unwrap();
        let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        writeln!(file, "{id}").unwrap();
        assert_eq!(election.leader().await.unwrap(), Some(id.clone()));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(read_trimmed(&holder), id, "{id} lost the holder file");
        std::fs::write(&holder, "none").unwrap();
        leadership.resign().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curator_and_zk_sync_participants_never_lead_together() {
    const ROUNDS: usize = 12;
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("curator-rounds");
    let scratch = std::env::temp_dir().join(format!(
        "zk-sync-election-interop-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&scratch).unwrap();
    let (holder, log) = (scratch.join("holder"), scratch.join("log"));
    std::fs::write(&holder, "none").unwrap();
    std::fs::write(&log, "").unwrap();

    let java: Vec<_> = (0..2)
        .map(|i| {
            let args: Vec<String> = vec![
                "rounds".into(),
                connect.clone(),
                path.clone(),
                format!("java-{i}"),
                ROUNDS.to_string(),
                holder.display().to_string(),
                log.display().to_string(),
            ];
            std::thread::spawn(move || {
                run_curator(&args.iter().map(String::as_str).collect::<Vec<_>>())
            })
        })
        .collect();
    // Join once Curator takes part, so that both kinds of participant alternate.
    let watcher = participant(&connect, &path, "watcher").await;
    common::eventually(Duration::from_secs(30), "a Curator participant", || async {
        let participants = watcher.participants().await.unwrap();
        participants.iter().any(|p| p.id().starts_with("java-"))
    })
    .await;
    let mut ours = Vec::new();
    for i in 0..2 {
        let election = participant(&connect, &path, &format!("rust-{i}")).await;
        ours.push(tokio::spawn(our_rounds(
            election,
            ROUNDS,
            holder.clone(),
            log.clone(),
        )));
    }
    for task in ours {
        task.await.unwrap();
    }
    for thread in java {
        assert!(thread.join().unwrap().contains("DONE"));
    }

    let leaders: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let _ = std::fs::remove_dir_all(&scratch);
    assert_eq!(leaders.len(), 4 * ROUNDS, "every round led once");
    let handovers_between_kinds = leaders
        .windows(2)
        .filter(|w| w[0].starts_with("java-") != w[1].starts_with("java-"))
        .count();
    assert!(
        handovers_between_kinds >= 4,
        "Curator and zk-sync alternated in one election: {leaders:?}"
    );
    common::eventually(Duration::from_secs(5), "no participant left", || async {
        watcher.leader().await.unwrap().is_none()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curator_and_zk_sync_name_the_same_leader() {
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("curator-leader");
    let ours = participant(&connect, &path, "rust-1").await;

    // We lead: Curator names us, and lists us as its leader.
    let leadership = ours.campaign().await.unwrap();
    let mut observed = ours.observe();
    assert_eq!(next_leader(&mut observed).await.as_deref(), Some("rust-1"));
    let answer = run_curator(&["query", &connect, &path]);
    assert_eq!(field(&answer, "LEADER"), "rust-1");
    assert_eq!(field(&answer, "PARTICIPANTS"), "rust-1*");

    // Curator joins behind us and leads once we resign.
    let mut latch = curator(&["lead", &connect, &path, "java-1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = ChildLines::of(&mut latch, "Curator");
    common::eventually(Duration::from_secs(30), "Curator joined", || async {
        ours.participants().await.unwrap().len() == 2
    })
    .await;
    let participants = ours.participants().await.unwrap();
    assert_eq!(participants[1].id(), "java-1");
    assert!(participants[0].is_leader() && !participants[1].is_leader());
    assert!(
        participants[1].path().contains("/_c_") && participants[1].path().contains("-latch-"),
        "Curator names its node as we do: {}",
        participants[1].path()
    );
    leadership.resign().await.unwrap();
    let line = lines.next(CURATOR_ANSWERS).await.unwrap();
    assert_eq!(line, format!("LEADING {}", participants[1].path()));
    let line = lines.next(CURATOR_ANSWERS).await.unwrap();
    assert_eq!(line, "LEADER java-1", "Curator names itself");
    assert_eq!(ours.leader().await.unwrap().as_deref(), Some("java-1"));
    assert_eq!(next_leader(&mut observed).await.as_deref(), Some("java-1"));

    // We queue behind Curator and lead once it closes its latch.
    let waiting = {
        let ours = ours.clone();
        tokio::spawn(async move { ours.campaign().await.unwrap() })
    };
    common::eventually(Duration::from_secs(5), "queued behind Curator", || async {
        ours.participants().await.unwrap().len() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "Curator leads");
    writeln!(latch.stdin.take().unwrap()).unwrap();
    let again = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("leads after Curator closed its latch")
        .unwrap();
    assert_eq!(lines.next(CURATOR_ANSWERS).await.unwrap(), "CLOSED");
    latch.wait().unwrap();
    assert_eq!(next_leader(&mut observed).await.as_deref(), Some("rust-1"));
    assert_eq!(
        field(&run_curator(&["query", &connect, &path]), "LEADER"),
        "rust-1"
    );
    again.resign().await.unwrap();
}
