//! `zk-sync completions SHELL`: scripts that complete every subcommand and its options.
//!
//! The subcommands and options are read from `zk-sync --help`, clap's own listing, so a new
//! subcommand or option is checked without touching these tests.

use crate::common::{run, subcommands, zk_sync_bare};
use std::path::Path;

/// The long options `zk-sync SUBCOMMAND --help` lists in its options (not those its prose
/// mentions).
async fn long_options(subcommand: &str) -> Vec<String> {
    let help = run(zk_sync_bare().args([subcommand, "--help"])).await;
    assert_eq!(help.code, 0, "{help:?}");
    let options: Vec<String> = help
        .stdout
        .lines()
        .skip_while(|line| *line != "Options:")
        .filter(|line| {
            let indent = line.len() - line.trim_start().len();
            indent <= 6 && line.trim_start().starts_with('-')
        })
        .flat_map(|line| line.split([' ', ',']))
        .filter(|word| word.starts_with("--"))
        .map(str::to_owned)
        .collect();
    assert!(
        options.contains(&"--help".to_owned()),
        "{subcommand}: {options:?}"
    );
    options
}

/// What bash offers, with the script at `script` loaded, for `zk-sync WORDS...` (the last word
/// being the one completed).
async fn bash_offers(script: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let current = words.last().copied().unwrap_or_default();
    let previous = if words.len() > 1 {
        words[words.len() - 2]
    } else {
        "zk-sync"
    };
    let program = format!(
        ". {script}; COMP_WORDS=(zk-sync {words}); COMP_CWORD={index}; _zk-sync zk-sync '{current}' '{previous}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script = script.display(),
        words = quoted.join(" "),
        index = words.len(),
    );
    let offered = run(tokio::process::Command::new("bash").arg("-c").arg(program)).await;
    assert_eq!(offered.code, 0, "{words:?}: {offered:?}");
    offered.stdout.lines().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bash_completes_every_subcommand_and_its_options() {
    let script = run(zk_sync_bare().args(["completions", "bash"])).await;
    assert_eq!(script.code, 0, "{script:?}");
    let dir = crate::common::scratch();
    let file = dir.path().join("zk-sync.bash");
    std::fs::write(&file, &script.stdout).unwrap();
    // Loaded by bash itself: it must register a completion for zk-sync.
    let loaded = run(tokio::process::Command::new("bash")
        .arg("-c")
        .arg(format!(". {}; complete -p zk-sync", file.display())))
    .await;
    assert_eq!(loaded.code, 0, "{loaded:?}");
    assert!(loaded.stdout.contains("_zk-sync"), "{loaded:?}");

    let names = subcommands().await;
    let offered = bash_offers(&file, &[""]).await;
    for name in &names {
        assert!(
            offered.contains(name),
            "`zk-sync <TAB>` offers {name}: {offered:?}"
        );
        let options = bash_offers(&file, &[name, "--"]).await;
        for option in long_options(name).await {
            assert!(
                options.contains(&option),
                "`zk-sync {name} --<TAB>` offers {option}: {options:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shell_clap_knows_names_every_subcommand_and_others_are_refused() {
    let names = subcommands().await;
    // What each script holds for a subcommand: its name offered, and its own branch.
    type Marks = fn(&str) -> [String; 2];
    let markers: [(&str, Marks); 4] = [
        ("zsh", |name| {
            [format!("'{name}:"), format!("({name})\n_arguments")]
        }),
        ("fish", |name| {
            [
                format!("-f -a \"{name}\""),
                format!("__fish_zk_sync_using_subcommand {name}\""),
            ]
        }),
        ("elvish", |name| {
            [format!("cand {name} '"), format!("&'zk-sync;{name}'= {{")]
        }),
        ("powershell", |name| {
            [
                format!("[CompletionResult]::new('{name}', '{name}'"),
                format!("'zk-sync;{name}' {{"),
            ]
        }),
    ];
    for (shell, marks) in markers {
        let script = run(zk_sync_bare().args(["completions", shell])).await;
        assert_eq!(script.code, 0, "{shell}: {script:?}");
        for name in &names {
            for mark in marks(name) {
                assert!(
                    script.stdout.contains(&mark),
                    "{shell}: {mark:?} for {name}"
                );
            }
        }
    }
    let unknown = run(zk_sync_bare().args(["completions", "tcsh"])).await;
    assert_eq!(unknown.code, 64, "{unknown:?}");
}
