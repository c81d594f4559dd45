//! The fault menu and the two lanes that inject faults at random (seeded) while clients work:
//! one lane for the servers, one for the clients, so that faults of both kinds overlap.

use crate::check::FaultWindow;
use crate::client_kind::ClientKind;
use crate::clients::{ClientProcess, ClientSettings};
use crate::clock::mono_ns;
use crate::events::EventLog;
use crate::rng::Rng;
use crate::run::Population;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zk_sync_testkit::ZkEnsemble;

/// How long a kill or pause waits for its target to be inside a hold.
const HOLDER_WAIT: Duration = Duration::from_secs(3);

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// kill -9 the ensemble leader, then restart it.
    KillLeader,
    /// kill -9 a follower, then restart it.
    KillFollower,
    /// SIGSTOP a server, then SIGCONT.
    PauseServer,
    /// Cut a client's connections for less than the session timeout.
    CutShort,
    /// Cut a client's connections for longer than the session timeout.
    CutLong,
    /// Blackhole a client's connections for less than the session timeout.
    BlackholeShort,
    /// Blackhole a client's connections for longer than the session timeout.
    BlackholeLong,
    /// Expire a zk-sync client's session on the server.
    ExpireSession,
    /// kill -9 a client process while it holds (then start a new one of the same kind).
    KillClient,
    /// SIGSTOP a zk-sync client process while it holds, for longer than the session timeout,
    /// then SIGCONT.
    PauseClient,
}

impl Fault {
    /// Faults of the server lane.
    pub const SERVER: [Fault; 3] = [Fault::KillLeader, Fault::KillFollower, Fault::PauseServer];
    /// Faults of the client lane.
    pub const CLIENT: [Fault; 7] = [
        Fault::CutShort,
        Fault::CutLong,
        Fault::BlackholeShort,
        Fault::BlackholeLong,
        Fault::ExpireSession,
        Fault::KillClient,
        Fault::PauseClient,
    ];

    /// The fault's name in logs and tables.
    pub fn label(self) -> &'static str {
        match self {
            Fault::KillLeader => "kill-leader",
            Fault::KillFollower => "kill-follower",
            Fault::PauseServer => "pause-server",
            Fault::CutShort => "cut-short",
            Fault::CutLong => "cut-long",
            Fault::BlackholeShort => "blackhole-short",
            Fault::BlackholeLong => "blackhole-long",
            Fault::ExpireSession => "expire-session",
            Fault::KillClient => "kill-client",
            Fault::PauseClient => "pause-client",
        }
    }

    /// Which clients the fault may hit. Only zk-sync clients are paused or expired on purpose:
    /// neither Curator nor go-zookeeper has a check a paused holder could make on waking, so
    /// what a pause does to them is known already (they write stale), and it is the fence's
    /// job, not theirs.
    fn targets(self, kind: ClientKind) -> bool {
        match self {
            Fault::ExpireSession | Fault::PauseClient => kind.is_zk_sync(),
            _ => true,
        }
    }
}

/// What the lanes share.
#[derive(Debug)]
pub struct Injector<'a> {
    /// The servers.
    pub ensemble: &'a ZkEnsemble,
    /// Every client started in the run (killed ones stay, marked, for their logs).
    pub clients: &'a Mutex<Vec<ClientProcess>>,
    /// Settings to start replacement clients with.
    pub settings: &'a ClientSettings,
    /// How many clients of each kind, with how many tasks.
    pub population: &'a Population,
    /// The faults injected so far.
    pub faults: &'a Mutex<Vec<FaultWindow>>,
    /// The fault log (for people; the checker reads `faults`).
    pub log: &'a EventLog,
    /// The session timeout every client asked for.
    pub session_timeout: Duration,
    /// No fault starts after this.
    pub deadline: Instant,
}

