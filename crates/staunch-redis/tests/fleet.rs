//! Several replicas (each its own `Fleet`, so its own connections) on one real Redis.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitState, Event};
use staunch_redis::testing::RedisServer;
use staunch_redis::SharedExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trip_at_one_replica_is_seen_by_all() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let fleets: Vec<_> = (0..3)
            .map(|_| fleet(&server.url()).connect().unwrap())
            .collect();
        let breakers: Vec<_> = fleets.iter().map(|f| breaker(f, "llm")).collect();
        eventually("all connected", || fleets.iter().all(|f| f.is_connected())).await;
        eventually("all synced", || {
            fleets
                .iter()
                .all(|f| f.status()[0].fleet_state == Some(CircuitState::Closed))
        })
        .await;
        // Only replica 0 sees the outage; its own breaker would need 1000 failures.
        calls_never_wait(&breakers[0], 10, true).await;
        eventually("replicas 1 and 2 open", || {
            breakers[1..].iter().all(is_open)
        })
        .await;
        assert!(is_open(&breakers[0]));
        let (admitted, _) = timed_call(&breakers[2], false).await;
        assert!(!admitted, "an open fleet rejects at every replica");
        assert_eq!(fleets[1].status()[0].fleet_state, Some(CircuitState::Open));
        eventually("three replicas attached", || {
            fleets[1].status()[0].replicas == 3
        })
        .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_is_probed_once_and_a_close_at_the_prober_closes_all() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let fleets: Vec<_> = (0..3)
            .map(|_| fleet(&server.url()).connect().unwrap())
            .collect();
        let breakers: Vec<_> = fleets.iter().map(|f| breaker(f, "db")).collect();
        eventually("all synced", || {
            fleets
                .iter()
                .all(|f| f.status().first().is_some_and(|s| s.fleet_state.is_some()))
        })
        .await;
        calls_never_wait(&breakers[0], 10, true).await;
        eventually("all open", || breakers.iter().all(is_open)).await;
        // After the open period every replica keeps calling; only a lease holder probes.
        let mut probes = 0;
        let mut rounds = 0;
        while !breakers.iter().all(|b| b.state() == CircuitState::Closed) {
            rounds += 1;
            assert!(rounds < 2_000, "the fleet never closed");
            for b in &breakers {
                if let Ok(permit) = b.try_acquire() {
                    if b.state() == CircuitState::HalfOpen {
                        probes += 1;
                    }
                    permit.success();
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            probes, 1,
            "one probe fleet-wide closes the circuit (max_probes 1)"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sick_replica_is_diluted_but_still_protects_itself() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let fleets: Vec<_> = (0..2)
            .map(|_| fleet(&server.url()).min_calls(20).connect().unwrap())
            .collect();
        let sick = CircuitBreaker::builder("api")
            .failure_threshold(3)
            .shared(&fleets[0])
            .build()
            .unwrap();
        let healthy = breaker(&fleets[1], "api");
        eventually("synced", || {
            fleets.iter().all(|f| f.status()[0].fleet_state.is_some())
        })
        .await;
        let mut failed = 0;
        for _ in 0..10 {
            calls_never_wait(&healthy, 5, false).await;
            failed += calls_never_wait(&sick, 1, true).await as u64;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            failed >= 3,
            "the sick replica's own breaker tripped on its failures"
        );
        // Every call's outcome reaches the shared window: the fleet has seen the
        // failures, and they are too few among the successes to open it.
        eventually("the shared window holds every outcome", || {
            shared_counts(&server, "api") == (50, failed)
        })
        .await;
        // The shared state as the server holds it after counting them all: closed
        // (state code 0), never moved (generation 1).
        assert_eq!(server.cli(&["HGET", "cb:{api}", "st"]), "$1\r\n0\r\n");
        assert_eq!(server.cli(&["HGET", "cb:{api}", "gen"]), "$1\r\n1\r\n");
        eventually("replica 1 reads the closed state", || {
            fleets[1].status()[0].fleet_state == Some(CircuitState::Closed)
        })
        .await;
        assert_eq!(healthy.state(), CircuitState::Closed);
        assert!(
            is_open(&sick),
            "the local veto keeps the sick replica's breaker open"
        );
        let (admitted, _) = timed_call(&healthy, false).await;
        assert!(admitted);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_quorum_one_replica_alone_does_not_open_the_fleet() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let fleets: Vec<_> = (0..3)
            .map(|_| {
                fleet(&server.url())
                    .quorum(2, Duration::from_secs(30))
                    .connect()
                    .unwrap()
            })
            .collect();
        let breakers: Vec<_> = fleets
            .iter()
            .map(|f| {
                CircuitBreaker::builder("q")
                    .failure_threshold(3)
                    .recovery_timeout(Duration::from_secs(30))
                    .shared(f)
                    .build()
                    .unwrap()
            })
            .collect();
        eventually("synced", || {
            fleets.iter().all(|f| f.status()[0].fleet_state.is_some())
        })
        .await;
        calls_never_wait(&breakers[0], 3, true).await;
        assert!(is_open(&breakers[0]));
        // The vote reaches the server, which keeps the fleet closed on it alone.
        eventually("replica 0's vote is recorded", || {
            server.cli(&["ZCARD", "cb:{q}:votes"]) == ":1\r\n"
        })
        .await;
        assert_eq!(server.cli(&["HGET", "cb:{q}", "st"]), "$1\r\n0\r\n");
        assert_eq!(
            fleets[2].status()[0].fleet_state,
            Some(CircuitState::Closed),
            "one vote of two"
        );
        assert_eq!(breakers[2].state(), CircuitState::Closed);
        calls_never_wait(&breakers[1], 3, true).await;
        eventually("the third replica opens", || is_open(&breakers[2])).await;
        assert_eq!(fleets[2].status()[0].fleet_state, Some(CircuitState::Open));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_reaches_every_replica() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let fleets: Vec<_> = (0..2)
            .map(|_| fleet(&server.url()).connect().unwrap())
            .collect();
        let breakers: Vec<_> = fleets.iter().map(|f| breaker(f, "pay")).collect();
        eventually("synced", || {
            fleets.iter().all(|f| f.status()[0].fleet_state.is_some())
        })
        .await;
        assert_eq!(
            fleets[0]
                .force("pay", CircuitState::ForcedOpen)
                .await
                .unwrap(),
            CircuitState::ForcedOpen
        );
        eventually("both forced open", || {
            breakers
                .iter()
                .all(|b| b.state() == CircuitState::ForcedOpen)
        })
        .await;
        assert_eq!(
            fleets[1].force("pay", CircuitState::Closed).await.unwrap(),
            CircuitState::Closed
        );
        eventually("both closed", || {
            breakers.iter().all(|b| b.state() == CircuitState::Closed)
        })
        .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breaker_outliving_its_fleet_recovers_on_its_own() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let fleets: Vec<_> = (0..2)
            .map(|_| fleet(&server.url()).connect().unwrap())
            .collect();
        let orphan = breaker(&fleets[1], "orphan");
        eventually("synced", || {
            fleets[1]
                .status()
                .first()
                .is_some_and(|s| s.fleet_state.is_some())
        })
        .await;
        fleets[0].force("orphan", CircuitState::Open).await.unwrap();
        eventually("open", || is_open(&orphan)).await;
        drop(fleets);
        // No fleet to lease probes from: after its open period the breaker probes alone.
        eventually("a local probe closes it", || {
            if let Ok(permit) = orphan.try_acquire() {
                permit.success();
            }
            orphan.state() == CircuitState::Closed
        })
        .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_tells_a_trip_here_from_an_open_by_the_fleet() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    with_timeout(async {
        let fleets: Vec<_> = (0..2)
            .map(|_| {
                fleet(&server.url())
                    .quorum(1, Duration::from_secs(30))
                    .connect()
                    .unwrap()
            })
            .collect();
        // Replica 0 trips on its own after 3 failures; replica 1 never does.
        let tripping = CircuitBreaker::builder("tool")
            .failure_threshold(3)
            .recovery_timeout(Duration::from_secs(30))
            .shared(&fleets[0])
            .build()
            .unwrap();
        let breakers = [tripping, breaker(&fleets[1], "tool")];
        let logs: Vec<_> = breakers
            .iter()
            .map(|b| {
                let log = Arc::new(Mutex::new(Vec::new()));
                let seen = Arc::clone(&log);
                b.add_listener(move |event| {
                    if let Event::Transition(t) = event {
                        let entry = (t.from, t.to, staunch_redis::from_fleet());
                        seen.lock().unwrap().push(entry);
                    }
                });
                log
            })
            .collect();
        eventually("synced", || {
            fleets.iter().all(|f| f.status()[0].fleet_state.is_some())
        })
        .await;
        calls_never_wait(&breakers[0], 3, true).await;
        eventually("replica 1 opens", || is_open(&breakers[1])).await;
        let here = logs[0].lock().unwrap()[0];
        assert_eq!(here, (CircuitState::Closed, CircuitState::Open, false));
        let there = logs[1].lock().unwrap()[0];
        assert_eq!(
            there,
            (CircuitState::Closed, CircuitState::Open, true),
            "replica 1 was opened by the fleet"
        );
        assert!(!staunch_redis::from_fleet(), "false outside a listener");
    })
    .await;
}

/// The fleet is dropped while one of its sync passes is still running (here by the very
/// listener that pass calls, so the order is fixed): once that pass has finished, the
/// breaker must still run on its own, not wait for probe leases from a fleet that is gone.
#[test]
fn a_fleet_dropped_during_a_sync_pass_leaves_its_breaker_to_itself() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let main = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // The fleet's background tasks run here, so that dropping this runtime waits for the
    // pass that was running when the fleet went away.
    let background = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let forcer = fleet(&server.url())
        .runtime(main.handle().clone())
        .connect()
        .unwrap();
    // Without pub/sub the fleet's state reaches the breaker only in a sync pass.
    let owned = fleet(&server.url())
        .pubsub(false)
        .runtime(background.handle().clone())
        .connect()
        .unwrap();
    let clock = FakeClock::new();
    let orphan = CircuitBreaker::builder("orphan")
        .failure_threshold(1_000)
        .clock(clock.clock())
        .shared(&owned)
        .build()
        .unwrap();
    let held = Arc::new(Mutex::new(Some(owned)));
    let dropper = Arc::clone(&held);
    orphan.add_listener(move |event| {
        if let Event::Transition(t) = event {
            if t.to == CircuitState::Open && staunch_redis::from_fleet() {
                // The last handle: the fleet's tasks are told to stop mid-pass.
                let fleet = dropper.lock().unwrap().take();
                drop(fleet);
            }
        }
    });
    main.block_on(with_timeout(async {
        eventually("synced", || {
            held.lock()
                .unwrap()
                .as_ref()
                .is_some_and(|f| f.status().first().is_some_and(|s| s.fleet_state.is_some()))
        })
        .await;
        forcer.force("orphan", CircuitState::Open).await.unwrap();
        eventually(
            "a sync pass opened the breaker and dropped the fleet",
            || held.lock().unwrap().is_none(),
        )
        .await;
    }));
    drop(background);
    // OPEN, or past its period already if the pass came late (then it reads HALF_OPEN).
    assert!(is_open(&orphan) || orphan.state() == CircuitState::HalfOpen);
    // Past the longest open period the breaker probes alone, and the probe closes it.
    clock.advance(Duration::from_secs(5));
    let permit = orphan
        .try_acquire()
        .expect("with its fleet gone the breaker probes without a lease");
    assert_eq!(orphan.state(), CircuitState::HalfOpen);
    permit.success();
    assert_eq!(orphan.state(), CircuitState::Closed);
    let status = orphan.authority_status().expect("a shared breaker");
    assert!(
        !status.connected,
        "a dropped fleet syncs nothing: {status:?}"
    );
}
