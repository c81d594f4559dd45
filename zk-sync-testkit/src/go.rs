//! Building small go-zookeeper programs, offline, with Debian's Go packages.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use tempfile::TempDir;

use crate::error::TestkitError;

/// Where Debian installs Go library sources (`golang-*-dev` packages).
const DEBIAN_GOPATH: &str = "/usr/share/gocode";

/// A command running the Go program `name` built from `source` (one `package main` file that
/// imports only the standard library and `github.com/samuel/go-zookeeper/zk`), ready for
/// arguments.
///
/// It is built once per process (cached by name and source) with `GO111MODULE=off` and
/// Debian's `GOPATH`, so nothing is downloaded.
///
/// # Examples
///
/// ```no_run
/// let source = "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"hi\") }\n";
/// let output = zk_sync_testkit::go_zookeeper_program("hello", source)?.output()?;
/// assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "hi");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`TestkitError::GoNotFound`] (saying how to install it) when `go` or go-zookeeper is
/// missing; [`TestkitError::Compile`] when the build fails.
pub fn go_zookeeper_program(name: &str, source: &str) -> Result<Command, TestkitError> {
    static ROOT: OnceLock<TempDir> = OnceLock::new();
    static CACHE: Mutex<Option<HashMap<u64, PathBuf>>> = Mutex::new(None);

    let package = Path::new(DEBIAN_GOPATH).join("src/github.com/samuel/go-zookeeper/zk");
    if !package.is_dir() {
        return Err(TestkitError::GoNotFound {
            missing: package.display().to_string(),
        });
    }
    let mut hasher = DefaultHasher::new();
    (name, source).hash(&mut hasher);
    let key = hasher.finish();

    // Held across the build: concurrent callers of the same program wait and reuse it.
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(binary) = cache.get(&key) {
        return Ok(Command::new(binary));
    }
    let root = match ROOT.get() {
        Some(root) => root,
        None => {
            let dir = crate::scratch::new_dir("go")?;
            ROOT.get_or_init(|| dir)
        }
    };
    let work = root.path().join(format!("{name}-{key:016x}"));
    std::fs::create_dir_all(&work)?;
    let source_file = work.join("main.go");
    std::fs::write(&source_file, source)?;
    let binary = work.join(name);
    let built = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(&source_file)
        .env("GO111MODULE", "off")
        .env("GOPATH", DEBIAN_GOPATH)
        .env("GOCACHE", work.join("cache"))
        .output()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => TestkitError::GoNotFound {
                missing: "`go` on $PATH".into(),
            },
            _ => TestkitError::Io(error),
        })?;
    if !built.status.success() {
        return Err(TestkitError::Compile {
            class_name: name.to_owned(),
            output: String::from_utf8_lossy(&built.stderr).into_owned(),
        });
    }
    cache.insert(key, binary.clone());
    Ok(Command::new(binary))
}
