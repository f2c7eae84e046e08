//! Benchmarks measured the way users call: inside a tokio runtime (current-thread and
//! multi-thread), each case one `block_on` over a loop of `.await`s, the operation opaque
//! (`black_box`), the whole `Result` kept. Peers side by side in the same run: backon's
//! async retry; failsafe's and recloser's breakers, which are synchronous, around the
//! same async operation as async code uses them.
//!
//! `cargo bench -p staunch-benches --bench runtime -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::io;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use failsafe::CircuitBreaker as _;

use staunch_benches::peers::{failsafe, recloser, HOUR};

/// `Ok(x + 1)` (or an error when `fail`), by way of a branch the optimizer cannot decide.
#[inline(never)]
fn op(x: u64, fail: bool) -> Result<u64, io::Error> {
    if black_box(fail) {
        Err(io::ErrorKind::TimedOut.into())
    } else {
        Ok(black_box(x).wrapping_add(1))
    }
}

async fn op_async(x: u64, fail: bool) -> Result<u64, io::Error> {
    op(x, fail)
}

fn runtimes() -> Vec<(&'static str, tokio::runtime::Runtime)> {
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    vec![("current_thread", current), ("multi_thread", multi)]
}

fn staunch_breaker(threshold: u32) -> staunch::CircuitBreaker {
    staunch::CircuitBreaker::builder("bench")
        .failure_threshold(threshold)
        .recovery_timeout(HOUR)
        .build()
        .unwrap()
}

/// Success paths: a direct call, a retry whose first attempt succeeds, a closed breaker,
/// the combined policy.
fn success(c: &mut Criterion) {
    let mut group = c.benchmark_group("runtime_success");
    let retry = staunch::RetryPolicy::retry_on_exception();
    let backon_policy = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(10))
        .with_max_times(2);
    let breaker = staunch_breaker(5);
    let policy = staunch::Policy::builder("bench-policy").build().unwrap();
    let timed = staunch::Policy::builder("bench-timed")
        .attempt_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let f = failsafe(5);
    let r = recloser(100);
    for (name, rt) in runtimes() {
        let id = |case: &str| BenchmarkId::new(case, name);
        group.bench_function(id("direct"), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(op_async(black_box(1), false).await) })
        });
        group.bench_function(id("staunch_retry"), |b| {
            use staunch::Retryable;
            b.to_async(&rt)
                .iter(|| async { black_box((|| op_async(black_box(1), false)).retry(retry).await) })
        });
        group.bench_function(id("backon_retry"), |b| {
            use backon::Retryable;
            b.to_async(&rt).iter(|| async {
                black_box(
                    (|| op_async(black_box(1), false))
                        .retry(backon_policy)
                        .await,
                )
            })
        });
        group.bench_function(id("staunch_breaker"), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(breaker.call(|| op_async(black_box(1), false)).await) })
        });
        group.bench_function(id("failsafe_breaker"), |b| {
            b.to_async(&rt).iter(|| async {
                let result = op_async(black_box(1), false).await;
                black_box(f.call(|| result))
            })
        });
        group.bench_function(id("recloser_breaker"), |b| {
            b.to_async(&rt).iter(|| async {
                let result = op_async(black_box(1), false).await;
                black_box(r.call(|| result))
            })
        });
        group.bench_function(id("staunch_policy"), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(policy.call(|| op_async(black_box(1), false)).await) })
        });
        group.bench_function(id("staunch_policy_attempt_timeout"), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(timed.call(|| op_async(black_box(1), false)).await) })
        });
    }
    group.finish();
}

/// A failure through a closed breaker (that never trips), and a rejection by an open one.
fn failure_and_rejection(c: &mut Criterion) {
    let mut group = c.benchmark_group("runtime_breaker_failure");
    // The largest threshold; reset before it could trip.
    let closed = staunch_breaker(65_535);
    let open = staunch_breaker(1);
    open.force_open();
    let f_closed = failsafe(u32::MAX);
    let f_open = failsafe(1);
    let _ = f_open.call(|| op(1, true));
    let r_open = recloser(1);
    let _ = r_open.call(|| op(1, true));
    let _ = r_open.call(|| op(1, true));
    for (name, rt) in runtimes() {
        let id = |case: &str| BenchmarkId::new(case, name);
        group.bench_function(id("staunch_failure_closed"), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(closed.call(|| op_async(black_box(1), true)).await) })
        });
        group.bench_function(id("failsafe_failure_closed"), |b| {
            b.to_async(&rt).iter(|| async {
                let result = op_async(black_box(1), true).await;
                black_box(f_closed.call(|| result))
            })
        });
        group.bench_function(id("staunch_rejected_open"), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(open.call(|| op_async(black_box(1), false)).await) })
        });
        group.bench_function(id("failsafe_rejected_open"), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(f_open.call(|| op(black_box(1), false))) })
        });
        group.bench_function(id("recloser_rejected_open"), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(r_open.call(|| op(black_box(1), false))) })
        });
    }
    group.finish();
}

criterion_group!(benches, success, failure_and_rejection);
criterion_main!(benches);
