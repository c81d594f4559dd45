//! The exit codes: `--help` prints the table the README carries, row for row.

use crate::common::{run, zk_sync_bare};

/// The README, whose "Command line" section has the table.
const README: &str = include_str!("../../../README.md");

/// `(code, meaning)` rows of the exit-code table in `--help` output.
fn help_rows(help: &str) -> Vec<(String, String)> {
    let table = help
        .split("Exit codes:")
        .nth(1)
        .expect("an exit-code table");
    table
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let (code, meaning) = line.split_once(char::is_whitespace)?;
            code.starts_with(|c: char| c.is_ascii_digit())
                .then(|| (code.to_owned(), meaning.trim().to_owned()))
        })
        .collect()
}

/// `(code, meaning)` rows of the README's exit-code table.
fn readme_rows() -> Vec<(String, String)> {
    let section = README
        .split("### Exit codes")
        .nth(1)
        .expect("an \"### Exit codes\" heading in the README");
    section
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let [code, meaning] = cells[..] else {
                panic!("two cells: {line}")
            };
            code.starts_with(|c: char| c.is_ascii_digit())
                .then(|| (code.to_owned(), meaning.to_owned()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_and_readme_list_the_same_exit_codes() {
    let readme = readme_rows();
    assert!(readme.len() > 10, "{readme:?}");
    for args in [&["--help"][..], &["lock", "--help"], &["inspect", "--help"]] {
        let help = run(zk_sync_bare().args(args)).await;
        assert_eq!(help.code, 0, "{help:?}");
        assert_eq!(
            help_rows(&help.stdout),
            readme,
            "zk-sync {args:?} against the README"
        );
    }
}
