//! Sets `zk_sync_repository` when the crate is built inside its repository, where the
//! workspace's READMEs are, so that their examples are compiled as doc tests there (and the
//! packaged crate, which has only its own README, does not look for the others).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(zk_sync_repository)");
    println!("cargo::rerun-if-changed=build.rs");
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let workspace_readme = std::path::Path::new(&manifest).join("../README.md");
    println!("cargo::rerun-if-changed={}", workspace_readme.display());
    if workspace_readme.exists() {
        println!("cargo::rustc-cfg=zk_sync_repository");
    }
}
