//! The error type of every fallible testkit call.

use std::time::Duration;

/// How to get the Java runtime and the ZooKeeper server on Debian or Ubuntu.
/// How to get the tools the TLS tests make certificates with.
const INSTALL_TLS_TOOLS: &str =
    "keytool comes with the JDK (`apt-get install -y openjdk-17-jdk-headless`), openssl with `apt-get install -y openssl` (`scripts/ensure-deps` installs both)";

const INSTALL_ZOOKEEPER: &str = "install them with `apt-get install -y zookeeper` \
     (Debian/Ubuntu, installs Java too), or point $JAVA_HOME at a Java installation and \
     $ZOOKEEPER_CLASSPATH at the ZooKeeper server jars";

/// How to get the Curator jars on Debian or Ubuntu.
const INSTALL_CURATOR: &str =
    "install them with `apt-get install -y libcurator-recipes-java libcurator-framework-java`";

/// How to get Go and go-zookeeper on Debian or Ubuntu.
const INSTALL_GO: &str =
    "install them with `apt-get install -y golang-go golang-github-samuel-go-zookeeper-dev`";

/// Everything that can go wrong while starting or driving test servers.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// No usable `java` (or `javac`) binary was found.
    #[error(
        "`{tool}` not found (looked in: {looked_in}); {INSTALL_ZOOKEEPER}{}",
        if *tool == "javac" { "; `javac` itself comes with `apt-get install -y default-jdk-headless`" } else { "" }
    )]
    JavaNotFound {
        /// The binary that was looked for: `java` or `javac`.
        tool: &'static str,
        /// The places that were searched.
        looked_in: String,
    },

    /// The ZooKeeper server jars were not found.
    #[error("ZooKeeper jars not found (looked in: {looked_in}); {INSTALL_ZOOKEEPER}")]
    ZooKeeperNotFound {
        /// The places that were searched.
        looked_in: String,
    },

    /// The Apache Curator jars (used to check wire compatibility with Java clients) were not found.
    #[error("Apache Curator jars not found (missing: {missing}); {INSTALL_CURATOR}")]
    CuratorNotFound {
        /// The jars that are missing.
        missing: String,
    },

    /// Go or Debian's go-zookeeper package (used to check wire compatibility with Go clients)
    /// was not found.
    #[error("go-zookeeper not found (missing: {missing}); {INSTALL_GO}")]
    GoNotFound {
        /// What is missing.
        missing: String,
    },

    /// A server process could not be started or died while starting.
    #[error("{what} failed to start: {reason}\n--- log tail ---\n{log_tail}")]
    Start {
        /// Which server (or program) was being started.
        what: String,
        /// Why it failed.
        reason: String,
        /// The last lines of its log file.
        log_tail: String,
    },

    /// `javac` or `go build` rejected a source file.
    #[error("failed to compile {class_name}:\n{output}")]
    Compile {
        /// The class that was compiled.
        class_name: String,
        /// What the compiler printed.
        output: String,
    },

    /// A bounded wait ran out.
    #[error("timed out after {after:?} waiting for {what}\n--- log tail ---\n{log_tail}")]
    Timeout {
        /// What was being waited for.
        what: String,
        /// How long the wait lasted.
        after: Duration,
        /// The last lines of the relevant server log(s), if any.
        log_tail: String,
    },

    /// A command-line tool the testkit runs (`keytool`, `openssl`) failed or is missing.
    #[error("`{tool}` failed: {output}; {INSTALL_TLS_TOOLS}")]
    Tool {
        /// The tool.
        tool: &'static str,
        /// What it printed, or why it could not run.
        output: String,
    },

    /// An I/O error from the operating system.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_messages_say_how_to_install() {
        let java = TestkitError::JavaNotFound {
            tool: "java",
            looked_in: "$PATH".into(),
        }
        .to_string();
        assert!(java.contains("apt-get install -y zookeeper"), "{java}");
        assert!(java.contains("$JAVA_HOME"), "{java}");
        let javac = TestkitError::JavaNotFound {
            tool: "javac",
            looked_in: "$PATH".into(),
        }
        .to_string();
        assert!(javac.contains("default-jdk-headless"), "{javac}");
        let zk = TestkitError::ZooKeeperNotFound {
            looked_in: "/usr/share/java".into(),
        }
        .to_string();
        assert!(zk.contains("apt-get install -y zookeeper"), "{zk}");
        assert!(zk.contains("$ZOOKEEPER_CLASSPATH"), "{zk}");
        let curator = TestkitError::CuratorNotFound {
            missing: "curator-client.jar".into(),
        }
        .to_string();
        assert!(
            curator
                .contains("apt-get install -y libcurator-recipes-java libcurator-framework-java"),
            "{curator}"
        );
    }
}
