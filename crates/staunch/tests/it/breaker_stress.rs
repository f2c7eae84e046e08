//! Stress: several threads, millions of calls through one breaker with random outcomes,
//! every call accounted for. `STRESS_CALLS` sets the calls per thread (default 1,000,000).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitState, Event};

const THREADS: u64 = 4;

fn calls_per_thread() -> u64 {
    std::env::var("STRESS_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// A seeded xorshift, one per thread.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[derive(Default)]
struct Tally {
    admitted: AtomicU64,
    rejected: AtomicU64,
    recorded: AtomicU64,
    released: AtomicU64,
}

fn hammer(breaker: CircuitBreaker, fake: FakeClock) -> Tally {
    let tally = Arc::new(Tally::default());
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (breaker, fake, tally) = (breaker.clone(), fake.clone(), tally.clone());
            std::thread::spawn(move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t + 1));
                for i in 0..calls_per_thread() {
                    if i % 64 == 0 {
                        fake.advance(Duration::from_millis(1));
                    }
                    let Ok(permit) = breaker.try_acquire() else {
                        tally.rejected.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    tally.admitted.fetch_add(1, Ordering::Relaxed);
                    match rng.next() % 100 {
                        0..=69 => permit.success(),
                        70..=89 => permit.failure(),
                        90..=94 => permit.ignore(),
                        _ => {
                            drop(permit);
                            tally.released.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                    }
                    tally.recorded.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    Arc::try_unwrap(tally).ok().unwrap()
}

fn check(breaker: &CircuitBreaker, fake: &FakeClock, tally: &Tally) {
    let (admitted, rejected) = (
        tally.admitted.load(Ordering::Relaxed),
        tally.rejected.load(Ordering::Relaxed),
    );
    let (recorded, released) = (
        tally.recorded.load(Ordering::Relaxed),
        tally.released.load(Ordering::Relaxed),
    );
    assert_eq!(admitted + rejected, THREADS * calls_per_thread());
    assert_eq!(admitted, recorded + released);
    assert_eq!(
        breaker.snapshot().rejected_calls,
        rejected,
        "each rejection counted once"
    );
    assert!(
        rejected > 0 && admitted > 0,
        "the circuit both opened and recovered"
    );
    // No probe slot leaked: once the open period has passed, a probe always fits.
    fake.advance(Duration::from_secs(3600));
    let permit = breaker.try_acquire().expect("not stuck");
    permit.success();
}

#[test]
fn a_million_calls_through_a_consecutive_breaker_are_all_accounted_for() {
    let fake = FakeClock::new();
    let breaker = CircuitBreaker::builder("stress")
        .failure_threshold(3)
        .recovery_timeout(Duration::from_millis(5))
        .half_open_probes(2)
        .success_threshold(2)
        .clock(fake.clock())
        .build()
        .unwrap();
    let opened = Arc::new(AtomicU64::new(0));
    let counter = opened.clone();
    breaker.add_listener(move |e| {
        if matches!(e, Event::Transition(t) if t.to == CircuitState::Open) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    let tally = hammer(breaker.clone(), fake.clone());
    check(&breaker, &fake, &tally);
    let trips = breaker.recent_transitions();
    assert!(opened.load(Ordering::Relaxed) > 0);
    for pair in trips.windows(2) {
        assert_eq!(
            pair[0].to, pair[1].from,
            "the recent transitions form a chain"
        );
    }
}

#[test]
fn a_million_calls_through_a_count_window_keep_its_counts_consistent() {
    let fake = FakeClock::new();
    let breaker = CircuitBreaker::builder("stress-window")
        .count_window(16)
        .failure_rate_threshold(0.5)
        .recovery_timeout(Duration::from_millis(5))
        .half_open_probes(3)
        .clock(fake.clock())
        .build()
        .unwrap();
    let tally = hammer(breaker.clone(), fake.clone());
    let snap = breaker.snapshot();
    assert!(
        snap.calls_in_window <= 16 && snap.failure_count <= snap.calls_in_window,
        "{snap:?}"
    );
    check(&breaker, &fake, &tally);
}
