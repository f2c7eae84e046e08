//! Manual control, inspection and observation of a breaker: forced states, listeners,
//! the transition ring, errors, settings errors, the watch channel, the snapshot's JSON.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{BreakerError, CircuitBreaker, CircuitState, Event};

const S: fn(u64) -> Duration = Duration::from_secs;

fn fail(b: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    b.call_blocking(|| Err("boom"))
}

fn pass(b: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    b.call_blocking(|| Ok(()))
}
#[test]
fn manual_control_moves_between_every_state_and_back() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("db")
        .failure_threshold(2)
        .clock(fake.clock())
        .build()
        .unwrap();
    b.force_open();
    fake.advance(S(3600));
    assert!(b.try_acquire().is_err(), "forced open never probes");
    assert_eq!(b.state(), CircuitState::ForcedOpen);
    b.disable();
    for _ in 0..10 {
        fail(&b).unwrap_err();
    }
    assert_eq!(
        (b.state(), b.failure_count()),
        (CircuitState::Disabled, 10),
        "measures, never opens"
    );
    b.close();
    assert_eq!((b.state(), b.failure_count()), (CircuitState::Closed, 0));
    fail(&b).unwrap_err();
    fail(&b).unwrap_err();
    assert_eq!(b.state(), CircuitState::Open);
    b.reset();
    assert_eq!(b.state(), CircuitState::Closed);
    let to: Vec<_> = b
        .recent_transitions()
        .iter()
        .map(|t| t.to.as_str())
        .collect();
    assert_eq!(to, ["forced_open", "disabled", "closed", "open", "closed"]);
}

#[test]
fn state_is_side_effect_free() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("db")
        .failure_threshold(1)
        .clock(fake.clock())
        .build()
        .unwrap();
    fail(&b).unwrap_err();
    fake.advance(S(60));
    for _ in 0..100 {
        assert_eq!(b.state(), CircuitState::HalfOpen);
        let _ = b.snapshot();
        let _ = b.failure_count();
    }
    assert!(
        b.try_acquire().unwrap().is_probe(),
        "the probe slot is still free"
    );
}

#[test]
fn listeners_see_transitions_and_rejections_and_a_panicking_one_is_harmless() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("llm")
        .failure_threshold(1)
        .clock(fake.clock())
        .build()
        .unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = events.clone();
    b.add_listener(|_| panic!("listener bug"));
    let id = b.add_listener(move |e| log.lock().unwrap().push(e.clone()));
    fake.advance(S(1));
    fail(&b).unwrap_err();
    pass(&b).unwrap_err();
    assert!(b.remove_listener(id));
    pass(&b).unwrap_err();
    let events = events.lock().unwrap();
    assert_eq!(events.len(), 2);
    let Event::Transition(t) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (t.name.as_str(), t.from, t.to, t.at),
        ("llm", CircuitState::Closed, CircuitState::Open, S(1))
    );
    assert!(
        matches!(&events[1], Event::Rejected { name, retry_in: Some(d) } if name == "llm" && *d == S(60))
    );
    assert_eq!(b.snapshot().rejected_calls, 2);
}

#[test]
fn recent_transitions_are_a_bounded_ring() {
    let b = CircuitBreaker::builder("db")
        .transition_history(3)
        .clock(FakeClock::new().clock())
        .build()
        .unwrap();
    for _ in 0..5 {
        b.force_open();
        b.reset();
    }
    let ring = b.recent_transitions();
    assert_eq!(ring.len(), 3);
    assert_eq!(
        (ring[0].to, ring[1].to, ring[2].to),
        (
            CircuitState::Closed,
            CircuitState::ForcedOpen,
            CircuitState::Closed
        )
    );
}

/// Drives `b` through 2²¹ changes of state (the width of the state word's generation),
/// ending closed as it began.
fn change_state_two_to_the_21_times(b: &CircuitBreaker) {
    for _ in 0..1 << 20 {
        b.force_open();
        b.reset();
    }
    assert_eq!(b.state(), CircuitState::Closed);
}

#[test]
fn a_permit_held_across_two_to_the_21_changes_of_state_counts_nothing() {
    let b = CircuitBreaker::builder("db")
        .failure_threshold(1)
        .clock(FakeClock::new().clock())
        .build()
        .unwrap();
    let held = b.try_acquire().unwrap();
    change_state_two_to_the_21_times(&b);
    held.failure();
    assert_eq!(
        (b.state(), b.failure_count()),
        (CircuitState::Closed, 0),
        "an outcome from 2^21 changes ago is not of this closed period"
    );
    fail(&b).unwrap_err();
    assert_eq!(
        b.state(),
        CircuitState::Open,
        "a current failure still counts"
    );
}

#[test]
fn a_window_drops_the_outcome_of_a_permit_held_across_two_to_the_21_changes() {
    let b = CircuitBreaker::builder("db")
        .count_window(4)
        .minimum_calls(1)
        .failure_rate_threshold(0.5)
        .clock(FakeClock::new().clock())
        .build()
        .unwrap();
    let held = b.try_acquire().unwrap();
    change_state_two_to_the_21_times(&b);
    held.failure();
    let snap = b.snapshot();
    assert_eq!(
        (snap.state, snap.calls_in_window),
        (CircuitState::Closed, 0),
        "an outcome from 2^21 changes ago is not counted in this closed period"
    );
}

