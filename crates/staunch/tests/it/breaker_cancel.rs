//! Cancelled futures and panics in every state: the breaker never stays stuck half-open,
//! a cancelled call counts nothing, a panicking blocking call counts as a failure.

use std::future::{pending, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitState};

/// Polls `future` once, then drops it; returns whether it had completed.
async fn poll_once_then_drop(future: impl Future) -> bool {
    tokio::select! {
        biased;
        _ = future => true,
        _ = async {} => false,
    }
}

fn breaker(fake: &FakeClock) -> CircuitBreaker {
    CircuitBreaker::builder("svc")
        .failure_threshold(2)
        .half_open_probes(1)
        .clock(fake.clock())
        .build()
        .unwrap()
}

/// Puts `b` into `state` (OPEN with its period passed, for HALF_OPEN the probe taken and
/// released again by the caller).
fn enter(b: &CircuitBreaker, fake: &FakeClock, state: CircuitState) {
    match state {
        CircuitState::Closed => b.try_acquire().unwrap().failure(),
        CircuitState::Open | CircuitState::HalfOpen => {
            b.try_acquire().unwrap().failure();
            b.try_acquire().unwrap().failure();
            if state == CircuitState::HalfOpen {
                fake.advance(Duration::from_secs(60));
            }
        }
        CircuitState::ForcedOpen => b.force_open(),
        CircuitState::Disabled => {
            b.disable();
            b.try_acquire().unwrap().failure();
        }
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_dropped_future_counts_nothing_in_any_state() {
    for state in CircuitState::ALL {
        let fake = FakeClock::new();
        let b = breaker(&fake);
        enter(&b, &fake, state);
        let before = (b.failure_count(), b.snapshot().consecutive_trips);
        for _ in 0..3 {
            let rejected = poll_once_then_drop(b.call(pending::<Result<(), ()>>)).await;
            assert_eq!(
                rejected,
                !state.is_passing() && state != CircuitState::HalfOpen,
                "{state}"
            );
        }
        assert_eq!(
            (b.failure_count(), b.snapshot().consecutive_trips),
            before,
            "{state}"
        );
        match state {
            CircuitState::HalfOpen => {
                assert_eq!(b.state(), CircuitState::HalfOpen);
                let probe = b
                    .try_acquire()
                    .expect("the dropped probe gave its slot back");
                assert!(probe.is_probe());
                probe.success();
                assert_eq!(b.state(), CircuitState::Closed);
            }
            CircuitState::Open | CircuitState::ForcedOpen => {
                assert_eq!(b.snapshot().rejected_calls, 3)
            }
            other => assert_eq!(b.state(), other),
        }
    }
}

#[tokio::test]
async fn a_cancelled_probe_never_wedges_half_open() {
    let fake = FakeClock::new();
    let b = breaker(&fake);
    enter(&b, &fake, CircuitState::HalfOpen);
    for _ in 0..100 {
        assert!(!poll_once_then_drop(b.call(pending::<Result<(), ()>>)).await);
        assert_eq!(b.state(), CircuitState::HalfOpen);
    }
    b.call(|| async { Ok::<_, ()>(()) }).await.unwrap();
    assert_eq!(b.state(), CircuitState::Closed);
}

#[tokio::test]
async fn a_panicking_async_probe_counts_as_a_failure() {
    let fake = FakeClock::new();
    let b = breaker(&fake);
    enter(&b, &fake, CircuitState::HalfOpen);
    let spawned = b.clone();
    let joined = tokio::spawn(async move {
        spawned
            .call(|| async {
                if true {
                    panic!("probe bug");
                }
                Ok::<(), ()>(())
            })
            .await
    })
    .await;
    assert!(joined.unwrap_err().is_panic());
    // A panic is a failure in every call form (the behaviour table): the probe failed.
    assert_eq!(b.state(), CircuitState::Open);
}

#[test]
fn a_panicking_blocking_call_counts_as_a_failure_and_resumes() {
    for state in [
        CircuitState::Closed,
        CircuitState::HalfOpen,
        CircuitState::Disabled,
    ] {
        let fake = FakeClock::new();
        let b = breaker(&fake);
        enter(&b, &fake, state);
        let failures = b.failure_count();
        let caught = catch_unwind(AssertUnwindSafe(|| {
            b.call_blocking(|| -> Result<(), ()> { panic!("call bug") })
        }));
        let payload = caught.unwrap_err();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"call bug"),
            "resumed as is"
        );
        let expected = match state {
            CircuitState::Closed | CircuitState::HalfOpen => CircuitState::Open,
            _ => CircuitState::Disabled,
        };
        assert_eq!(
            (b.state(), b.failure_count()),
            (expected, failures + 1),
            "{state}"
        );
    }
}

#[test]
fn a_permit_dropped_during_a_panic_is_released_not_counted() {
    let fake = FakeClock::new();
    let b = breaker(&fake);
    enter(&b, &fake, CircuitState::HalfOpen);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _permit = b.try_acquire().unwrap();
        panic!("caller bug");
    }));
    assert!(caught.is_err());
    assert_eq!(b.state(), CircuitState::HalfOpen);
    assert!(b.try_acquire().unwrap().is_probe());
}

/// Counts the drops of what it is captured in.
struct DropCount(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        // Relaxed: read after the drop, on the same thread.
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[tokio::test]
async fn the_call_closure_runs_at_most_once_and_is_dropped_once_whatever_happens() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let fake = FakeClock::new();
    let b = breaker(&fake);
    let open = breaker(&fake);
    open.force_open();
    for case in ["awaited", "refined", "refused", "never polled", "cancelled"] {
        let drops = Arc::new(AtomicUsize::new(0));
        let runs = Arc::new(AtomicUsize::new(0));
        let guard = DropCount(drops.clone());
        let counted = runs.clone();
        let make = move || {
            let _guard = guard;
            counted.fetch_add(1, Ordering::Relaxed);
            async { Ok::<u32, &'static str>(7) }
        };
        let expected_runs = match case {
            "awaited" => {
                assert_eq!(b.call(make).await.unwrap(), 7);
                1
            }
            "refined" => {
                let call = b.call(make).classify(|_: &&str| true).fallback(Err);
                assert_eq!(call.await.unwrap(), 7);
                1
            }
            "refused" => {
                assert!(open.call(make).await.unwrap_err().is_open());
                0
            }
            "never polled" => {
                drop(b.call(make));
                0
            }
            _ => {
                let slow = move || {
                    let _make = make;
                    pending::<Result<u32, &'static str>>()
                };
                assert!(!poll_once_then_drop(b.call(slow)).await);
                0
            }
        };
        // Relaxed: same thread, after the call.
        assert_eq!(runs.load(Ordering::Relaxed), expected_runs, "{case}: runs");
        assert_eq!(drops.load(Ordering::Relaxed), 1, "{case}: drops");
    }
}
