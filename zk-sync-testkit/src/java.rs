//! Finding Java and the ZooKeeper / Curator jars, compiling and running small Java programs.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use tempfile::TempDir;

use crate::error::TestkitError;

/// Where Debian and Ubuntu install Java libraries.
const SHARE_JAVA: &str = "/usr/share/java";

/// JVM flags that make a short-lived JVM start fast and stay small on a 2-core machine.
pub(crate) const LIGHT_JVM_FLAGS: &[&str] = &[
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xshare:auto",
    "-XX:-UsePerfData",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    "-Djava.net.preferIPv4Stack=true",
];

/// Path of the `java` binary: `$JAVA_HOME/bin/java`, else `java` on `$PATH`.
pub fn java_path() -> Result<PathBuf, TestkitError> {
    find_jdk_tool("java")
}

/// Path of the `javac` binary: `$JAVA_HOME/bin/javac`, else `javac` on `$PATH`.
pub fn javac_path() -> Result<PathBuf, TestkitError> {
    find_jdk_tool("javac")
}

fn find_jdk_tool(tool: &'static str) -> Result<PathBuf, TestkitError> {
    let mut looked_in = Vec::new();
    if let Some(home) = std::env::var_os("JAVA_HOME").filter(|h| !h.is_empty()) {
        let candidate = Path::new(&home).join("bin").join(tool);
        if is_executable(&candidate) {
            return Ok(candidate);
        }
        looked_in.push(candidate.display().to_string());
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(tool);
            if is_executable(&candidate) {
                return Ok(candidate);
            }
        }
    }
    looked_in.push(format!("`{tool}` on $PATH"));
    Err(TestkitError::JavaNotFound {
        tool,
        looked_in: looked_in.join(", "),
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn share_jar(name: &str) -> Option<String> {
    let path = Path::new(SHARE_JAVA).join(name);
    path.is_file().then(|| path.display().to_string())
}

/// Classpath for the ZooKeeper server: `$ZOOKEEPER_CLASSPATH` verbatim if set, else Debian's
/// `/usr/share/java/zookeeper.jar` (whose manifest pulls in its dependencies) plus an SLF4J
/// binding that writes to stderr (`slf4j-simple`, else `slf4j-nop`).
pub(crate) fn zookeeper_server_classpath() -> Result<String, TestkitError> {
    if let Some(cp) = std::env::var("ZOOKEEPER_CLASSPATH")
        .ok()
        .filter(|cp| !cp.trim().is_empty())
    {
        return Ok(cp);
    }
    let zookeeper = share_jar("zookeeper.jar").ok_or_else(|| TestkitError::ZooKeeperNotFound {
        looked_in: format!("$ZOOKEEPER_CLASSPATH (unset), {SHARE_JAVA}/zookeeper.jar"),
    })?;
    let mut parts = vec![zookeeper];
    parts.extend(share_jar("zookeeper-jute.jar"));
    // The Netty connection factory of a TLS server needs Netty's codec, which the manifest
    // leaves out; the rest is listed in case a packaging leaves it out too.
    let netty = [
        "codec",
        "handler",
        "transport",
        "buffer",
        "common",
        "resolver",
    ];
    parts.extend(
        netty
            .iter()
            .filter_map(|part| share_jar(&format!("netty-{part}.jar"))),
    );
    parts.extend(share_jar("slf4j-simple.jar").or_else(|| share_jar("slf4j-nop.jar")));
    Ok(parts.join(":"))
}

/// Classpath for running Apache Curator 5 programs (client, framework and recipes) against the
/// test servers.
///
/// It holds the Curator jars, ZooKeeper and its jute records, Guava, Jackson (used by
/// curator-framework) and SLF4J with the no-op binding so the program's output stays clean.
/// ZooKeeper comes from `$ZOOKEEPER_CLASSPATH` when that is set, else from `/usr/share/java`.
///
/// Fails with [`TestkitError::CuratorNotFound`] (saying how to install them) when the Curator jars
/// are missing.
pub fn curator_classpath() -> Result<String, TestkitError> {
    let required = [
        "curator-client.jar",
        "curator-framework.jar",
        "curator-recipes.jar",
        "guava.jar",
    ];
    let missing: Vec<String> = required
        .iter()
        .filter(|jar| share_jar(jar).is_none())
        .map(|jar| format!("{SHARE_JAVA}/{jar}"))
        .collect();
    if !missing.is_empty() {
        return Err(TestkitError::CuratorNotFound {
            missing: missing.join(", "),
        });
    }
    let mut parts: Vec<String> = required.iter().filter_map(|jar| share_jar(jar)).collect();
    match std::env::var("ZOOKEEPER_CLASSPATH")
        .ok()
        .filter(|cp| !cp.trim().is_empty())
    {
        Some(cp) => parts.push(cp),
        None => {
            let zookeeper =
                share_jar("zookeeper.jar").ok_or_else(|| TestkitError::ZooKeeperNotFound {
                    looked_in: format!("$ZOOKEEPER_CLASSPATH (unset), {SHARE_JAVA}/zookeeper.jar"),
                })?;
            parts.push(zookeeper);
            parts.extend(share_jar("zookeeper-jute.jar"));
            parts.extend(share_jar("slf4j-api.jar"));
            parts.extend(share_jar("slf4j-nop.jar").or_else(|| share_jar("slf4j-simple.jar")));
        }
    }
    for optional in [
        "failureaccess.jar",
        "jackson-databind.jar",
        "jackson-core.jar",
        "jackson-annotations.jar",
    ] {
        parts.extend(share_jar(optional));
    }
    Ok(parts.join(":"))
}

/// Compiles one Java source file and returns the directory holding its `.class` files.
///
/// `source` must declare the public class `class_name` (without package, or the returned
/// directory is the root of its package tree). Results are cached per process by the hash of
/// class name, source and classpath, so many tests can call this with the same program and javac
/// runs once. The directory lives as long as the process (stale ones from dead test processes are
/// swept on the next run).
///
/// Run the result with [`java_command`], adding the returned directory to the classpath.
pub fn compile_java(
    class_name: &str,
    source: &str,
    classpath: &str,
) -> Result<PathBuf, TestkitError> {
    static ROOT: OnceLock<TempDir> = OnceLock::new();
    static CACHE: Mutex<Option<HashMap<u64, PathBuf>>> = Mutex::new(None);

    let mut hasher = DefaultHasher::new();
    (class_name, source, classpath).hash(&mut hasher);
    let key = hasher.finish();

    // Held across javac: concurrent callers of the same program wait and reuse the result.
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(dir) = cache.get(&key) {
        return Ok(dir.clone());
    }

    let javac = javac_path()?;
    let root = match ROOT.get() {
        Some(root) => root,
        None => {
            let dir = crate::scratch::new_dir("javac")?;
            ROOT.get_or_init(|| dir)
        }
    };
    let work = root.path().join(format!("{class_name}-{key:016x}"));
    let src_dir = work.join("src");
    let out_dir = work.join("classes");
    std::fs::create_dir_all(&src_dir)?;
    std::fs::create_dir_all(&out_dir)?;
    let src_file = src_dir.join(format!("{class_name}.java"));
    std::fs::write(&src_file, source)?;

    let mut cmd = Command::new(javac);
    cmd.arg("-J-XX:TieredStopAtLevel=1")
        .arg("-J-XX:+UseSerialGC")
        .arg("-nowarn")
        .arg("-d")
        .arg(&out_dir);
    if !classpath.is_empty() {
        cmd.arg("-cp").arg(classpath);
    }
    let output = cmd.arg(&src_file).output()?;
    if !output.status.success() {
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        return Err(TestkitError::Compile {
            class_name: class_name.to_owned(),
            output: text,
        });
    }
    cache.insert(key, out_dir.clone());
    Ok(out_dir)
}

/// A `java` command running `main_class` with `classpath` and light JVM flags (small heap,
/// serial GC, C1 only), ready for arguments and `.output()`.
///
/// Unlike the servers, this process is not tied to the test process: wait for it (e.g. with
/// `output()`), or kill it yourself.
pub fn java_command(classpath: &str, main_class: &str) -> Result<Command, TestkitError> {
    let mut cmd = Command::new(java_path()?);
    cmd.args(LIGHT_JVM_FLAGS)
        .arg("-cp")
        .arg(classpath)
        .arg(main_class);
    Ok(cmd)
}

/// A `java` command running the Curator program `class_name` from `source`: compiled once per
/// process against [`curator_classpath`], ready for arguments.
///
/// # Examples
///
/// ```no_run
/// let source = "public class Hello { public static void main(String[] a) { System.out.println(\"hi\"); } }";
/// let output = zk_sync_testkit::curator_program("Hello", source)?.output()?;
/// assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "hi");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`curator_classpath`], [`compile_java`] and [`java_command`].
pub fn curator_program(class_name: &str, source: &str) -> Result<Command, TestkitError> {
    let classpath = curator_classpath()?;
    let classes = compile_java(class_name, source, &classpath)?;
    java_command(&format!("{}:{classpath}", classes.display()), class_name)
}
