//! loom models of the breaker's atomic state machine. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p staunch --test loom_breaker --release`.
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use loom::sync::atomic::AtomicUsize as LoomUsize;
use loom::thread;
use staunch::breaker::CircuitBreakerBuilder as BreakerBuilder;
use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitState, Event};

fn model(f: impl Fn() + Sync + Send + 'static) {
    bounded(3, f);
}

/// Explores every interleaving with at most `preemptions` preemptions. The races of a
/// late publication need one (the thread is preempted between its CAS and its
/// publication, and resumes when the other is done); one keeps those models to seconds.
fn bounded(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
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

/// Keeps the handle an authority is given, so a model can move the breaker through it.
#[derive(Debug, Default)]
struct Remote(Mutex<Option<staunch::breaker::AuthorityHandle>>);

impl staunch::breaker::Authority for Remote {
    fn attach(&self, handle: staunch::breaker::AuthorityHandle) {
        *self.0.lock().unwrap() = Some(handle);
    }
}

/// After every thread is done and the longest open period has passed, the circuit lets
/// a call through: nothing can leave it open for good.
fn assert_recovers(breaker: &CircuitBreaker, fake: &FakeClock) {
    fake.advance(Duration::from_secs(600));
    let state = breaker.state();
    match breaker.try_acquire() {
        Ok(permit) => permit.success(),
        Err(open) => panic!("stuck in {state:?}: rejected with {open:?}"),
    }
}

/// A trip whose thread is preempted between its compare-and-swap and publishing the open
/// period races a reset and a second trip: the late publication must not overwrite the
/// newer open period's end (it used to, leaving the circuit open forever).
#[test]
fn a_late_open_period_never_overwrites_a_newer_one() {
    bounded(1, || {
        let fake = FakeClock::new();
        let breaker = CircuitBreaker::builder("m")
            .failure_threshold(1)
            .clock(fake.clock())
            .build()
            .unwrap();
        let permit = breaker.try_acquire_owned().unwrap();
        let t1 = thread::spawn(move || permit.failure());
        let b2 = breaker.clone();
        let t2 = thread::spawn(move || {
            b2.reset();
            if let Ok(permit) = b2.try_acquire() {
                permit.failure();
            }
        });
        t1.join().unwrap();
        t2.join().unwrap();
        assert_recovers(&breaker, &fake);
    });
}

/// The same race against manual and remote moves: a trip against `force_open` followed
/// by an authority's move to OPEN with its own open period.
#[test]
fn a_late_open_period_never_overwrites_a_remote_one() {
    bounded(1, || {
        let fake = FakeClock::new();
        let remote = Arc::new(Remote::default());
        let breaker = CircuitBreaker::builder("m")
            .failure_threshold(1)
            .clock(fake.clock())
            .authority(remote.clone())
            .build()
            .unwrap();
        let handle = remote.0.lock().unwrap().clone().unwrap();
        let permit = breaker.try_acquire_owned().unwrap();
        let t1 = thread::spawn(move || permit.failure());
        let b2 = breaker.clone();
        let t2 = thread::spawn(move || {
            b2.force_open();
            handle.force_state(CircuitState::Open, Some(Duration::from_secs(5)));
        });
        t1.join().unwrap();
        t2.join().unwrap();
        assert_recovers(&breaker, &fake);
    });
}

/// Two probes of one half-open period: the thread that entered HALF_OPEN is preempted
/// before publishing the half-open deadline, the other probe fails and reopens the
/// circuit. The late half-open deadline must not hide the new open period's end.
#[test]
fn a_late_half_open_deadline_never_overwrites_an_open_period() {
    bounded(1, || {
        let fake = FakeClock::new();
        let breaker = CircuitBreaker::builder("m")
            .failure_threshold(1)
            .half_open_probes(2)
            .half_open_timeout(Duration::from_secs(10))
            .clock(fake.clock())
            .build()
            .unwrap();
        breaker.try_acquire().unwrap().failure();
        fake.advance(Duration::from_secs(60));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let breaker = breaker.clone();
                thread::spawn(move || {
                    if let Ok(permit) = breaker.try_acquire() {
                        permit.failure();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_recovers(&breaker, &fake);
    });
}

/// A trip and a reset race: whatever the order their threads publish in, the state watch
/// ends at the state the breaker is in (it used to keep the state sent last, which could
/// be the older one).
#[test]
fn the_watch_ends_where_the_breaker_is() {
    bounded(1, || {
        let breaker = CircuitBreaker::builder("m")
            .failure_threshold(1)
            .clock(FakeClock::new().clock())
            .build()
            .unwrap();
        let states = breaker.watch();
        let permit = breaker.try_acquire_owned().unwrap();
        let t1 = thread::spawn(move || permit.failure());
        let b2 = breaker.clone();
        let t2 = thread::spawn(move || b2.reset());
        t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(*states.borrow(), breaker.state());
    });
}

/// A permit of one closed period reports its failure while another thread opens the
/// circuit and closes it again: the failure belongs to the old period and must not show
/// in the new period's window, whichever window the breaker counts in.
fn a_late_outcome_stays_out_of_the_next_window(window: fn(BreakerBuilder) -> BreakerBuilder) {
    bounded(2, move || {
        let fake = FakeClock::new();
        let breaker = window(CircuitBreaker::builder("m"))
            .failure_rate_threshold(1.0)
            .minimum_calls(1)
            .clock(fake.clock())
            .build()
            .unwrap();
        let permit = breaker.try_acquire_owned().unwrap();
        let late = thread::spawn(move || permit.failure());
        breaker.force_open();
        breaker.reset();
        late.join().unwrap();
        let snap = breaker.snapshot();
        assert_eq!(snap.state, CircuitState::Closed);
        assert_eq!(
            (snap.calls_in_window, snap.failure_count),
            (0, 0),
            "the old period's failure landed in the new window"
        );
    });
}

#[test]
fn a_late_outcome_stays_out_of_the_next_count_window() {
    a_late_outcome_stays_out_of_the_next_window(|b| b.count_window(4));
}

#[test]
fn a_late_outcome_stays_out_of_the_next_time_window() {
    a_late_outcome_stays_out_of_the_next_window(|b| b.time_window(Duration::from_secs(4), 4));
}
