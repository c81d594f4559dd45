//! Saying what zk-sync waits for once a wait lasts: after the same moment, the same way, for
//! every wait (for ZooKeeper, for a lock, leadership, permit or barrier).

use std::future::Future;
use std::time::Duration;

/// How long a wait may last before zk-sync says what it waits for.
pub(crate) const MOMENT: Duration = Duration::from_secs(1);

/// Waits for `work`; once it has lasted a [`MOMENT`], runs `say` (which says what is awaited)
/// before waiting on. `work` is not polled while `say` runs, so what `say` reports is not
/// overtaken by the end of the wait.
pub(crate) async fn after_a_moment<T>(
    work: impl Future<Output = T>,
    say: impl Future<Output = ()>,
) -> T {
    tokio::pin!(work);
    tokio::select! {
        biased;
        done = &mut work => return done,
        () = tokio::time::sleep(MOMENT) => {}
    }
    say.await;
    work.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test]
    async fn a_quick_wait_says_nothing_and_a_long_one_says_while_it_waits() {
        let said = Cell::new(false);
        let quick = after_a_moment(async { 1 }, async { said.set(true) }).await;
        assert_eq!((quick, said.get()), (1, false));

        // This work can only end once `say` ran.
        let (tell, told) = tokio::sync::oneshot::channel();
        let long = after_a_moment(async { told.await.unwrap() }, async {
            tell.send(2).unwrap();
        })
        .await;
        assert_eq!(long, 2);
    }
}
