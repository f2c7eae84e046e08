//! Zero heap allocations per call on the success, failure and rejection paths, counted by
//! a counting global allocator in a binary of its own.

use std::alloc::System;
use std::time::Duration;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitState};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations made while `f` runs, the fewest of three runs. The counter is
/// process-wide, so this binary holds a single test; the test harness's own thread may
/// still allocate once while it starts waiting, which a second run filters out (an
/// allocation per call shows in every run).
fn allocations_in(mut f: impl FnMut()) -> usize {
    (0..3)
        .map(|_| {
            let region = Region::new(GLOBAL);
            f();
            region.change().allocations
        })
        .min()
        .unwrap_or(0)
}

fn breakers(fake: &FakeClock) -> Vec<CircuitBreaker> {
    let b = || CircuitBreaker::builder("alloc").clock(fake.clock());
    vec![
        b().failure_threshold(u32::from(u16::MAX)).build().unwrap(),
        b().count_window(100)
            .slow_calls(Duration::from_secs(1), 1.0)
            .build()
            .unwrap(),
        b().time_window(Duration::from_secs(10), 10)
            .build()
            .unwrap(),
    ]
}

#[test]
fn no_call_path_allocates() {
    success_failure_and_rejection_allocate_nothing();
    the_async_call_allocates_nothing_either();
}

fn success_failure_and_rejection_allocate_nothing() {
    let fake = FakeClock::new();
    for breaker in breakers(&fake) {
        // Warm up: first calls may register tracing call sites.
        breaker.call_blocking(|| Ok::<_, ()>(())).unwrap();
        let success = allocations_in(|| {
            for _ in 0..1000 {
                breaker.call_blocking(|| Ok::<_, ()>(())).unwrap();
                breaker.try_acquire().unwrap().success();
            }
        });
        assert_eq!(success, 0, "success path");
        let failure = allocations_in(|| {
            for _ in 0..1000 {
                let _ = breaker.call_blocking(|| Err::<(), _>(()));
                breaker.try_acquire().unwrap().failure();
                breaker.try_acquire().unwrap().ignore();
                drop(breaker.try_acquire().unwrap());
                breaker.reset(); // closed already: clears counts, no transition
            }
        });
        assert_eq!(failure, 0, "failure path");
        breaker.force_open();
        let _ = breaker.try_acquire();
        let rejection = allocations_in(|| {
            for _ in 0..1000 {
                assert!(breaker.try_acquire().is_err());
                assert!(breaker.call_blocking(|| Ok::<_, ()>(())).is_err());
            }
        });
        assert_eq!(rejection, 0, "rejection path");
        assert_eq!(breaker.state(), CircuitState::ForcedOpen);
    }
}

fn the_async_call_allocates_nothing_either() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let fake = FakeClock::new();
    let breaker = CircuitBreaker::builder("alloc-async")
        .clock(fake.clock())
        .build()
        .unwrap();
    let allocations = allocations_in(|| {
        runtime.block_on(async {
            for _ in 0..1000 {
                breaker.call(|| async { Ok::<_, ()>(()) }).await.unwrap();
                let _ = breaker.call(|| async { Err::<(), _>(()) }).await;
                breaker.reset();
            }
        })
    });
    assert_eq!(allocations, 0, "async path");
}
