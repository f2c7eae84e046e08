//! A policy call whose first attempt succeeds on a closed circuit allocates nothing,
//! async or blocking, with or without a classifier.
//!
//! Runs as its own single-threaded process (`harness = false`), so the counting
//! allocator sees only the code under test. The rejection path of the breaker alone is
//! covered by `alloc_breaker.rs`.

use std::hint::black_box;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use staunch::classify::io::is_transient;
use staunch::test_util::FakeClock;
use staunch::{CircuitState, Policy, RetryBudget};

#[path = "support/alloc.rs"]
mod support;

use support::{allocations, poll_once, NoopWake};

/// A plain policy (permit only), and one with each layer that has work to do on the
/// success path: the budget's deposit, the deadline's and the timeout's clock reads.
fn policies(fake: &FakeClock) -> Vec<(&'static str, Policy)> {
    let builder = |name: &str| Policy::builder(name).clock(fake.clock());
    vec![
        ("plain", builder("plain").build().unwrap()),
        (
            "budget",
            builder("budget")
                .budget(RetryBudget::default())
                .build()
                .unwrap(),
        ),
        (
            "deadline",
            builder("deadline")
                .deadline(Duration::from_secs(30))
                .build()
                .unwrap(),
        ),
        (
            "attempt_timeout",
            builder("attempt_timeout")
                .attempt_timeout(Duration::from_secs(5))
                .build()
                .unwrap(),
        ),
    ]
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

    let fake = FakeClock::new();
    for (name, policy) in policies(&fake) {
        assert_eq!(policy.breaker().state(), CircuitState::Closed);

        let call = allocations(|| {
            let future = policy.call(|| async { Ok::<_, io::Error>(black_box(1)) });
            assert!(matches!(poll_once(&mut cx, future), Poll::Ready(Ok(1))));
        });
        check(&format!("call {name}"), call, &mut failures);

        let when = allocations(|| {
            let future = policy
                .call(|| async { Ok::<_, io::Error>(black_box(2)) })
                .when(is_transient);
            assert!(matches!(poll_once(&mut cx, future), Poll::Ready(Ok(2))));
        });
        check(&format!("call.when {name}"), when, &mut failures);

        let blocking = allocations(|| {
            let result = policy.blocking(|| Ok::<_, io::Error>(black_box(3))).call();
            assert_eq!(black_box(result).unwrap(), 3);
        });
        check(&format!("blocking {name}"), blocking, &mut failures);

        let blocking_when = allocations(|| {
            let result = policy
                .blocking(|| Ok::<_, io::Error>(black_box(4)))
                .when(is_transient)
                .call();
            assert_eq!(black_box(result).unwrap(), 4);
        });
        check(
            &format!("blocking.when {name}"),
            blocking_when,
            &mut failures,
        );

        let call_blocking = allocations(|| {
            let result = policy.call_blocking(|| Ok::<_, io::Error>(black_box(5)));
            assert_eq!(black_box(result).unwrap(), 5);
        });
        check(
            &format!("call_blocking {name}"),
            call_blocking,
            &mut failures,
        );

        // The counting is not blind to this path: a failure that starts the retry boxes
        // the retry's state.
        let failure = allocations(|| {
            let mut calls = 0;
            let result = policy
                .blocking(|| {
                    calls += 1;
                    if calls == 1 {
                        Err(io::Error::from(io::ErrorKind::TimedOut))
                    } else {
                        Ok(calls)
                    }
                })
                .call();
            assert_eq!(black_box(result).unwrap(), 2);
        });
        assert!(
            failure > 0,
            "{name}: a retried call should be seen to allocate"
        );
    }

    if failures.is_empty() {
        println!("alloc_policy: a first-attempt success on a closed circuit allocates nothing");
    } else {
        panic!("allocations on the success path:\n{}", failures.join("\n"));
    }
}
