//! A retry whose first attempt succeeds allocates nothing, sync or async.
//!
//! Runs as its own single-threaded process (`harness = false`), so the counting
//! allocator sees only the code under test.

use std::hint::black_box;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use staunch::{BlockingRetryable, Jitter, RetryPolicy, Retryable};

#[path = "support/alloc.rs"]
mod support;

use support::{allocations, poll_once, NoopWake};

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

        let borrowed = allocations(|| {
            let retry = (|| async { Ok::<_, io::Error>(black_box(5)) })
                .retry(&policy)
                .when(staunch::classify::io::is_transient);
            assert!(matches!(poll_once(&mut cx, retry), Poll::Ready(Ok(5))));
            let blocking = (|| Ok::<_, io::Error>(black_box(6))).retry_blocking(&policy);
            assert_eq!(blocking.call().unwrap(), 6);
        });
        check(&format!("borrowed {name}"), borrowed, &mut failures);

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
