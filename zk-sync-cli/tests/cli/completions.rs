//! `zk-sync completions SHELL`: scripts the shells accept.

use crate::common::{run, zk_sync_bare};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bash_loads_the_completion_and_it_knows_the_commands() {
    let script = run(zk_sync_bare().args(["completions", "bash"])).await;
    assert_eq!(script.code, 0, "{script:?}");
    for command in [
        "lock",
        "elect",
        "semaphore",
        "barrier",
        "inspect",
        "completions",
    ] {
        assert!(script.stdout.contains(command), "{command} is completed");
    }
    let dir = crate::common::scratch();
    let file = dir.path().join("zk-sync.bash");
    std::fs::write(&file, &script.stdout).unwrap();
    // Loaded by bash itself: it must register a completion for zk-sync.
    let loaded = run(tokio::process::Command::new("bash")
        .arg("-c")
        .arg(format!(". {}; complete -p zk-sync", file.display())))
    .await;
    assert_eq!(loaded.code, 0, "{loaded:?}");
    assert!(loaded.stdout.contains("zk-sync"), "{loaded:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shell_clap_knows_is_offered_and_others_refused() {
    for (shell, marker) in [
        ("zsh", "#compdef zk-sync"),
        ("fish", "complete -c zk-sync"),
        ("elvish", "zk-sync"),
        ("powershell", "zk-sync"),
    ] {
        let script = run(zk_sync_bare().args(["completions", shell])).await;
        assert_eq!(script.code, 0, "{shell}: {script:?}");
        assert!(script.stdout.contains(marker), "{shell}");
    }
    let unknown = run(zk_sync_bare().args(["completions", "tcsh"])).await;
    assert_eq!(unknown.code, 64, "{unknown:?}");
}
