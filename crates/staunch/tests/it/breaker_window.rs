//! Failure-rate windows and slow calls.

use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitState};

const S: fn(u64) -> Duration = Duration::from_secs;

#[test]
fn the_count_window_slides_after_a_thousand_successes_five_failures_open_it() {
    let b = CircuitBreaker::builder("api")
        .count_window(10)
        .failure_rate_threshold(0.5)
        .clock(FakeClock::new().clock())
        .build()
        .unwrap();
    for _ in 0..1000 {
        b.try_acquire().unwrap().success();
    }
    for n in 1..=4 {
        b.try_acquire().unwrap().failure();
        assert_eq!((b.state(), b.failure_count()), (CircuitState::Closed, n));
    }
    b.try_acquire().unwrap().failure();
    assert_eq!(b.state(), CircuitState::Open);
    let snap = b.snapshot();
    assert_eq!((snap.failure_rate, snap.calls_in_window), (Some(0.5), 10));
}

#[test]
fn the_count_window_needs_its_minimum_calls_and_forgets_old_failures() {
    let b = CircuitBreaker::builder("api")
        .count_window(10)
        .minimum_calls(4)
        .clock(FakeClock::new().clock())
        .build()
        .unwrap();
    for _ in 0..3 {
        b.try_acquire().unwrap().failure();
    }
    assert_eq!(b.snapshot().failure_rate, None, "3 calls < 4");
    assert_eq!(b.state(), CircuitState::Closed);
    b.try_acquire().unwrap().success();
    assert_eq!(b.state(), CircuitState::Open, "3 of 4 = 75 %");

    b.reset();
    for i in 0..100 {
        if i % 4 == 0 {
            b.try_acquire().unwrap().failure();
        } else {
            b.try_acquire().unwrap().success();
        }
    }
    assert_eq!(
        b.state(),
        CircuitState::Closed,
        "a quarter of the calls fail"
    );
}

#[test]
fn a_recovered_circuit_starts_with_an_empty_window() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("api")
        .count_window(4)
        .clock(fake.clock())
        .build()
        .unwrap();
    for _ in 0..4 {
        b.try_acquire().unwrap().failure();
    }
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(
        b.snapshot().failure_count,
        4,
        "the window that tripped stays visible"
    );
    fake.advance(S(60));
    b.try_acquire().unwrap().success();
    assert_eq!(b.state(), CircuitState::Closed);
    let snap = b.snapshot();
    assert_eq!((snap.calls_in_window, snap.failure_count), (0, 0));
    b.try_acquire().unwrap().failure();
    assert_eq!(
        b.state(),
        CircuitState::Closed,
        "one failure in an empty window"
    );
}

#[test]
fn the_time_window_forgets_outcomes_older_than_its_length() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("api")
        .time_window(S(10), 10)
        .minimum_calls(4)
        .failure_rate_threshold(0.5)
        .clock(fake.clock())
        .build()
        .unwrap();
    for _ in 0..3 {
        b.try_acquire().unwrap().failure();
    }
    fake.advance(S(10));
    b.try_acquire().unwrap().failure();
    assert_eq!(b.state(), CircuitState::Closed, "the first three slid out");
    assert_eq!(b.snapshot().calls_in_window, 1);
    for _ in 0..3 {
        fake.advance(S(1));
        b.try_acquire().unwrap().success();
    }
    assert_eq!(b.snapshot().failure_rate, Some(0.25));
    b.try_acquire().unwrap().failure();
    assert_eq!(b.state(), CircuitState::Closed, "2 of 5 = 40 %");
    b.try_acquire().unwrap().failure();
    assert_eq!(b.state(), CircuitState::Open, "3 of 6 = 50 %");
}

#[test]
fn slow_successes_open_the_circuit_by_their_own_rate() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("llm")
        .count_window(4)
        .slow_calls(S(2), 0.5)
        .clock(fake.clock())
        .build()
        .unwrap();
    let slow = |b: &CircuitBreaker| {
        let permit = b.try_acquire().unwrap();
        fake.advance(S(3));
        permit.success();
    };
    b.try_acquire().unwrap().success();
    slow(&b);
    b.try_acquire().unwrap().success();
    assert_eq!(b.state(), CircuitState::Closed);
    slow(&b);
    assert_eq!(b.state(), CircuitState::Open);
    let snap = b.snapshot();
    assert_eq!(
        (snap.slow_call_rate, snap.failure_rate),
        (Some(0.5), Some(0.0))
    );
}

#[test]
fn a_slow_probe_counts_as_a_failed_one() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("llm")
        .count_window(2)
        .slow_calls(S(2), 1.0)
        .clock(fake.clock())
        .build()
        .unwrap();
    b.try_acquire().unwrap().failure();
    b.try_acquire().unwrap().failure();
    fake.advance(S(60));
    let probe = b.try_acquire().unwrap();
    fake.advance(S(5));
    probe.success();
    assert_eq!(b.state(), CircuitState::Open);
}
