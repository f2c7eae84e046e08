//! Benchmarks: the cost of a retry whose first attempt succeeds, against a direct call
//! and against backon, sync and async, side by side in one run.
//!
//! Async futures are polled once with a no-op waker, so the executor adds nothing.
//!
//! The operation always succeeds, but the compiler must not know it: with an outcome it
//! can see, it deletes the failure handling of whatever inlines far enough (a retry
//! around a call that cannot fail is no retry), and the figures then depend on how much
//! of each library the optimizer happens to see through.
//!
//! Each case hands back the value, as a caller matching on the result would
//! (`.ok()`), rather than the whole `Result`: copying a freshly written 48-byte
//! `Result<_, RetryError<_>>` as one block stalls store-to-load forwarding, and whether
//! that happens depends on where the compiler puts the copy, not on the retry.

use std::hint::black_box;
use std::io;
use std::task::{Context, Waker};
use std::time::Duration;

use staunch_benches::poll_ready_ok;

use criterion::{criterion_group, criterion_main, Criterion};

/// `Ok(x + 1)`, by way of a branch the optimizer cannot decide.
#[inline(always)]
fn outcome(x: u64) -> Result<u64, io::Error> {
    if black_box(false) {
        Err(io::ErrorKind::TimedOut.into())
    } else {
        Ok(black_box(x).wrapping_add(1))
    }
}

#[inline(never)]
fn op(x: u64) -> Result<u64, io::Error> {
    outcome(x)
}

/// The same operation behind an ordinary async fn, whose future is built inline like
/// any caller's: marking it `#[inline(never)]` would keep only the building of the future
/// out of line (its body still inlines), and make every wrapper, unlike the direct call,
/// copy the future out of the returned slot right after the call wrote it.
async fn op_async(x: u64) -> Result<u64, io::Error> {
    op(x)
}

fn sync_success(c: &mut Criterion) {
    let mut group = c.benchmark_group("blocking/retry_first_ok");
    let staunch_policy = staunch::RetryPolicy::retry_on_exception();
    let backon_policy = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(10))
        .with_max_times(2);

    group.bench_function("direct", |b| b.iter(|| op(black_box(1)).ok()));
    group.bench_function("staunch", |b| {
        use staunch::BlockingRetryable;
        b.iter(|| {
            (|| op(black_box(1)))
                .retry_blocking(staunch_policy)
                .call()
                .ok()
        })
    });
    group.bench_function("staunch_when", |b| {
        use staunch::BlockingRetryable;
        b.iter(|| {
            (|| op(black_box(1)))
                .retry_blocking(staunch_policy)
                .when(staunch::classify::io::is_transient)
                .call()
                .ok()
        })
    });
    group.bench_function("backon", |b| {
        use backon::BlockingRetryable;
        b.iter(|| (|| op(black_box(1))).retry(backon_policy).call().ok())
    });
    group.bench_function("backon_when", |b| {
        use backon::BlockingRetryable;
        b.iter(|| {
            (|| op(black_box(1)))
                .retry(backon_policy)
                .when(staunch::classify::io::is_transient)
                .call()
                .ok()
        })
    });
    group.finish();
}

fn async_success(c: &mut Criterion) {
    let mut group = c.benchmark_group("retry_async_first_attempt_ok");
    let staunch_policy = staunch::RetryPolicy::retry_on_exception();
    let backon_policy = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(10))
        .with_max_times(2);
    let mut cx = Context::from_waker(Waker::noop());

    group.bench_function("direct", |b| {
        b.iter(|| poll_ready_ok!(&mut cx, op_async(black_box(1))))
    });
    group.bench_function("staunch", |b| {
        use staunch::Retryable;
        b.iter(|| poll_ready_ok!(&mut cx, (|| op_async(black_box(1))).retry(staunch_policy)))
    });
    group.bench_function("staunch_when", |b| {
        use staunch::Retryable;
        b.iter(|| {
            let retry = (|| op_async(black_box(1)))
                .retry(staunch_policy)
                .when(staunch::classify::io::is_transient);
            poll_ready_ok!(&mut cx, retry)
        })
    });
    group.bench_function("backon", |b| {
        use backon::Retryable;
        b.iter(|| poll_ready_ok!(&mut cx, (|| op_async(black_box(1))).retry(backon_policy)))
    });
    group.bench_function("backon_when", |b| {
        use backon::Retryable;
        b.iter(|| {
            let retry = (|| op_async(black_box(1)))
                .retry(backon_policy)
                .when(staunch::classify::io::is_transient);
            poll_ready_ok!(&mut cx, retry)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = sync_success, async_success
}
criterion_main!(benches);