#[test]
fn circuit_open_and_breaker_error_read_well() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("llm")
        .failure_threshold(1)
        .clock(fake.clock())
        .build()
        .unwrap();
    fail(&b).unwrap_err();
    fake.advance(Duration::from_millis(47_700));
    let open = b.try_acquire().unwrap_err();
    assert_eq!(
        open.to_string(),
        "circuit `llm` is open; next probe in 12.3s"
    );
    fake.advance(Duration::from_millis(12_050));
    assert_eq!(
        b.try_acquire().unwrap_err().to_string(),
        "circuit `llm` is open; next probe in 250ms"
    );

    let io = b
        .call_blocking(|| Err::<(), _>(std::io::Error::other("reset")))
        .unwrap_err();
    let source = std::error::Error::source(&io);
    assert!(source.is_none(), "a rejection has no source");
    fn send_sync<T: Send + Sync + std::error::Error + 'static>(_: &T) {}
    send_sync(&io);
}

#[test]
fn inner_errors_chain_through_source() {
    let b = CircuitBreaker::builder("db")
        .clock(FakeClock::new().clock())
        .build()
        .unwrap();
    let err = b
        .call_blocking(|| Err::<(), _>(std::io::Error::other("reset")))
        .unwrap_err();
    let source = std::error::Error::source(&err).unwrap();
    assert_eq!(source.to_string(), "reset");
    assert_eq!(err.to_string(), "protected call failed");
}

#[test]
fn builder_errors_name_the_field_and_value() {
    let b = || CircuitBreaker::builder("x");
    let cases = [
        (b().failure_threshold(0).build(), "failure_threshold", "0"),
        (
            b().recovery_timeout(Duration::ZERO).build(),
            "recovery_timeout",
            "0s",
        ),
        (b().count_window(0).build(), "count_window", "0"),
        (
            b().count_window(10).failure_threshold(3).build(),
            "failure_threshold",
            "3",
        ),
        (
            b().failure_rate_threshold(0.5).build(),
            "failure_rate_threshold",
            "0.5",
        ),
        (
            b().count_window(10).failure_rate_threshold(0.0).build(),
            "failure_rate_threshold",
            "0",
        ),
        (
            b().count_window(10).minimum_calls(11).build(),
            "minimum_calls",
            "11",
        ),
        (
            b().time_window(S(10), 0).build(),
            "time_window",
            "0 buckets",
        ),
        (b().half_open_probes(0).build(), "half_open_probes", "0"),
        (
            b().half_open_probes(2).success_threshold(3).build(),
            "success_threshold",
            "3",
        ),
        (
            b().recovery_timeout(S(10)).open_backoff(S(5)).build(),
            "open_backoff",
            "5s",
        ),
        (b().open_jitter(1.5).build(), "open_jitter", "1.5"),
        (CircuitBreaker::builder("").build(), "name", ""),
    ];
    for (result, field, value) in cases {
        let err = result.unwrap_err();
        assert_eq!((err.field(), err.value()), (field, value), "{err}");
    }
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn watch_follows_every_transition() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("db")
        .failure_threshold(1)
        .clock(fake.clock())
        .build()
        .unwrap();
    let mut states = b.watch();
    assert_eq!(*states.borrow(), CircuitState::Closed);
    fail(&b).unwrap_err();
    states.changed().await.unwrap();
    assert_eq!(*states.borrow_and_update(), CircuitState::Open);
    fake.advance(S(60));
    let probe = b.try_acquire().unwrap();
    states.changed().await.unwrap();
    assert_eq!(*states.borrow_and_update(), CircuitState::HalfOpen);
    probe.success();
    states.changed().await.unwrap();
    assert_eq!(*states.borrow_and_update(), CircuitState::Closed);
}

#[cfg(feature = "serde")]
#[test]
fn the_snapshot_serializes_with_exactly_the_agreed_fields() {
    let fake = FakeClock::new();
    let b = CircuitBreaker::builder("llm")
        .failure_threshold(1)
        .clock(fake.clock())
        .build()
        .unwrap();
    fake.advance(Duration::from_millis(1234));
    let json = serde_json::to_value(b.snapshot()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"name":"llm","state":"closed","failure_count":0,"failure_rate":null,
            "slow_call_rate":null,"calls_in_window":0,"rejected_calls":0,"time_in_state_ms":1234,
            "retry_in_ms":null,"consecutive_trips":0})
    );
    fail(&b).unwrap_err();
    fake.advance(S(10));
    let json = serde_json::to_value(b.snapshot()).unwrap();
    assert_eq!(
        (json["state"].as_str(), json["retry_in_ms"].as_u64()),
        (Some("open"), Some(50_000))
    );
    let state: CircuitState = serde_json::from_value(json["state"].clone()).unwrap();
    assert_eq!(state, CircuitState::Open);
}

#[test]
fn handles_permits_futures_and_errors_cross_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let b = CircuitBreaker::builder("db")
        .clock(FakeClock::new().clock())
        .build()
        .unwrap();
    send_sync(&b);
    send_sync(&b.try_acquire().unwrap());
    send_sync(&b.try_acquire_owned().unwrap());
    send(&b.call(|| async { Ok::<_, std::io::Error>(()) }));
    send_sync(&BreakerError::<std::io::Error>::Inner(
        std::io::Error::other("x"),
    ));
    send_sync(&staunch::Registry::new());
    send_sync(&staunch::KeyedBreakers::<String>::new(CircuitBreaker::builder("k"), 1).unwrap());
}
