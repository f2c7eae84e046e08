//! The combined policy: the order of its layers, timeouts, classification. Every scenario
//! runs through both the async and the blocking API, on the fake clock.

use std::cell::Cell;
use std::time::Duration;

use staunch::policy::PolicyErrorKind;
use staunch::test_util::FakeClock;
use staunch::{CircuitState, Policy, PolicyBuilder};

/// The two APIs every scenario runs through.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Api {
    Async,
    Blocking,
}

pub(crate) const BOTH: [Api; 2] = [Api::Async, Api::Blocking];

/// Drives a future whose sleeps are all on the fake clock (so it never waits).
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// `call_both!(api, policy, attempt, .refinement(..)*)`: runs `attempt` (an
/// `FnMut() -> Result`) under `policy` through `api`, with the same refinements.
macro_rules! call_both {
    ($api:expr, $policy:expr, $attempt:expr $(, .$method:ident($($arg:expr),*))* $(,)?) => {
        match $api {
            $crate::policy::Api::Async => {
                #[allow(unused_mut)]
                let mut attempt = $attempt;
                $crate::policy::block_on(
                    $policy.call(move || std::future::ready(attempt()))$(.$method($($arg),*))*,
                )
            }
            $crate::policy::Api::Blocking => $policy.blocking($attempt)$(.$method($($arg),*))*.call(),
        }
    };
}

pub(crate) fn builder(fake: &FakeClock) -> PolicyBuilder {
    Policy::builder("policy-test").clock(fake.clock())
}

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn every_attempt_is_judged_by_the_breaker() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake).failure_threshold(3).build().unwrap();
        let calls = Cell::new(0);
        let err = call_both!(api, policy, || {
            calls.set(calls.get() + 1);
            Err::<(), _>("unavailable")
        })
        .unwrap_err();
        // Three attempts, three counted failures: one call opened the circuit.
        assert_eq!(
            (err.kind(), err.attempts(), calls.get()),
            (PolicyErrorKind::Exhausted, 3, 3),
            "{api:?}"
        );
        assert_eq!(policy.breaker().state(), CircuitState::Open, "{api:?}");
        assert_eq!(fake.sleeps(), [SECOND, 2 * SECOND], "{api:?}");
    }
}

#[test]
fn a_timeout_counts_as_a_breaker_failure() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake)
            .max_attempts(1)
            .failure_threshold(2)
            .attempt_timeout(5 * SECOND)
            .build()
            .unwrap();
        // The classifier would ignore the error: slowness counts all the same.
        let slow = || {
            fake.advance(6 * SECOND);
            Err::<(), _>("not found")
        };
        for _ in 0..2 {
            let err = call_both!(api, policy, slow, .when(|_: &&str| false)).unwrap_err();
            assert_eq!(err.kind(), PolicyErrorKind::Timeout, "{api:?}");
            assert_eq!(err.last_error(), Some(&"not found"), "{api:?}");
        }
        assert_eq!(policy.breaker().state(), CircuitState::Open, "{api:?}");
    }
}

#[test]
fn a_timed_out_attempt_is_retried() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake).attempt_timeout(5 * SECOND).build().unwrap();
        let calls = Cell::new(0);
        let value = call_both!(api, policy, || {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                fake.advance(9 * SECOND);
                return Err("late");
            }
            Ok(calls.get())
        })
        .unwrap();
        assert_eq!(value, 2, "{api:?}");
        assert_eq!(policy.breaker().failure_count(), 0, "{api:?}"); // the success reset it
        assert_eq!(fake.sleeps(), [SECOND], "{api:?}");
    }
}

#[tokio::test]
async fn a_hung_attempt_is_cut_at_its_timeout() {
    let fake = FakeClock::new();
    let policy = builder(&fake)
        .max_attempts(2)
        .attempt_timeout(5 * SECOND)
        .build()
        .unwrap();
    let err = policy
        .call(std::future::pending::<Result<(), String>>)
        .await
        .unwrap_err();
    assert_eq!((err.kind(), err.attempts()), (PolicyErrorKind::Timeout, 2));
    assert_eq!(err.last_error(), None);
    // Timer, backoff, timer: the timeout bounds each attempt, not the call.
    assert_eq!(fake.sleeps(), [5 * SECOND, SECOND, 5 * SECOND]);
    assert_eq!(err.elapsed(), 11 * SECOND);
    assert_eq!(policy.breaker().failure_count(), 2);
}

#[test]
fn a_late_success_is_returned_and_counted_as_a_failure() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake)
            .failure_threshold(1)
            .attempt_timeout(5 * SECOND)
            .build()
            .unwrap();
        let value = call_both!(api, policy, || {
            fake.advance(6 * SECOND);
            Ok::<_, String>("rows")
        });
        assert_eq!(value.unwrap(), "rows", "{api:?}");
        assert_eq!(policy.breaker().state(), CircuitState::Open, "{api:?}");
    }
}