impl Injector<'_> {
    /// Runs one lane until the deadline: a random pause, a random fault of `menu`, healed,
    /// and again.
    pub fn lane(&self, seed: u64, menu: &[Fault]) {
        let mut rng = Rng::new(seed);
        loop {
            let gap = Duration::from_millis(rng.between(500, 3_000));
            if Instant::now() + gap >= self.deadline {
                return;
            }
            std::thread::sleep(gap);
            let fault = *rng.pick(menu);
            self.inject(fault, &mut rng);
        }
    }

    fn millis(&self, rng: &mut Rng, low: f64, high: f64) -> Duration {
        let timeout = self.session_timeout.as_millis() as f64;
        Duration::from_millis(rng.between((timeout * low) as u64, (timeout * high) as u64))
    }

    fn inject(&self, fault: Fault, rng: &mut Rng) {
        let start = mono_ns();
        let (target, client) = match fault {
            Fault::KillLeader | Fault::KillFollower => {
                let Some(leader) = self.ensemble.leader() else {
                    return; // electing: try something else next time
                };
                let server = match fault {
                    Fault::KillLeader => leader,
                    _ => {
                        let followers: Vec<usize> =
                            (0..self.ensemble.len()).filter(|&i| i != leader).collect();
                        *rng.pick(&followers)
                    }
                };
                self.begin(fault, &format!("server-{server}"));
                self.ensemble.kill(server);
                std::thread::sleep(self.millis(rng, 0.25, 1.5));
                if let Err(error) = self.ensemble.restart(server) {
                    eprintln!("torture: restarting server {server}: {error}");
                }
                (format!("server-{server}"), None)
            }
            Fault::PauseServer => {
                let server = rng.between(0, self.ensemble.len() as u64 - 1) as usize;
                self.begin(fault, &format!("server-{server}"));
                self.ensemble.pause(server);
                std::thread::sleep(self.millis(rng, 0.25, 1.5));
                self.ensemble.resume(server);
                (format!("server-{server}"), None)
            }
            _ => match self.client_fault(fault, rng) {
                Some(target) => (target.clone(), Some(target)),
                None => return,
            },
        };
        let end = mono_ns();
        self.log.emit(
            None,
            "fault_end",
            &[("fault", &fault.label()), ("target", &target)],
        );
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(FaultWindow {
                kind: fault.label().to_owned(),
                target: client,
                start,
                end,
            });
    }

    fn begin(&self, fault: Fault, target: &str) {
        self.log.emit(
            None,
            "fault_start",
            &[("fault", &fault.label()), ("target", &target)],
        );
    }

    /// Injects a client fault; returns the target's name, or `None` if no client fits.
    fn client_fault(&self, fault: Fault, rng: &mut Rng) -> Option<String> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let candidates: Vec<usize> = (0..clients.len())
            .filter(|&i| !clients[i].killed && fault.targets(clients[i].kind))
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let first = rng.between(0, candidates.len() as u64 - 1) as usize;
        let mut index = candidates[first];
        if matches!(fault, Fault::KillClient | Fault::PauseClient) {
            // Kill or pause a holder: look round the candidates (without drawing from the
            // seeded generator, so the schedule stays repeatable) until one is inside a hold.
            let give_up = Instant::now() + HOLDER_WAIT;
            let mut turn = first;
            while !clients[index].is_holding() && Instant::now() < give_up {
                std::thread::sleep(Duration::from_micros(200));
                turn += 1;
                index = candidates[turn % candidates.len()];
            }
        }
        let id = clients[index].id.clone();
        self.begin(fault, &id);
        let heal_after = match fault {
            Fault::CutShort => {
                clients[index].link.cut();
                self.millis(rng, 0.1, 0.6)
            }
            Fault::CutLong => {
                clients[index].link.cut();
                self.millis(rng, 1.2, 1.8)
            }
            Fault::BlackholeShort => {
                clients[index].link.blackhole();
                self.millis(rng, 0.1, 0.6)
            }
            Fault::BlackholeLong => {
                clients[index].link.blackhole();
                self.millis(rng, 1.2, 1.8)
            }
            Fault::PauseClient => {
                clients[index].pause();
                self.millis(rng, 1.3, 2.0)
            }
            Fault::ExpireSession => {
                clients[index].link.expire_sessions(&self.settings.servers);
                Duration::from_millis(500)
            }
            Fault::KillClient => {
                clients[index].kill();
                clients[index].killed = true;
                let kind = clients[index].kind;
                let next = clients.len() + 1;
                drop(clients);
                let replacement = ClientProcess::start(
                    self.settings,
                    self.ensemble,
                    kind,
                    format!("{kind}-{next}"),
                    self.population.tasks(kind),
                    rng.next_u64(),
                );
                match replacement {
                    Ok(client) => self
                        .clients
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(client),
                    Err(error) => eprintln!("torture: starting a replacement {kind}: {error}"),
                }
                return Some(id);
            }
            _ => unreachable!("server faults are not client faults"),
        };
        drop(clients);
        std::thread::sleep(heal_after);
        let clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        match fault {
            Fault::PauseClient => clients[index].resume(),
            Fault::ExpireSession => {}
            _ => clients[index].link.restore(),
        }
        Some(id)
    }
}
