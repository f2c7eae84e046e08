//! Benchmarks: the blocking circuit breaker against its blocking peers (failsafe,
//! recloser), side by side in one run.
//!
//! Groups: a closed breaker's success and failure paths, the rejection of an open
//! breaker, and one breaker shared by two threads against one thread. Baselines: a
//! direct call, an atomic load and an uncontended mutex lock. The async forms, with
//! tower-resilience and seatbelt, are measured inside a runtime in `runtime.rs`.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use failsafe::CircuitBreaker as _;

use staunch_benches::peers::{failsafe, recloser, HOUR};
/// Failures per measured iteration in the failure group (a fresh breaker per iteration,
/// so none of them trips).
const FAILURES: u64 = 1000;

#[inline(never)]
fn op(ok: bool) -> Result<u64, u64> {
    if black_box(ok) {
        Ok(1)
    } else {
        Err(2)
    }
}

fn staunch_consecutive(threshold: u32) -> staunch::CircuitBreaker {
    staunch::CircuitBreaker::builder("bench")
        .failure_threshold(threshold)
        .recovery_timeout(HOUR)
        .build()
        .unwrap()
}

/// A count window of `len` calls that must fill before judging (like recloser's
/// `closed_len`).
fn staunch_window(len: u32) -> staunch::CircuitBreaker {
    staunch::CircuitBreaker::builder("bench")
        .count_window(len)
        .failure_rate_threshold(0.5)
        .recovery_timeout(HOUR)
        .build()
        .unwrap()
}

fn closed_success(c: &mut Criterion) {
    let mut group = c.benchmark_group("blocking/closed_success");
    let atomic = AtomicU64::new(1);
    let mutex = Mutex::new(1u64);
    group.bench_function("direct", |b| b.iter(|| op(true)));
    group.bench_function("atomic_load", |b| {
        b.iter(|| (atomic.load(Ordering::Acquire), op(true)))
    });
    group.bench_function("mutex_lock", |b| {
        b.iter(|| (*mutex.lock().unwrap(), op(true)))
    });
    let s = staunch_consecutive(5);
    group.bench_function("staunch", |b| b.iter(|| s.call_blocking(|| op(true))));
    group.bench_function("staunch_permit", |b| {
        b.iter(|| {
            let permit = s.try_acquire().unwrap();
            let out = op(true);
            permit.success();
            out
        })
    });
    let w = staunch_window(100);
    group.bench_function("staunch_count_window", |b| {
        b.iter(|| w.call_blocking(|| op(true)))
    });
    let f = failsafe(5);
    group.bench_function("failsafe", |b| b.iter(|| f.call(|| op(true))));
    let r = recloser(100);
    group.bench_function("recloser", |b| b.iter(|| r.call(|| op(true))));
    group.finish();
}

/// Each iteration: `FAILURES` counted failures on a fresh breaker (built outside the
/// measurement) that never trips.
fn closed_failure(c: &mut Criterion) {
    let mut group = c.benchmark_group("blocking/closed_failure_x1000");
    let n = FAILURES as u32;
    let small = BatchSize::SmallInput;
    group.bench_function("direct", |b| {
        b.iter(|| {
            for _ in 0..FAILURES {
                let _ = black_box(op(false));
            }
        })
    });
    group.bench_function("staunch", |b| {
        b.iter_batched_ref(
            || staunch_consecutive(n + 1),
            |s| {
                for _ in 0..FAILURES {
                    let _ = black_box(s.call_blocking(|| op(false)));
                }
            },
            small,
        )
    });
    group.bench_function("staunch_count_window", |b| {
        b.iter_batched_ref(
            || staunch_window(n + 1),
            |s| {
                for _ in 0..FAILURES {
                    let _ = black_box(s.call_blocking(|| op(false)));
                }
            },
            small,
        )
    });
    group.bench_function("failsafe", |b| {
        b.iter_batched_ref(
            || failsafe(n + 1),
            |f| {
                for _ in 0..FAILURES {
                    let _ = black_box(f.call(|| op(false)));
                }
            },
            small,
        )
    });
    group.bench_function("recloser", |b| {
        b.iter_batched_ref(
            || recloser(FAILURES as usize + 1),
            |r| {
                for _ in 0..FAILURES {
                    let _ = black_box(r.call(|| op(false)));
                }
            },
            small,
        )
    });
    group.finish();
}

fn open_rejection(c: &mut Criterion) {
    let mut group = c.benchmark_group("blocking/open_rejection");
    // Baselines: one reading of the monotonic clock, as `std` reads it and as staunch's
    // system clock does (coarse on Linux).
    group.bench_function("clock_read", |b| b.iter(Instant::now));
    let clock = staunch::Clock::system();
    group.bench_function("clock_read_staunch", |b| b.iter(|| clock.now()));
    let s = staunch_consecutive(1);
    let _ = s.call_blocking(|| op(false));
    assert_eq!(s.state(), staunch::CircuitState::Open);
    group.bench_function("staunch", |b| b.iter(|| s.call_blocking(|| op(true))));
    let f = failsafe(1);
    let _ = f.call(|| op(false));
    assert!(!f.is_call_permitted());
    group.bench_function("failsafe", |b| b.iter(|| f.call(|| op(true))));
    let r = recloser(1);
    let _ = r.call(|| op(false));
    let _ = r.call(|| op(false));
    assert!(matches!(
        r.call(|| op(true)),
        Err(recloser::Error::Rejected)
    ));
    group.bench_function("recloser", |b| b.iter(|| r.call(|| op(true))));
    group.finish();
}

/// `threads` threads each make `iters` closed successful calls through one breaker;
/// returns the wall time, so criterion reports the time per call per thread.
fn run_threads(threads: u64, iters: u64, call: &(dyn Fn() + Sync)) -> Duration {
    std::thread::scope(|scope| {
        let start = Instant::now();
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..iters {
                    call();
                }
            });
        }
        // Scope end joins every thread.
        start
    })
    .elapsed()
}

fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("blocking/threads");
    let s = staunch_consecutive(5);
    let f = failsafe(5);
    let r = recloser(100);
    let cases: [(&str, &(dyn Fn() + Sync)); 3] = [
        ("staunch", &|| {
            let _ = black_box(s.call_blocking(|| op(true)));
        }),
        ("failsafe", &|| {
            let _ = black_box(f.call(|| op(true)));
        }),
        ("recloser", &|| {
            let _ = black_box(r.call(|| op(true)));
        }),
    ];
    for (name, call) in cases {
        for n in [1u64, 2] {
            group.bench_function(format!("{name}_{n}_threads"), |b| {
                b.iter_custom(|iters| run_threads(n, iters, call))
            });
        }
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = closed_success, closed_failure, open_rejection, threads
}
criterion_main!(benches);
