//! TLS next to plain text on one server (its secure and plain client ports): the cost of a
//! session's handshake, and the uncontended `DistMutex` cycle over each.

use crate::uncontended::{self, Contestant};
use crate::{packets_received, print_outcomes, zk_sync_mutex_cycle_on};
use std::time::{Duration, Instant};
use zk_sync_core::{Session, Tls};
use zk_sync_testkit::ZkServer;

/// Sessions opened (and closed) to time the handshake.
const SESSIONS: usize = 20;

pub(crate) fn run(rt: &tokio::runtime::Runtime, rounds: usize, per_round: usize) {
    let server = ZkServer::start_tls_durable().expect("a TLS ZooKeeper");
    let plain = server.connect_string();
    let secure = server.secure_connect_string().unwrap();
    let tls = Tls::new(server.tls().unwrap().ca_pem());
    println!("## TLS next to plain text (one server, forceSync=yes)\n");
    let open_plain = rt.block_on(time_sessions(&plain, None));
    let open_tls = rt.block_on(time_sessions(&secure, Some(tls.clone())));
    println!("| session | time to connect (median of {SESSIONS}) |");
    println!("|---|---:|");
    println!("| plain text | {:.2} ms |", open_plain.as_secs_f64() * 1e3);
    println!("| TLS | {:.2} ms |", open_tls.as_secs_f64() * 1e3);
    println!(
        "\nTLS handshake cost per session: {:.2} ms\n",
        (open_tls.as_secs_f64() - open_plain.as_secs_f64()) * 1e3
    );
    let over_tls = {
        let session = rt.block_on(connect(&secure, Some(tls)));
        rt.block_on(zk_sync_mutex_cycle_on(session, "/bench/tls-mutex"))
    };
    let over_plain = {
        let session = rt.block_on(connect(&plain, None));
        rt.block_on(zk_sync_mutex_cycle_on(session, "/bench/plain-mutex"))
    };
    let contestants = vec![
        Contestant::task("zk-sync `DistMutex`, plain text", rt, over_plain),
        Contestant::task("zk-sync `DistMutex`, TLS", rt, over_tls),
    ];
    let outcomes =
        uncontended::compare(|| packets_received(&server), contestants, rounds, per_round);
    print_outcomes(&outcomes);
    println!(
        "\nTLS / plain text time per cycle: {:.2}\n",
        outcomes[1].ratio_to(&outcomes[0])
    );
}

async fn connect(connect: &str, tls: Option<Tls>) -> Session {
    let builder = Session::builder(connect);
    let builder = match tls {
        Some(tls) => builder.tls(tls),
        None => builder,
    };
    builder.connect().await.expect("a session")
}

/// The median time to open a session (and then close it).
async fn time_sessions(connect_string: &str, tls: Option<Tls>) -> Duration {
    let mut times = Vec::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        let started = Instant::now();
        let session = connect(connect_string, tls.clone()).await;
        times.push(started.elapsed());
        session.close().await;
    }
    times.sort();
    times[SESSIONS / 2]
}
