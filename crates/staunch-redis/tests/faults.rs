//! Redis killed, stopped, flushed, restarted, absent or deaf mid-run: no call waits on it,
//! the breakers run locally meanwhile, and shared counting resumes afterwards.

mod common;

use std::time::{Duration, Instant};

use common::*;
use staunch::{CircuitBreaker, CircuitState};
use staunch_redis::testing::RedisServer;
use staunch_redis::{Fleet, SharedExt};

fn pair(url: &str, name: &str) -> (Vec<Fleet>, Vec<CircuitBreaker>) {
    let fleets: Vec<_> = (0..2).map(|_| fleet(url).connect().unwrap()).collect();
    let breakers = fleets.iter().map(|f| breaker(f, name)).collect();
    (fleets, breakers)
}

async fn synced(fleets: &[Fleet]) {
    eventually("every replica connected and synced", || {
        fleets
            .iter()
            .all(|f| f.is_connected() && f.status().iter().all(|s| s.fleet_state.is_some()))
    })
    .await;
}

/// Shared counting works: failures at `a` open the fleet, and `b` sees it. (Failures
/// go on until they outweigh the successes of the test's earlier calls in the window.)
async fn counts_flow(a: &CircuitBreaker, b: &CircuitBreaker) {
    assert_eq!(b.state(), CircuitState::Closed);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !is_open(b) {
        assert!(
            Instant::now() < deadline,
            "failures at one replica never opened the other"
        );
        calls_never_wait(a, 20, true).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_back_on_the_same_port() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let (fleets, breakers) = pair(&server.url(), "k9");
        let local = CircuitBreaker::builder("k9-local")
            .failure_threshold(3)
            .shared(&fleets[0])
            .build()
            .unwrap();
        synced(&fleets).await;
        server.kill();
        // Calls go on at once, locally; the syncer notices within its op timeout.
        // (Successes only: a write queued just before the kill may still land after the
        // restart, which is fine for counts but would make this test's trip racy.)
        calls_never_wait(&breakers[0], 50, false).await;
        calls_never_wait(&breakers[1], 50, false).await;
        eventually("degraded", || !fleets[0].is_connected()).await;
        calls_never_wait(&local, 3, true).await;
        assert!(
            is_open(&local),
            "the local breaker still trips without Redis"
        );
        assert_eq!(breakers[0].state(), CircuitState::Closed);
        server.restart();
        synced(&fleets).await;
        assert!(fleets[0].stats().recovered >= 2, "{:?}", fleets[0].stats());
        counts_flow(&breakers[0], &breakers[1]).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_on_the_same_port_recreates_the_state() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let (fleets, breakers) = pair(&server.url(), "rs");
        synced(&fleets).await;
        server.restart();
        calls_never_wait(&breakers[0], 20, false).await;
        eventually("the state is back in the new server", || {
            server.cli(&["HGET", "cb:{rs}", "v"]).contains("$1\r\n1")
        })
        .await;
        synced(&fleets).await;
        counts_flow(&breakers[0], &breakers[1]).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigstop_longer_than_the_flush_interval_then_sigcont() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let (fleets, breakers) = pair(&server.url(), "stop");
        synced(&fleets).await;
        server.stop();
        // At least 1.5 s hung: fifteen flush intervals, seven op timeouts. A fixed number
        // of calls, however fast the machine: the failures that `counts_flow` makes must
        // outweigh these successes before the local breaker trips (1 000 failures in a
        // row), and with a loop timed by the clock a fast run made more than that.
        for _ in 0..15 {
            calls_never_wait(&breakers[0], 10, false).await;
            calls_never_wait(&breakers[1], 10, false).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(!fleets[0].is_connected(), "a hung Redis degrades the fleet");
        server.cont();
        synced(&fleets).await;
        assert_eq!(breakers[0].state(), CircuitState::Closed);
        counts_flow(&breakers[0], &breakers[1]).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flushall_does_not_resurrect_an_open_circuit() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let (fleets, breakers) = pair(&server.url(), "fl");
        synced(&fleets).await;
        counts_flow(&breakers[0], &breakers[1]).await;
        assert!(server.cli(&["FLUSHALL"]).starts_with("+OK"));
        calls_never_wait(&breakers[1], 20, false).await;
        eventually("both replicas adopt the new, closed state", || {
            breakers.iter().all(|b| b.state() == CircuitState::Closed)
        })
        .await;
        counts_flow(&breakers[1], &breakers[0]).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_flush_is_reloaded_without_a_hiccup() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let (fleets, breakers) = pair(&server.url(), "sf");
        synced(&fleets).await;
        let errors = fleets[0].stats().errors;
        assert!(server.cli(&["SCRIPT", "FLUSH"]).starts_with("+OK"));
        calls_never_wait(&breakers[0], 20, false).await;
        let calls = fleets[0].stats().script_calls;
        eventually("scripts run again", || {
            fleets[0].stats().script_calls > calls + 2
        })
        .await;
        assert_eq!(
            fleets[0].stats().errors,
            errors,
            "NOSCRIPT is handled by reloading"
        );
        assert!(fleets[0].is_connected());
        counts_flow(&breakers[0], &breakers[1]).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absent_at_start_up_then_joins() {
    let port = RedisServer::reserve_port();
    if !staunch_redis::testing::available() {
        return;
    }
    with_timeout(async {
        let url = format!("redis://127.0.0.1:{port}");
        let started = Instant::now();
        let (fleets, breakers) = pair(&url, "late");
        assert!(
            started.elapsed() < CALL_BOUND,
            "construction never waits on Redis"
        );
        // Local breakers from the first call.
        calls_never_wait(&breakers[0], 20, false).await;
        calls_never_wait(&breakers[1], 20, true).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!fleets[0].is_connected());
        assert!(fleets[0].last_error().is_some());
        let _server = RedisServer::start_on(port).unwrap();
        synced(&fleets).await;
        counts_flow(&breakers[0], &breakers[1]).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transition_lost_in_a_pubsub_gap_is_caught_up_on_resubscribe() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        // No idle syncs to fall back on within the test: only the re-subscription's
        // re-sync can tell the deaf replica. It resubscribes 0.5–1 s after losing the
        // connection; the transition is published well within that gap.
        let settings = |url: &str| {
            fleet(url)
                .idle_sync(Duration::from_secs(600))
                .reconnect_backoff(Duration::from_secs(1), Duration::from_secs(1))
        };
        let fleets: Vec<_> = (0..2)
            .map(|_| settings(&server.url()).connect().unwrap())
            .collect();
        let breakers: Vec<_> = fleets.iter().map(|f| breaker(f, "gap")).collect();
        synced(&fleets).await;
        eventually("subscribed", || {
            fleets.iter().all(|f| f.stats().subscriptions == 1)
        })
        .await;
        let heard = fleets[1].stats().messages;
        server.cli(&["CLIENT", "KILL", "TYPE", "pubsub"]);
        fleets[0]
            .force("gap", CircuitState::ForcedOpen)
            .await
            .unwrap();
        assert_eq!(breakers[0].state(), CircuitState::ForcedOpen);
        eventually("the deaf replica catches up", || {
            breakers[1].state() == CircuitState::ForcedOpen
        })
        .await;
        assert_eq!(
            fleets[1].stats().messages,
            heard,
            "the message itself was lost"
        );
        assert_eq!(fleets[1].stats().subscriptions, 2);
    })
    .await;
}
