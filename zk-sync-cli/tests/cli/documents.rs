//! What the README and the CHANGELOG say of the command: every subcommand, as `zk-sync --help`
//! lists them.

use crate::common::subcommands;

const README: &str = include_str!("../../../README.md");
const CHANGELOG: &str = include_str!("../../../CHANGELOG.md");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crate_table_and_the_changelog_name_every_subcommand() {
    let row = README
        .lines()
        .find(|line| line.starts_with("| `zk-sync-cli` |"))
        .expect("a zk-sync-cli row in the README's crate table");
    // The changelog's entry: its bullet and the lines indented under it.
    let entry: String = CHANGELOG
        .lines()
        .skip_while(|line| !line.starts_with("- `zk-sync-cli`"))
        .enumerate()
        .take_while(|(i, line)| *i == 0 || line.starts_with("  "))
        .map(|(_, line)| format!("{line}\n"))
        .collect();
    assert!(!entry.is_empty(), "a zk-sync-cli entry in the CHANGELOG");
    for name in subcommands().await {
        let named = format!("`{name}`");
        assert!(row.contains(&named), "README row names {name}: {row}");
        assert!(entry.contains(&named), "CHANGELOG names {name}: {entry}");
    }
}
