//! The pure retry state machine, driven by hand: no clock, no runtime.

use std::time::Duration;

use staunch::retry::{Decision, RetryState};
use staunch::{RetryErrorKind, RetryPolicy, Verdict};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn policy(attempts: u32, deadline: Option<u64>) -> RetryPolicy {
    let builder = RetryPolicy::builder().max_attempts(attempts);
    match deadline {
        Some(d) => builder.deadline(secs(d)),
        None => builder,
    }
    .build()
    .unwrap()
}

#[test]
fn drives_the_seed_schedule_without_a_clock() {
    let mut state = RetryState::new(&policy(6, None), secs(100));
    let mut now = secs(100);
    let mut waits = Vec::new();
    while let Decision::Retry(wait) = state.on_failure(Verdict::TRANSIENT, now) {
        waits.push(wait.as_secs());
        now += wait;
    }
    assert_eq!(waits, [1, 2, 4, 8, 10]);
    assert_eq!(state.attempts(), 6);
    assert_eq!(state.elapsed(now), secs(25));
}

#[test]
fn the_stop_reasons_are_distinct() {
    let t0 = Duration::ZERO;
    let mut s = RetryState::new(&policy(3, None), t0);
    assert_eq!(
        s.on_failure(Verdict::FATAL, t0),
        Decision::Stop(RetryErrorKind::NotRetryable)
    );
    let mut s = RetryState::new(&policy(1, None), t0);
    assert_eq!(
        s.on_failure(Verdict::TRANSIENT, t0),
        Decision::Stop(RetryErrorKind::Exhausted)
    );
    let mut s = RetryState::new(&policy(3, Some(5)), t0);
    assert_eq!(
        s.on_failure(Verdict::TRANSIENT, secs(5)),
        Decision::Stop(RetryErrorKind::Deadline)
    );
    let mut s = RetryState::new(&policy(3, None), t0);
    let hint = Verdict::TRANSIENT.with_delay_hint(secs(61));
    assert_eq!(
        s.on_failure(hint, t0),
        Decision::Stop(RetryErrorKind::HintTooLong)
    );
    // A verdict that is not retryable wins over exhaustion.
    let mut s = RetryState::new(&policy(1, None), t0);
    assert_eq!(
        s.on_failure(Verdict::IGNORE, t0),
        Decision::Stop(RetryErrorKind::NotRetryable)
    );
}

#[test]
fn uncounted_retries_are_still_retried() {
    let mut s = RetryState::new(&policy(3, None), Duration::ZERO);
    assert_eq!(
        s.on_failure(Verdict::RETRY_UNCOUNTED, Duration::ZERO),
        Decision::Retry(secs(1))
    );
}

#[test]
fn an_imposed_wait_is_honoured_when_it_fits_and_refused_when_it_does_not() {
    let mut s = RetryState::new(&policy(5, Some(30)), Duration::ZERO);
    // The breaker half-opens in 12 s: wait for it rather than the 1 s backoff.
    let d = s.on_failure_with_min_wait(Verdict::TRANSIENT, secs(12), Duration::ZERO);
    assert_eq!(d, Decision::Retry(secs(12)));
    // A short imposed wait does not shorten the backoff (2 s).
    assert_eq!(
        s.on_failure_with_min_wait(Verdict::TRANSIENT, secs(1), secs(12)),
        Decision::Retry(secs(2))
    );
    // 20 s left, the circuit stays open for 25 s: stop now rather than sleep into it.
    assert!(!s.fits(secs(25), secs(10)));
    let d = s.on_failure_with_min_wait(Verdict::TRANSIENT, secs(25), secs(10));
    assert_eq!(d, Decision::Stop(RetryErrorKind::Deadline));
}

#[test]
fn a_wait_that_would_end_at_or_past_the_deadline_stops_the_call() {
    // The behaviour table: "the next wait would end at or past the deadline: ends now
    // with `Deadline`", as the engine does; no wait is trimmed to end at the deadline,
    // which would leave the next attempt no time at all.
    let mut s = RetryState::new(&policy(10, Some(10)), Duration::ZERO);
    assert_eq!(s.remaining(secs(9)), Some(secs(1)));
    assert_eq!(
        s.on_failure(Verdict::TRANSIENT, Duration::ZERO),
        Decision::Retry(secs(1))
    );
    // At 9.5 s the 2 s backoff would end past the deadline.
    let now = Duration::from_millis(9500);
    assert_eq!(
        s.on_failure(Verdict::TRANSIENT, now),
        Decision::Stop(RetryErrorKind::Deadline)
    );
    // At 6 s the 4 s backoff would end exactly at it.
    let mut s = RetryState::new(&policy(10, Some(10)), Duration::ZERO);
    for (now, wait) in [(0, 1), (1, 2)] {
        assert_eq!(
            s.on_failure(Verdict::TRANSIENT, secs(now)),
            Decision::Retry(secs(wait))
        );
    }
    assert_eq!(
        s.on_failure(Verdict::TRANSIENT, secs(6)),
        Decision::Stop(RetryErrorKind::Deadline)
    );
    // A delay hint is no different.
    let mut s = RetryState::new(&policy(10, Some(10)), Duration::ZERO);
    let hint = Verdict::TRANSIENT.with_delay_hint(secs(2));
    assert_eq!(
        s.on_failure(hint, now),
        Decision::Stop(RetryErrorKind::Deadline)
    );
    // A wait that ends a nanosecond before the deadline is made.
    let mut s = RetryState::new(&policy(10, Some(10)), Duration::ZERO);
    let just_before = secs(9) - Duration::from_nanos(1);
    assert_eq!(
        s.on_failure(Verdict::TRANSIENT, just_before),
        Decision::Retry(secs(1))
    );
}

#[test]
fn without_a_deadline_everything_fits() {
    let s = RetryState::new(&policy(3, None), Duration::ZERO);
    assert!(s.fits(Duration::MAX, Duration::MAX));
    assert_eq!(s.remaining(secs(5)), None);
}

#[test]
fn attempts_saturate_instead_of_wrapping() {
    let mut s = RetryState::new(&policy(u32::MAX, None), Duration::ZERO);
    for _ in 0..1000 {
        assert!(matches!(
            s.on_failure(Verdict::TRANSIENT, Duration::MAX),
            Decision::Retry(_)
        ));
    }
    assert_eq!(s.attempts(), 1000);
}

#[test]
fn a_clock_that_goes_backwards_does_not_panic() {
    let mut s = RetryState::new(&policy(3, Some(5)), secs(100));
    assert_eq!(s.elapsed(secs(50)), Duration::ZERO);
    assert_eq!(
        s.on_failure(Verdict::TRANSIENT, secs(50)),
        Decision::Retry(secs(1))
    );
}

#[test]
fn a_minimum_wait_that_ends_exactly_at_the_deadline_does_not_fit() {
    let mut state = RetryState::new(&policy(3, Some(10)), Duration::ZERO);
    assert!(!state.fits(secs(10), Duration::ZERO));
    assert_eq!(
        state.on_failure_with_min_wait(Verdict::TRANSIENT, secs(10), Duration::ZERO),
        Decision::Stop(RetryErrorKind::Deadline)
    );
    let just_before = secs(10) - Duration::from_nanos(1);
    let mut state = RetryState::new(&policy(3, Some(10)), Duration::ZERO);
    assert!(state.fits(just_before, Duration::ZERO));
    assert_eq!(
        state.on_failure_with_min_wait(Verdict::TRANSIENT, just_before, Duration::ZERO),
        Decision::Retry(just_before)
    );
}
