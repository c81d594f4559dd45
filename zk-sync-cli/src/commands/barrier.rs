//! `zk-sync barrier PATH --count N [-- COMMAND...]`: enter together, run, leave together.

use super::holders::Who;
use super::runner::Runner;
use super::wait::Wait;
use crate::cli::{Barrier, Connection};
use crate::exit::Failure;
use crate::signals::StopSignals;
use crate::{say, supervise};
use zk_sync_barrier::DoubleBarrier;
use zk_sync_core::Session;

pub(super) async fn run(connection: &Connection, barrier: Barrier) -> Result<u8, Failure> {
    Runner::taking_part(connection, &barrier.path, &barrier.monitoring)?
        .with_session(|session, signals| inside(&barrier, session, signals))
        .await
}

async fn inside(args: &Barrier, session: Session, mut signals: StopSignals) -> Result<u8, Failure> {
    let what = format!("the barrier {} of {}", args.path, args.count);
    let count = usize::try_from(args.count).unwrap_or(usize::MAX);
    let barrier = DoubleBarrier::new(session.clone(), &args.path, count)
        .map_err(|e| Failure::zk("bad barrier", &e))?;
    let wait = |what| Wait {
        what,
        session: &session,
        path: &args.path,
        who: Who::Participants { count: args.count },
        timeout: args.timeout,
    };
    let entering = format!("the others to enter {what}");
    let enter = async {
        barrier
            .enter()
            .await
            .map_err(|e| Failure::zk(&format!("entering {what}"), &e))
    };
    wait(&entering).acquire(enter, &mut signals).await?;
    say::note(&format!("entered {what}"));
    let code = if args.command.is_empty() {
        0
    } else {
        let env = [
            ("ZK_SYNC_BARRIER_PATH", args.path.clone()),
            ("ZK_SYNC_BARRIER_COUNT", args.count.to_string()),
        ];
        supervise::run_unguarded(&args.command, &env, &mut signals).await?
    };
    let leaving = format!("the others to leave {what}");
    let leave = async {
        barrier
            .leave()
            .await
            .map_err(|e| Failure::zk(&format!("leaving {what}"), &e))
    };
    wait(&leaving).acquire(leave, &mut signals).await?;
    say::detail(&format!("left {what}"));
    Ok(code)
}
