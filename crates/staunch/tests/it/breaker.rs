//! The breaker's state machine through its public API: the seed's semantics, then
//! probes, generations, growing open periods and delay hints.

use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{BreakerError, CircuitBreaker, CircuitState, Verdict};

const S: fn(u64) -> Duration = Duration::from_secs;

fn seed(fake: &FakeClock) -> CircuitBreaker {
    CircuitBreaker::builder("llm")
        .clock(fake.clock())
        .build()
        .unwrap()
}

fn fail(b: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    b.call_blocking(|| Err("boom"))
}

fn pass(b: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    b.call_blocking(|| Ok(()))
}

#[test]
fn seed_defaults_open_after_five_consecutive_failures_for_sixty_seconds() {
    let fake = FakeClock::new();
    let b = seed(&fake);
    for n in 1..=4 {
        assert!(matches!(fail(&b), Err(BreakerError::Inner("boom"))));
        assert_eq!((b.state(), b.failure_count()), (CircuitState::Closed, n));
    }
    fail(&b).unwrap_err();
    assert_eq!((b.state(), b.failure_count()), (CircuitState::Open, 5));
    let err = pass(&b).unwrap_err();
    let open = err.as_open().expect("rejected");
    assert_eq!((open.name(), open.retry_after()), ("llm", Some(S(60))));
    fake.advance(S(59));
    assert_eq!(
        pass(&b).unwrap_err().as_open().unwrap().retry_after(),
        Some(S(1))
    );
    fake.advance(S(1));
    pass(&b).unwrap();
    assert_eq!((b.state(), b.failure_count()), (CircuitState::Closed, 0));
}

#[test]
fn a_success_resets_the_count_and_ignored_errors_count_neither_way() {
    let fake = FakeClock::new();
    let b = seed(&fake);
    for _ in 0..4 {
        fail(&b).unwrap_err();
    }
    pass(&b).unwrap();
    assert_eq!(b.failure_count(), 0);
    for _ in 0..4 {
        fail(&b).unwrap_err();
    }
    let ignore = |_: &&str| Verdict::IGNORE;
    for _ in 0..10 {
        b.call_blocking_with(ignore, || Err::<(), _>("not found"))
            .unwrap_err();
    }
    assert_eq!((b.state(), b.failure_count()), (CircuitState::Closed, 4));
}

#[test]
fn a_failed_probe_reopens_for_another_full_period() {
    let fake = FakeClock::new();
    let b = seed(&fake);
    for _ in 0..5 {
        fail(&b).unwrap_err();
    }
    fake.advance(S(60));
    assert_eq!(
        b.state(),
        CircuitState::HalfOpen,
        "reported half-open once the period has passed, as the seed does"
    );
    assert_eq!(b.snapshot().retry_in, None);
    assert!(
        matches!(fail(&b), Err(BreakerError::Inner(_))),
        "the probe ran"
    );
    assert_eq!((b.state(), b.failure_count()), (CircuitState::Open, 6));
    assert_eq!(
        pass(&b).unwrap_err().as_open().unwrap().retry_after(),
        Some(S(60))
    );
}

#[test]
fn half_open_admits_the_configured_probes_and_needs_the_success_threshold() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("db")
        .failure_threshold(1)
        .half_open_probes(3)
        .success_threshold(2)
        .clock(fake.clock())
        .build()
        .unwrap();
    fail(&b).unwrap_err();
    fake.advance(S(60));
    let probes: Vec<_> = (0..3).map(|_| b.try_acquire().unwrap()).collect();
    assert!(probes.iter().all(|p| p.is_probe()));
    let rejected = b.try_acquire().unwrap_err();
    assert_eq!(rejected.retry_after(), None, "all probe slots taken");
    assert_eq!(b.state(), CircuitState::HalfOpen);
    let mut probes = probes.into_iter();
    probes.next().unwrap().success();
    assert_eq!(b.state(), CircuitState::HalfOpen);
    probes.next().unwrap().success();
    assert_eq!(b.state(), CircuitState::Closed);
    probes.next().unwrap().failure(); // late: its generation has passed
    assert_eq!((b.state(), b.failure_count()), (CircuitState::Closed, 0));
}

