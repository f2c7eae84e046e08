//! The async policy when attempts do not complete at once: a first attempt that is
//! pending and then ends, a call dropped mid-attempt, for a plain policy
//! and for one with a budget. A dropped call counts nothing and gives a half-open probe
//! slot back.
//!
//! (On the fake clock every timer fires when first polled, so an attempt timeout cuts
//! any attempt that is pending; that case has its own test.)

use std::time::Duration;

use staunch::policy::PolicyErrorKind;
use staunch::test_util::FakeClock;
use staunch::{CircuitState, Policy, RetryBudget};

const SECOND: Duration = Duration::from_secs(1);

/// A plain policy (no budget, deadline or timeout), and one with a budget.
fn policies(fake: &FakeClock) -> [Policy; 2] {
    let plain = Policy::builder("cancel-plain")
        .failure_threshold(2)
        .clock(fake.clock())
        .build()
        .unwrap();
    let guarded = Policy::builder("cancel-guarded")
        .failure_threshold(2)
        .budget(RetryBudget::default())
        .clock(fake.clock())
        .build()
        .unwrap();
    [plain, guarded]
}

/// An attempt that is pending once, then returns `outcome`.
async fn after_a_yield<T>(outcome: T) -> T {
    tokio::task::yield_now().await;
    outcome
}

/// Polls `future` once, then drops it; returns whether it had completed.
async fn poll_once_then_drop(future: impl std::future::Future) -> bool {
    tokio::select! {
        biased;
        _ = future => true,
        _ = async {} => false,
    }
}

#[tokio::test]
async fn a_first_attempt_that_was_pending_reports_its_success() {
    let fake = FakeClock::new();
    for policy in policies(&fake) {
        policy.breaker().try_acquire().unwrap().failure();
        assert_eq!(policy.breaker().failure_count(), 1);
        let value = policy
            .call(|| after_a_yield(Ok::<_, String>(7)))
            .await
            .unwrap();
        assert_eq!(value, 7, "{}", policy.name());
        // The success went through the permit taken before the attempt was pending.
        assert_eq!(policy.breaker().failure_count(), 0, "{}", policy.name());
    }
}

#[tokio::test]
async fn a_first_attempt_that_was_pending_is_retried_when_it_fails() {
    let fake = FakeClock::new();
    for policy in policies(&fake) {
        let mut replies = vec![Ok("rows"), Err("reset")];
        let value = policy
            .call(|| after_a_yield(replies.pop().unwrap()))
            .await
            .unwrap();
        assert_eq!(value, "rows", "{}", policy.name());
    }
    assert_eq!(fake.sleeps(), [SECOND, SECOND]);
}

#[tokio::test]
async fn a_call_dropped_mid_attempt_counts_nothing_and_frees_the_probe() {
    let fake = FakeClock::new();
    for policy in policies(&fake) {
        let breaker = policy.breaker();
        breaker.try_acquire().unwrap().failure();
        breaker.try_acquire().unwrap().failure();
        fake.advance(60 * SECOND); // the next call is the probe
        for _ in 0..3 {
            let call = policy.call(std::future::pending::<Result<(), String>>);
            assert!(!poll_once_then_drop(call).await, "{}", policy.name());
            assert_eq!(breaker.state(), CircuitState::HalfOpen, "{}", policy.name());
        }
        assert_eq!(breaker.failure_count(), 2, "{}", policy.name());
        let probe = breaker
            .try_acquire()
            .expect("the dropped calls gave the slot back");
        assert!(probe.is_probe());
        probe.success();
        assert_eq!(breaker.state(), CircuitState::Closed, "{}", policy.name());
    }
}

#[tokio::test]
async fn a_first_attempt_that_hangs_times_out_under_the_guarded_policy() {
    let fake = FakeClock::new();
    let [_, guarded] = policies(&fake);
    let err = guarded
        .to_builder()
        .max_attempts(1)
        .attempt_timeout(30 * SECOND)
        .build()
        .unwrap()
        .call(std::future::pending::<Result<(), String>>)
        .await
        .unwrap_err();
    assert_eq!((err.kind(), err.attempts()), (PolicyErrorKind::Timeout, 1));
    assert_eq!(fake.sleeps(), [30 * SECOND]);
    assert_eq!(guarded.breaker().failure_count(), 1);
}
