//! loom models of the breaker's atomic state machine. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p staunch --test loom_breaker --release`.
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use loom::sync::atomic::AtomicUsize as LoomUsize;
use loom::thread;
use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitState, Event};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// Three callers race for two half-open probe slots; at no moment are more than two
/// probes in flight, and a dropped probe frees its slot.
#[test]
fn half_open_limit_is_never_exceeded() {
    model(|| {
        let fake = FakeClock::new();
        let breaker = CircuitBreaker::builder("m")
            .failure_threshold(1)
            .half_open_probes(2)
            .success_threshold(2)
            .clock(fake.clock())
            .build()
            .unwrap();
        breaker.try_acquire().unwrap().failure();
        fake.advance(Duration::from_secs(60));
        // A loom atomic, so that interleavings between admission and release are explored.
        let in_flight = loom::sync::Arc::new(LoomUsize::new(0));
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let (breaker, in_flight) = (breaker.clone(), in_flight.clone());
                thread::spawn(move || {
                    if let Ok(permit) = breaker.try_acquire() {
                        let before = in_flight.fetch_add(1, Ordering::SeqCst);
                        assert!(before < 2, "a third probe was admitted");
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        drop(permit);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        // Every slot came back: two probes fit again.
        let a = breaker.try_acquire().unwrap();
        let b = breaker.try_acquire().unwrap();
        assert!(breaker.try_acquire().is_err());
        a.success();
        b.success();
        assert_eq!(breaker.state(), CircuitState::Closed);
    });
}

/// Concurrent failures of one generation open the circuit exactly once.
#[test]
fn concurrent_failures_open_exactly_once() {
    model(|| {
        let breaker = CircuitBreaker::builder("m")
            .failure_threshold(2)
            .clock(FakeClock::new().clock())
            .build()
            .unwrap();
        let opened = Arc::new(AtomicUsize::new(0));
        let counter = opened.clone();
        breaker.add_listener(move |e| {
            if matches!(e, Event::Transition(t) if t.to == CircuitState::Open) {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let permits: Vec<_> = (0..3)
            .map(|_| breaker.try_acquire_owned().unwrap())
            .collect();
        let handles: Vec<_> = permits
            .into_iter()
            .map(|permit| thread::spawn(move || permit.failure()))
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(opened.load(Ordering::SeqCst), 1);
        assert_eq!(breaker.recent_transitions().len(), 1);
    });
}

/// Transitions made concurrently by a tripping failure, a probe and manual actions
/// form one unbroken chain: each starts where the previous ended, and the last ends in
/// the final state.
#[test]
fn no_transition_is_lost() {
    model(|| {
        let fake = FakeClock::new();
        let breaker = CircuitBreaker::builder("m")
            .failure_threshold(1)
            .recovery_timeout(Duration::from_millis(1))
            .clock(fake.clock())
            .build()
            .unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        breaker.add_listener(move |e| {
            if let Event::Transition(t) = e {
                log.lock().unwrap().push((t.from, t.to));
            }
        });
        let permit = breaker.try_acquire_owned().unwrap();
        let b1 = breaker.clone();
        let t1 = thread::spawn(move || permit.failure());
        let t2 = thread::spawn(move || b1.force_open());
        let b3 = breaker.clone();
        let t3 = thread::spawn(move || b3.reset());
        for h in [t1, t2, t3] {
            h.join().unwrap();
        }
        let chain: Vec<_> = breaker
            .recent_transitions()
            .iter()
            .map(|t| (t.from, t.to))
            .collect();
        assert!(!chain.is_empty());
        assert_eq!(chain[0].0, CircuitState::Closed);
        for pair in chain.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "broken chain {chain:?}");
        }
        assert_eq!(chain.last().unwrap().1, breaker.state());
        assert_eq!(
            seen.lock().unwrap().len(),
            chain.len(),
            "every transition was announced"
        );
    });
}

/// Two threads record into a two-call count window at once: whatever the interleaving,
/// the counters end consistent with two outcomes, and transient counts never trip the
/// circuit (only two failures out of two would).
#[test]
fn count_window_counters_stay_consistent() {
    model(|| {
        let breaker = CircuitBreaker::builder("m")
            .count_window(2)
            .failure_rate_threshold(1.0)
            .clock(FakeClock::new().clock())
            .build()
            .unwrap();
        let a = breaker.try_acquire_owned().unwrap();
        let b1 = breaker.try_acquire_owned().unwrap();
        let b2 = breaker.try_acquire_owned().unwrap();
        let t1 = thread::spawn(move || a.failure());
        let t2 = thread::spawn(move || {
            b1.success();
            b2.success();
        });
        t1.join().unwrap();
        t2.join().unwrap();
        let snap = breaker.snapshot();
        assert_eq!(snap.calls_in_window, 2);
        assert!(snap.failure_count <= 1);
        assert_eq!(snap.state, CircuitState::Closed);
    });
}
