//! The fenced store: the shared resource every hold touches.
//!
//! A 42-byte file, `<token> <value>\n` with both numbers zero-padded to 20 digits, that all
//! client processes open. Every access holds a POSIX record lock on the whole file (the kind
//! Java's `FileChannel.lock()` takes, so Curator processes exclude us and we them) and, since
//! record locks do not exclude threads of one process, an in-process mutex too.
//!
//! A write carries a fencing token and is accepted only if the token is at least the last one
//! the store accepted, the check a real resource would make. A hold reads the value, sleeps,
//! then writes the value plus one: two holders that overlap lose an increment, which the
//! checker sees because each write reports the value it read and the value it found.

use crate::clock::mono_ns;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const RECORD_LEN: usize = 42;

/// What the store did with a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteResult {
    /// The token was at least the last accepted one: the value was stored.
    Accepted,
    /// A greater token had been accepted before: the value was not stored.
    Rejected,
}

impl WriteResult {
    /// `accepted` or `rejected`, as logged.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteResult::Accepted => "accepted",
            WriteResult::Rejected => "rejected",
        }
    }
}

/// A handle on the store file.
#[derive(Debug)]
pub struct FencedStore {
    path: PathBuf,
    local: Mutex<()>,
}

impl FencedStore {
    /// Creates the store at `path` with token 0 and value 0.
    pub fn create(path: &Path) -> io::Result<FencedStore> {
        std::fs::write(path, format_record(0, 0))?;
        Ok(FencedStore::open(path))
    }

    /// A handle on an existing store.
    pub fn open(path: &Path) -> FencedStore {
        FencedStore {
            path: path.to_owned(),
            local: Mutex::new(()),
        }
    }

    /// The stored value.
    pub fn read(&self) -> io::Result<i64> {
        self.locked(|file| Ok(read_record(file)?.1))
    }

    /// Like [`read`](Self::read), but first asks `still_held` under the store's lock; also
    /// returns the moment of the read (`CLOCK_MONOTONIC` ns, taken under the lock, so a pause
    /// before the caller logs it does not move it). `None` when `still_held` said no.
    pub fn read_if(&self, still_held: impl FnOnce() -> bool) -> io::Result<Option<(i64, u64)>> {
        self.locked(|file| {
            if !still_held() {
                return Ok(None);
            }
            let at = mono_ns();
            Ok(Some((read_record(file)?.1, at)))
        })
    }

    /// The last accepted token and the stored value.
    pub fn snapshot(&self) -> io::Result<(i64, i64)> {
        self.locked(read_record)
    }

    /// Stores `value` if `token` is at least the last accepted token. Returns what it did and
    /// the value it found.
    pub fn write(&self, token: i64, value: i64) -> io::Result<(WriteResult, i64)> {
        let (result, found, _) = self
            .write_if(token, value, || true)?
            .expect("unconditional");
        Ok((result, found))
    }

    /// Like [`write`](Self::write), but first asks `still_held` under the store's lock, so
    /// that nothing but the write itself happens between the holder's last check and the
    /// resource; also returns the moment of the write, taken under the lock. `None` when
    /// `still_held` said no (nothing was written).
    pub fn write_if(
        &self,
        token: i64,
        value: i64,
        still_held: impl FnOnce() -> bool,
    ) -> io::Result<Option<(WriteResult, i64, u64)>> {
        self.locked(|file| {
            if !still_held() {
                return Ok(None);
            }
            let at = mono_ns();
            let (last, found) = read_record(file)?;
            if token < last {
                return Ok(Some((WriteResult::Rejected, found, at)));
            }
            file.write_all_at(format_record(token, value).as_bytes(), 0)?;
            Ok(Some((WriteResult::Accepted, found, at)))
        })
    }

    fn locked<T>(&self, op: impl FnOnce(&File) -> io::Result<T>) -> io::Result<T> {
        let _local = self.local.lock().unwrap_or_else(|e| e.into_inner());
        let file = OpenOptions::new().read(true).write(true).open(&self.path)?;
        record_lock(&file, libc::F_WRLCK)?;
        let result = op(&file);
        record_lock(&file, libc::F_UNLCK)?;
        result
    }
}

/// Takes (`F_WRLCK`, waiting) or drops (`F_UNLCK`) a record lock on the whole file.
fn record_lock(file: &File, kind: libc::c_int) -> io::Result<()> {
    // SAFETY: a zeroed flock is a valid "whole file from offset 0" request once typed.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = kind as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    loop {
        // SAFETY: fcntl on an open descriptor with a valid flock.
        let done = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLKW, &lock) };
        if done == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

fn format_record(token: i64, value: i64) -> String {
    format!("{token:020} {value:020}\n")
}

fn read_record(file: &File) -> io::Result<(i64, i64)> {
    let mut record = [0u8; RECORD_LEN];
    file.read_exact_at(&mut record, 0)?;
    let text = std::str::from_utf8(&record).map_err(io::Error::other)?;
    let mut numbers = text.split_ascii_whitespace().map(str::parse::<i64>);
    match (numbers.next(), numbers.next()) {
        (Some(Ok(token)), Some(Ok(value))) => Ok((token, value)),
        _ => Err(io::Error::other(format!("corrupt store record {text:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lower_token_is_rejected_and_an_equal_or_higher_one_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let store = FencedStore::create(&dir.path().join("store")).unwrap();
        assert_eq!(store.write(10, 1).unwrap(), (WriteResult::Accepted, 0));
        assert_eq!(store.write(10, 2).unwrap(), (WriteResult::Accepted, 1));
        assert_eq!(store.write(9, 3).unwrap(), (WriteResult::Rejected, 2));
        assert_eq!(store.snapshot().unwrap(), (10, 2));
        assert_eq!(
            std::fs::read(dir.path().join("store")).unwrap().len(),
            RECORD_LEN
        );
    }
}