#[test]
fn outcomes_from_an_older_generation_are_ignored() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("db")
        .failure_threshold(2)
        .clock(fake.clock())
        .build()
        .unwrap();
    let slow_success = b.try_acquire().unwrap();
    let slow_failure = b.try_acquire().unwrap();
    fail(&b).unwrap_err();
    fail(&b).unwrap_err();
    fake.advance(S(60));
    let probe = b.try_acquire().unwrap();
    slow_success.success(); // would close the circuit if it counted
    assert_eq!(b.state(), CircuitState::HalfOpen);
    probe.success();
    slow_failure.failure(); // would count a failure if it counted
    assert_eq!((b.state(), b.failure_count()), (CircuitState::Closed, 0));
}

#[test]
fn the_open_period_grows_on_consecutive_trips_and_resets_on_close() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("db")
        .failure_threshold(1)
        .recovery_timeout(S(10))
        .open_backoff(S(35))
        .clock(fake.clock())
        .build()
        .unwrap();
    fail(&b).unwrap_err();
    let mut periods = Vec::new();
    for _ in 0..4 {
        let wait = b.try_acquire().unwrap_err().retry_after().unwrap();
        periods.push(wait);
        fake.advance(wait);
        fail(&b).unwrap_err(); // the probe fails
    }
    assert_eq!(periods, [S(10), S(20), S(35), S(35)]);
    assert_eq!(b.snapshot().consecutive_trips, 5);
    fake.advance(S(35));
    pass(&b).unwrap();
    assert_eq!(b.snapshot().consecutive_trips, 0);
    fail(&b).unwrap_err();
    assert_eq!(b.try_acquire().unwrap_err().retry_after(), Some(S(10)));
}

#[test]
fn jittered_open_periods_stay_under_the_cap_and_repeat_from_a_seed() {
    let periods = |seed: u64| {
        let fake = FakeClock::new();
        let b = CircuitBreaker::builder("db")
            .failure_threshold(1)
            .recovery_timeout(S(10))
            .open_backoff(S(40))
            .open_jitter(0.5)
            .seed(seed)
            .clock(fake.clock())
            .build()
            .unwrap();
        fail(&b).unwrap_err();
        (0..6)
            .map(|_| {
                let wait = b.try_acquire().unwrap_err().retry_after().unwrap();
                fake.advance(wait);
                fail(&b).unwrap_err();
                wait
            })
            .collect::<Vec<_>>()
    };
    let a = periods(42);
    assert_eq!(a, periods(42));
    assert_ne!(a, periods(43));
    assert!(a.iter().all(|d| *d <= S(40)));
    assert!(
        a[3..].windows(2).any(|w| w[0] != w[1]),
        "random at the cap: {a:?}"
    );
}

#[test]
fn a_delay_hint_holds_the_circuit_open_when_asked_and_is_capped() {
    let hinted = |cap: Option<Duration>, hint: Duration| {
        let fake = FakeClock::new();
        let mut builder = CircuitBreaker::builder("api")
            .failure_threshold(1)
            .recovery_timeout(S(5));
        if let Some(cap) = cap {
            builder = builder.hold_open_on_delay_hint(cap);
        }
        let b = builder.clock(fake.clock()).build().unwrap();
        let with_hint = move |_: &&str| Verdict::TRANSIENT.with_delay_hint(hint);
        b.call_blocking_with(with_hint, || Err::<(), _>("429"))
            .unwrap_err();
        b.try_acquire().unwrap_err().retry_after().unwrap()
    };
    assert_eq!(hinted(None, S(30)), S(5), "off by default");
    assert_eq!(hinted(Some(S(120)), S(30)), S(30));
    assert_eq!(hinted(Some(S(120)), S(3600)), S(120));
    assert_eq!(
        hinted(Some(S(120)), S(1)),
        S(5),
        "never shorter than the open period"
    );
}

#[test]
fn call_with_takes_a_bool_predicate_like_when() {
    let fake = staunch::test_util::FakeClock::new();
    let breaker = staunch::CircuitBreaker::builder("predicate")
        .failure_threshold(1)
        .clock(fake.clock())
        .build()
        .unwrap();
    let timeouts = |e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut;
    let not_found = || Err::<(), _>(std::io::Error::from(std::io::ErrorKind::NotFound));
    assert!(breaker.call_blocking_with(timeouts, not_found).is_err());
    assert_eq!(breaker.failure_count(), 0, "false passes through uncounted");
    let timed_out = || Err::<(), _>(std::io::Error::from(std::io::ErrorKind::TimedOut));
    assert!(breaker.call_blocking_with(timeouts, timed_out).is_err());
    assert_eq!(breaker.state().as_str(), "open", "true counts");
}
