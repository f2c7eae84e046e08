//! Recovery can never be wedged, and what the breaker reports matches what the next call
//! will meet: a hung probe, the reported state once the open period has passed, the
//! exact end of an open period, bounded jitter, windows and generations that outlive
//! their period.

use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitState};

const S: fn(u64) -> Duration = Duration::from_secs;

fn tripped(fake: &FakeClock) -> CircuitBreaker {
    let b = CircuitBreaker::builder("db")
        .failure_threshold(1)
        .clock(fake.clock())
        .build()
        .unwrap();
    b.try_acquire().unwrap().failure();
    b
}

#[test]
fn a_hung_probe_holds_the_circuit_no_longer_than_the_recovery_timeout_by_default() {
    let fake = FakeClock::new();
    let b = tripped(&fake);
    fake.advance(S(60));
    let hung = b.try_acquire().unwrap();
    assert!(hung.is_probe());
    fake.advance(S(59));
    assert_eq!(b.try_acquire().unwrap_err().retry_after(), None, "probing");
    assert_eq!(b.state(), CircuitState::HalfOpen);
    fake.advance(S(1));
    // The half-open timeout (by default the recovery timeout) has passed: the next call
    // reopens the circuit for another open period.
    let open = b.try_acquire().unwrap_err();
    assert_eq!(open.retry_after(), Some(S(60)));
    assert_eq!(b.state(), CircuitState::Open);
    fake.advance(S(60));
    let probe = b.try_acquire().unwrap();
    assert!(probe.is_probe(), "a new probe is let through");
    hung.success(); // too late: ignored
    assert_eq!(b.state(), CircuitState::HalfOpen);
    probe.success();
    assert_eq!(b.state(), CircuitState::Closed);
}

#[test]
fn the_state_reads_half_open_once_the_open_period_has_passed() {
    let fake = FakeClock::new();
    let b = tripped(&fake);
    fake.advance(S(59));
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(b.retry_in(), Some(S(1)));
    assert_eq!(b.snapshot().retry_in, Some(S(1)));
    fake.advance(S(1));
    for _ in 0..3 {
        assert_eq!(b.state(), CircuitState::HalfOpen, "a probe is due");
        let snap = b.snapshot();
        assert_eq!((snap.state, snap.retry_in), (CircuitState::HalfOpen, None));
        assert_eq!(b.retry_in(), None);
        assert!(format!("{b:?}").contains("HalfOpen"), "{b:?}");
    }
    // Reading moved nothing: no transition was made, the probe slot is still free.
    assert_eq!(b.recent_transitions().len(), 1);
    assert!(b.try_acquire().unwrap().is_probe());
}

#[test]
fn a_probe_is_let_through_exactly_when_the_recovery_timeout_ends() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("db")
        .failure_threshold(1)
        .clock(fake.clock())
        .build()
        .unwrap();
    // Trip between two milliseconds.
    fake.advance(Duration::from_micros(500));
    b.try_acquire().unwrap().failure();
    fake.advance(S(60) - Duration::from_nanos(1));
    assert_eq!(
        b.try_acquire().unwrap_err().retry_after(),
        Some(Duration::from_nanos(1))
    );
    fake.advance(Duration::from_nanos(1));
    assert!(b.try_acquire().unwrap().is_probe());
}

#[test]
fn open_jitter_never_shortens_the_open_period_below_half() {
    let err = CircuitBreaker::builder("db")
        .open_jitter(1.0)
        .build()
        .unwrap_err();
    assert_eq!((err.field(), err.value()), ("open_jitter", "1"));
    assert_eq!(
        err.to_string(),
        "invalid open_jitter `1`: must be in [0, 0.5]"
    );
    for seed in 0..200 {
        let fake = FakeClock::new();
        let b = CircuitBreaker::builder("db")
            .failure_threshold(1)
            .open_jitter(0.5)
            .seed(seed)
            .clock(fake.clock())
            .build()
            .unwrap();
        b.try_acquire().unwrap().failure();
        let wait = b.try_acquire().unwrap_err().retry_after().unwrap();
        assert!(wait >= S(30) && wait <= S(60), "{wait:?}");
    }
}

#[test]
fn a_huge_transition_history_is_a_config_error_not_a_panic() {
    let err = CircuitBreaker::builder("db")
        .transition_history(usize::MAX)
        .build()
        .unwrap_err();
    assert_eq!(
        (err.field(), err.value()),
        ("transition_history", &*usize::MAX.to_string())
    );
    let b = CircuitBreaker::builder("db")
        .transition_history(4096)
        .clock(FakeClock::new().clock())
        .build()
        .unwrap();
    b.force_open();
    assert_eq!(b.recent_transitions().len(), 1);
}

#[test]
fn a_time_window_bucket_left_alone_for_65536_periods_does_not_come_back() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("db")
        .time_window(S(4), 4)
        .clock(fake.clock())
        .build()
        .unwrap();
    // Bucket 1 gets a failure; after that only even buckets see calls, so bucket 1's slot
    // is never written again, and no gap is ever long enough to clear the whole window.
    fake.advance(S(1));
    b.try_acquire().unwrap().failure();
    fake.advance(S(1));
    for _ in 0..(65_536 / 2) {
        b.try_acquire().unwrap().success();
        fake.advance(S(2));
    }
    // Bucket 65 538: its slot's tag equals the forgotten bucket 1's modulo 2¹⁶.
    assert_eq!(fake.now(), S(65_538));
    b.try_acquire().unwrap().success();
    let snap = b.snapshot();
    assert_eq!((snap.failure_count, snap.calls_in_window), (0, 2));
}
