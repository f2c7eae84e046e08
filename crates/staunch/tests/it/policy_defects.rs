//! Defects of the call paths, each pinned by a test: the deadline bounds every attempt,
//! a panic means the same in every form, retry and policy events speak alike. (Without
//! tokio, the timers share one thread: tested in `clock/timer.rs`.)

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use staunch::policy::PolicyErrorKind;
use staunch::test_util::FakeClock;
use staunch::Policy;

const SECOND: Duration = Duration::from_secs(1);

/// Polls `future` once with a waker that does nothing.
pub(crate) fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let waker = Waker::from(std::sync::Arc::new(crate::retry::NoopWake));
    let mut cx = Context::from_waker(&waker);
    pin!(future).poll(&mut cx)
}

/// Deadline 10 s, attempt timeout 10 s: the first attempt fails at once, the wait takes
/// 1 s, the second attempt hangs. It may run for the 9 s left, not for a full 10 s.
#[test]
fn the_deadline_caps_each_attempt_at_the_time_left() {
    let fake = FakeClock::new();
    let policy = Policy::builder("defect-deadline")
        .failure_threshold(100)
        .max_attempts(5)
        .deadline(SECOND * 10)
        .attempt_timeout(SECOND * 10)
        .clock(fake.clock())
        .build()
        .unwrap();
    let mut calls = 0;
    let call = policy.call(|| {
        calls += 1;
        let first = calls == 1;
        async move {
            if first {
                Err::<(), _>("refused")
            } else {
                std::future::pending().await
            }
        }
    });
    let Poll::Ready(result) = poll_once(call) else {
        panic!("on the fake clock the call ends at its first poll");
    };
    let err = result.unwrap_err();
    assert!(
        fake.now() <= SECOND * 10,
        "the call ran {:?}, past its 10 s deadline",
        fake.now()
    );
    assert_eq!(err.attempts(), 2);
    assert!(matches!(
        err.kind(),
        PolicyErrorKind::Deadline | PolicyErrorKind::Timeout
    ));
}

/// A panic in an async attempt is a failure of the dependency, as in blocking code.
#[tokio::test]
async fn a_panicking_async_attempt_counts_as_a_failure() {
    let fake = FakeClock::new();
    let policy = Policy::builder("defect-panic")
        .max_attempts(1)
        .failure_threshold(5)
        .clock(fake.clock())
        .build()
        .unwrap();
    let task = {
        let policy = policy.clone();
        tokio::spawn(async move {
            policy
                .call(|| async { panic!("the client panicked") })
                .await
                .map_err(|e: staunch::PolicyError<String>| e.kind())
                .map(|()| 0)
        })
    };
    assert!(task.await.unwrap_err().is_panic());
    assert_eq!(policy.breaker().failure_count(), 1);

    let blocking = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        policy.call_blocking(|| -> Result<(), String> { panic!("the client panicked") })
    }));
    assert!(blocking.is_err());
    assert_eq!(policy.breaker().failure_count(), 2);
}

/// The breaker alone, async: a panic counts too.
#[tokio::test]
async fn a_panicking_async_breaker_call_counts_as_a_failure() {
    let breaker = staunch::CircuitBreaker::builder("defect-panic-breaker")
        .clock(FakeClock::new().clock())
        .build()
        .unwrap();
    let task = {
        let breaker = breaker.clone();
        tokio::spawn(async move {
            let _ = breaker
                .call(|| async {
                    if true {
                        panic!("the client panicked");
                    }
                    Err::<(), String>(String::new())
                })
                .await;
        })
    };
    assert!(task.await.unwrap_err().is_panic());
    assert_eq!(breaker.failure_count(), 1);
}

use crate::retry_events::support;

/// A retry alone and a policy report their retries on one target with the same fields.
#[test]
fn retry_and_policy_events_share_one_target_and_their_fields() {
    use staunch::{BlockingRetryable, RetryBuilder};
    let fake = FakeClock::new();
    let events = support::capture("staunch", || {
        let retry = RetryBuilder::retry_on_exception()
            .max_attempts(2)
            .name("defect-events")
            .build()
            .unwrap();
        let _ = (|| Err::<(), _>("down"))
            .retry_blocking(retry)
            .clock(fake.clock())
            .call();
        let policy = Policy::builder("defect-events")
            .max_attempts(2)
            .clock(fake.clock())
            .build()
            .unwrap();
        let _ = policy.call_blocking(|| Err::<(), _>("down"));
    });
    let retrying: Vec<_> = events
        .iter()
        .filter(|e| e.field("message") == "retrying")
        .collect();
    assert_eq!(retrying.len(), 2, "{events:#?}");
    assert_eq!(retrying[0].target, retrying[1].target);
    let keys = |e: &support::Captured| e.fields.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(retrying[0]), keys(retrying[1]));
    let gave_up: Vec<_> = events
        .iter()
        .filter(|e| e.level == tracing::Level::WARN)
        .collect();
    assert_eq!(gave_up.len(), 2, "{events:#?}");
    assert_eq!(gave_up[0].target, gave_up[1].target);
    assert_eq!(keys(gave_up[0]), keys(gave_up[1]));
    assert_eq!(gave_up[0].field("message"), gave_up[1].field("message"));
}
