//! Spawns every server JVM from one long-lived thread, so that the JVMs die with the test process.
//!
//! The servers are killed when their handles drop, but [`ZkServer::shared`] keeps its server in a
//! static that is never dropped. To avoid stray JVMs after the test binary exits, each child asks
//! the kernel for `SIGKILL` when its parent dies (`PR_SET_PDEATHSIG`). Linux delivers that signal
//! when the *thread* that forked the child exits, not only the process; test harnesses run each
//! test on a short-lived thread, so forking from the calling thread would kill a shared server as
//! soon as the first test that started it finished. Hence all forks happen on one dedicated
//! thread that lives as long as the process.
//!
//! [`ZkServer::shared`]: crate::ZkServer::shared

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc::{self, Sender};
use std::sync::OnceLock;

struct Request {
    command: Command,
    reply: Sender<io::Result<Child>>,
}

/// Spawns `command` from the spawner thread, with `PR_SET_PDEATHSIG = SIGKILL` set in the child.
pub(crate) fn spawn(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Sender<Request>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("zk-testkit-spawner".into())
            .spawn(move || {
                // Never returns while the process runs: `SPAWNER` keeps a sender alive forever.
                for Request { mut command, reply } in rx {
                    let _ = reply.send(spawn_here(&mut command));
                }
            })
            .expect("cannot start the zk-testkit spawner thread");
        tx
    });
    let (reply, answer) = mpsc::channel();
    spawner
        .send(Request { command, reply })
        .map_err(|_| io::Error::other("zk-testkit spawner thread is gone"))?;
    answer
        .recv()
        .map_err(|_| io::Error::other("zk-testkit spawner thread is gone"))?
}

fn spawn_here(command: &mut Command) -> io::Result<Child> {
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs between fork and exec and only calls the async-signal-safe
    // functions prctl, getppid and _exit.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) == -1
            {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl, in which case no signal will come.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    command.spawn()
}
