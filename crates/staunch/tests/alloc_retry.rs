//! A retry whose first attempt succeeds allocates nothing, sync or async.
//!
//! Runs as its own single-threaded process (`harness = false`), so the counting
//! allocator sees only the code under test.

use std::alloc::System;
use std::future::Future;
use std::hint::black_box;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use staunch::{BlockingRetryable, Jitter, RetryPolicy, Retryable};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Allocations made while running `f`.
fn allocations(f: impl FnOnce()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    let change = region.change();
    change.allocations + change.reallocations
}

/// Polls `future` once with a waker made outside the measured region.
fn poll_once<F: Future>(cx: &mut Context<'_>, future: F) -> Poll<F::Output> {
    let mut future = pin!(future);
    future.as_mut().poll(cx)
}

fn policies() -> Vec<(&'static str, RetryPolicy)> {
    let deadline = RetryPolicy::builder()
        .deadline(Duration::from_secs(5))
        .build()
        .unwrap();
    let jittered = RetryPolicy::retry_with_jitter()
        .to_builder()
        .jitter(Jitter::Decorrelated);
    let mut cases = vec![
        ("retry_on_exception", RetryPolicy::retry_on_exception()),
        ("retry_with_jitter", RetryPolicy::retry_with_jitter()),
        ("deadline", deadline),
        ("decorrelated", jittered.build().unwrap()),
    ];
    // Named policies record metrics with dynamic labels, which allocate.
    if cfg!(not(feature = "metrics")) {
        cases.push(("named", RetryPolicy::builder().name("db").build().unwrap()));
    }
    cases
}

fn check(label: &str, count: usize, failures: &mut Vec<String>) {
    if count != 0 {
        failures.push(format!("{label}: {count} allocation(s)"));
    }
}

fn main() {
    let waker = Waker::from(Arc::new(NoopWake));
    let mut cx = Context::from_waker(&waker);
    let mut failures = Vec::new();

    // The counter works: a box is seen.
    assert_eq!(allocations(|| drop(black_box(Box::new(1u64)))), 1);

    for (name, policy) in policies() {
        let sync = allocations(|| {
            let mut calls = 0u32;
            let result = (|| {
                calls += 1;
                Ok::<_, io::Error>(calls)
            })
            .retry_blocking(policy)
            .when(staunch::classify::io::is_transient)
            .notify(|r| {
                let _ = black_box(r.attempt());
            })
            .call();
            assert_eq!(black_box(result).unwrap(), 1);
        });
        check(&format!("blocking {name}"), sync, &mut failures);

        let plain = allocations(|| {
            assert_eq!(
                policy
                    .call_blocking(|| Ok::<_, io::Error>(black_box(2)))
                    .unwrap(),
                2
            );
        });
        check(&format!("call_blocking {name}"), plain, &mut failures);

        let async_count = allocations(|| {
            let retry = (|| async { Ok::<_, io::Error>(black_box(3)) })
                .retry(policy)
                .when(staunch::classify::io::is_transient);
            match poll_once(&mut cx, retry) {
                Poll::Ready(result) => assert_eq!(result.unwrap(), 3),
                Poll::Pending => panic!("a ready future must complete in one poll"),
            }
        });
        check(&format!("async {name}"), async_count, &mut failures);

        let call = allocations(|| {
            let retry = policy.call(|| async { Ok::<_, io::Error>(black_box(4)) });
            assert!(matches!(poll_once(&mut cx, retry), Poll::Ready(Ok(4))));
        });
        check(&format!("policy.call {name}"), call, &mut failures);
    }

    if failures.is_empty() {
        println!("alloc_retry: a first-attempt success allocates nothing (sync and async)");
    } else {
        panic!("allocations on the success path:\n{}", failures.join("\n"));
    }
}
