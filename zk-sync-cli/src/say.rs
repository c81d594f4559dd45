//! What zk-sync says on stderr besides errors, as loud as `-q` / `-v` let it.
//!
//! One setting for the whole process, like a log level: set once from the command line,
//! read wherever there is something to say.

use std::sync::atomic::{AtomicU8, Ordering};

/// How much to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// Errors and warnings only (`-q`).
    Quiet = 0,
    /// Progress worth knowing: waiting long, holding, stopping (the default).
    Normal = 1,
    /// Also connections and releases (`-v`).
    Verbose = 2,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Normal as u8);

/// Sets how much to say from now on.
pub(crate) fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

fn level() -> Level {
    match LEVEL.load(Ordering::Relaxed) {
        0 => Level::Quiet,
        1 => Level::Normal,
        _ => Level::Verbose,
    }
}

/// Says `line` whatever the level: something is wrong, though not (yet) an error.
pub(crate) fn warning(line: &str) {
    eprintln!("zk-sync: {line}");
}

/// Says `line` unless `-q`.
pub(crate) fn note(line: &str) {
    if level() >= Level::Normal {
        eprintln!("zk-sync: {line}");
    }
}

/// Says `line` only with `-v`.
pub(crate) fn detail(line: &str) {
    if level() >= Level::Verbose {
        eprintln!("zk-sync: {line}");
    }
}
