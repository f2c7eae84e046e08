//! Shared helpers: fleets with short timings, polling with generous timeouts.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::time::{Duration, Instant};

use staunch::{CircuitBreaker, CircuitState};
use staunch_redis::testing::RedisServer;
use staunch_redis::{Fleet, FleetBuilder, SharedExt};

/// Short timings so that tests finish quickly; generous waits so that they never flake.
pub fn fleet(url: &str) -> FleetBuilder {
    Fleet::builder(url)
        .flush_interval(Duration::from_millis(100))
        .failure_burst(3, Duration::from_millis(10))
        .idle_sync(Duration::from_millis(300))
        .op_timeout(Duration::from_millis(200))
        .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(300))
        .min_calls(6)
        .failure_rate(50)
        .open_period(Duration::from_millis(300), Duration::from_secs(5))
        .lease(Duration::from_secs(5))
}

/// A shared breaker that never trips by itself in these tests.
pub fn breaker(fleet: &Fleet, name: &str) -> CircuitBreaker {
    CircuitBreaker::builder(name)
        .failure_threshold(1_000)
        .recovery_timeout(Duration::from_millis(300))
        .shared(fleet)
        .build()
        .unwrap()
}

/// Polls `cond` every 10 ms for up to 10 s.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs one call, returns whether it was admitted and how long it took. The call
/// itself does nothing: the time is all the breaker's.
pub async fn timed_call(breaker: &CircuitBreaker, fail: bool) -> (bool, Duration) {
    let started = Instant::now();
    let result = breaker
        .call(|| async move {
            if fail {
                Err("down")
            } else {
                Ok(())
            }
        })
        .await;
    let admitted = !matches!(result, Err(ref e) if e.is_open());
    (admitted, started.elapsed())
}

/// Calls that must never wait on Redis: the bound is far above a call's cost and far
/// below the fault's length, so a call that waited on Redis would exceed it.
pub const CALL_BOUND: Duration = Duration::from_millis(500);

/// Runs `n` calls and asserts that each returned within [`CALL_BOUND`].
pub async fn calls_never_wait(breaker: &CircuitBreaker, n: usize, fail: bool) -> usize {
    let mut admitted = 0;
    for _ in 0..n {
        let (ok, took) = timed_call(breaker, fail).await;
        assert!(
            took < CALL_BOUND,
            "a call took {took:?}: it waited on something"
        );
        admitted += usize::from(ok);
    }
    admitted
}

pub fn is_open(b: &CircuitBreaker) -> bool {
    matches!(b.state(), CircuitState::Open | CircuitState::ForcedOpen)
}

pub async fn with_timeout<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test timed out")
}

/// The successes and failures counted in the shared window of the breaker `name` (key
/// prefix `cb:`), read from the server itself: the sum of the window's `s<slot>` and
/// `f<slot>` fields.
pub fn shared_counts(server: &RedisServer, name: &str) -> (u64, u64) {
    let reply = server.cli(&["HGETALL", &format!("cb:{{{name}}}")]);
    // RESP: `*2n`, then `$len` and the text of each field and value in turn.
    let texts: Vec<&str> = reply
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
        .collect();
    let (mut successes, mut failures) = (0, 0);
    for pair in texts.chunks(2) {
        let [field, value] = pair else { continue };
        let slot = |prefix: char| {
            field
                .strip_prefix(prefix)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let value: u64 = value.parse().unwrap_or(0);
        if slot('s') {
            successes += value;
        } else if slot('f') {
            failures += value;
        }
    }
    (successes, failures)
}
