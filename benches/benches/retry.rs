//! Benchmarks: the cost of a retry whose first attempt succeeds, against a direct call
//! and against backon, sync and async, side by side in one run.
//!
//! Async futures are polled once with a no-op waker, so the executor adds nothing.

use std::future::Future;
use std::hint::black_box;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Polls a future that is ready at once; panics if it is not. The future is pinned where
/// it is built, so no variant pays for moving it.
macro_rules! poll_ready {
    ($cx:expr, $future:expr) => {
        match pin!($future).poll($cx) {
            Poll::Ready(output) => output,
            Poll::Pending => unreachable!("the benchmarked future is always ready"),
        }
    };
}

#[inline(never)]
fn op(x: u64) -> Result<u64, io::Error> {
    Ok(black_box(x).wrapping_add(1))
}

#[inline(never)]
async fn op_async(x: u64) -> Result<u64, io::Error> {
    Ok(black_box(x).wrapping_add(1))
}

fn sync_success(c: &mut Criterion) {
    let mut group = c.benchmark_group("retry_sync_first_attempt_ok");
    let staunch_policy = staunch::RetryPolicy::retry_on_exception();
    let backon_policy = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(10))
        .with_max_times(2);

    group.bench_function("direct", |b| b.iter(|| op(black_box(1))));
    group.bench_function("staunch", |b| {
        use staunch::BlockingRetryable;
        b.iter(|| (|| op(black_box(1))).retry_blocking(staunch_policy).call())
    });
    group.bench_function("staunch_when", |b| {
        use staunch::BlockingRetryable;
        b.iter(|| {
            (|| op(black_box(1)))
                .retry_blocking(staunch_policy)
                .when(staunch::classify::io::is_transient)
                .call()
        })
    });
    group.bench_function("backon", |b| {
        use backon::BlockingRetryable;
        b.iter(|| (|| op(black_box(1))).retry(backon_policy).call())
    });
    group.bench_function("backon_when", |b| {
        use backon::BlockingRetryable;
        b.iter(|| {
            (|| op(black_box(1)))
                .retry(backon_policy)
                .when(staunch::classify::io::is_transient)
                .call()
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
    let waker = Waker::from(Arc::new(NoopWake));
    let mut cx = Context::from_waker(&waker);

    group.bench_function("direct", |b| {
        b.iter(|| poll_ready!(&mut cx, op_async(black_box(1))))
    });
    group.bench_function("staunch", |b| {
        use staunch::Retryable;
        b.iter(|| poll_ready!(&mut cx, (|| op_async(black_box(1))).retry(staunch_policy)))
    });
    group.bench_function("staunch_when", |b| {
        use staunch::Retryable;
        b.iter(|| {
            let retry = (|| op_async(black_box(1)))
                .retry(staunch_policy)
                .when(staunch::classify::io::is_transient);
            poll_ready!(&mut cx, retry)
        })
    });
    group.bench_function("backon", |b| {
        use backon::Retryable;
        b.iter(|| poll_ready!(&mut cx, (|| op_async(black_box(1))).retry(backon_policy)))
    });
    group.bench_function("backon_when", |b| {
        use backon::Retryable;
        b.iter(|| {
            let retry = (|| op_async(black_box(1)))
                .retry(backon_policy)
                .when(staunch::classify::io::is_transient);
            poll_ready!(&mut cx, retry)
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