#[test]
fn a_rejection_is_not_retried_blindly() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake).build().unwrap();
        policy.breaker().force_open();
        let calls = Cell::new(0);
        let err = call_both!(api, policy, || {
            calls.set(calls.get() + 1);
            Ok::<_, String>(())
        })
        .unwrap_err();
        assert_eq!(
            (err.kind(), err.attempts(), calls.get()),
            (PolicyErrorKind::BreakerOpen, 1, 0),
            "{api:?}"
        );
        assert_eq!(err.circuit_open().unwrap().name(), "policy-test", "{api:?}");
        assert!(fake.sleeps().is_empty(), "{api:?}");
        assert_eq!(policy.breaker().snapshot().rejected_calls, 1, "{api:?}");
    }
}

#[test]
fn errors_the_classifier_ignores_return_at_once_uncounted() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake).build().unwrap();
        let err = call_both!(api, policy, || Err::<(), _>("not found"), .when(|e: &&str| *e == "timeout"))
            .unwrap_err();
        assert_eq!(
            (err.kind(), err.attempts()),
            (PolicyErrorKind::NotRetryable, 1),
            "{api:?}"
        );
        assert_eq!(policy.breaker().failure_count(), 0, "{api:?}");
    }
}

#[test]
fn server_delay_hints_are_honoured_up_to_the_cap() {
    use staunch::Verdict;
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake).max_delay_hint(30 * SECOND).build().unwrap();
        let hint = |secs: &u64| Verdict::TRANSIENT.with_delay_hint(Duration::from_secs(*secs));
        let mut hints = vec![7, 3600].into_iter();
        let err =
            call_both!(api, policy, move || Err::<(), _>(hints.next().unwrap()), .classify(hint))
                .unwrap_err();
        assert_eq!(
            (err.kind(), err.attempts()),
            (PolicyErrorKind::HintTooLong, 2),
            "{api:?}"
        );
        assert_eq!(fake.sleeps(), [7 * SECOND], "{api:?}");
    }
}

#[test]
fn the_error_keeps_the_callers_error_and_its_source() {
    use std::error::Error;
    let fake = FakeClock::new();
    let policy = builder(&fake).build().unwrap();
    let err = policy
        .call_blocking(|| Err::<(), _>(std::io::Error::other("reset")))
        .unwrap_err();
    assert_eq!(err.source().unwrap().to_string(), "reset");
    assert_eq!(
        err.to_string(),
        "gave up after 3 attempts in 3s: retries exhausted"
    );
    let boxed: Box<dyn Error + Send + Sync> = Box::new(err);
    assert!(boxed.to_string().contains("exhausted"));

    policy.breaker().force_open();
    let err = policy
        .call_blocking(|| Ok::<(), std::io::Error>(()))
        .unwrap_err();
    assert_eq!(
        err.source().unwrap().to_string(),
        "circuit `policy-test` is open"
    );
}

#[test]
fn a_panicking_attempt_counts_as_a_failure() {
    let fake = FakeClock::new();
    let policy = builder(&fake).build().unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        policy.call_blocking(|| -> Result<(), String> { panic!("boom") })
    }));
    assert!(panicked.is_err());
    assert_eq!(policy.breaker().failure_count(), 1);
}

#[test]
fn policies_validate_their_layers_together() {
    let err = Policy::builder("x")
        .breaker(staunch::CircuitBreaker::builder("x").build().unwrap())
        .failure_threshold(3)
        .build()
        .unwrap_err();
    assert_eq!(err.field(), "failure_threshold");
    let err = Policy::builder("x")
        .attempt_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err.field(), "attempt_timeout");
    let err = Policy::resilient(3, 0, 60 * SECOND).unwrap_err();
    assert_eq!(err.field(), "failure_threshold");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_can_be_spawned_and_its_error_crosses_threads() {
    fn assert_traits<T: Send + Sync + 'static + std::error::Error>() {}
    assert_traits::<staunch::PolicyError<std::io::Error>>();

    let fake = FakeClock::new();
    let policy = builder(&fake).max_attempts(2).build().unwrap();
    let spawned = policy.clone();
    let task = tokio::spawn(async move {
        spawned
            .call(|| async {
                tokio::task::yield_now().await;
                Err::<(), _>(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
            })
            .await
    });
    let err = task.await.unwrap().unwrap_err();
    assert_eq!(
        (err.kind(), err.attempts()),
        (PolicyErrorKind::Exhausted, 2)
    );
    assert_eq!(policy.breaker().failure_count(), 2);
}
