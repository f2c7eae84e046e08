//! Benchmarks: the combined policy on a closed circuit whose first attempt succeeds, next
//! to a direct call, the retry alone and the breaker alone, sync and async, in one run.
//!
//! The policy must cost at most the retry's overhead plus the breaker's. Async futures are
//! polled once with a no-op waker, so the executor adds nothing.
//!
//! The harness is the retry bench's: the operation always succeeds but the optimizer
//! cannot know it (the outcome comes from a `black_box`ed branch in an out-of-line
//! function), and each case hands back the value (`.ok()`) rather than the whole `Result`.
//! See `benches/retry.rs` for why both matter.

use std::hint::black_box;
use std::io;
use std::task::{Context, Waker};
use std::time::Duration;

use staunch_benches::poll_ready_ok;

use criterion::{criterion_group, criterion_main, Criterion};
use staunch::{CircuitBreaker, Policy, RetryBudget, RetryPolicy};

/// `Ok(x + 1)`, by way of a branch the optimizer cannot decide.
#[inline(never)]
fn op(x: u64) -> Result<u64, io::Error> {
    if black_box(false) {
        Err(io::ErrorKind::TimedOut.into())
    } else {
        Ok(black_box(x).wrapping_add(1))
    }
}

/// The same operation behind an ordinary async fn, built inline like any caller's.
async fn op_async(x: u64) -> Result<u64, io::Error> {
    op(x)
}

struct Subjects {
    retry: RetryPolicy,
    breaker: CircuitBreaker,
    policy: Policy,
    policy_budget: Policy,
    policy_timeout: Policy,
}

fn subjects() -> Subjects {
    let breaker = CircuitBreaker::builder("bench-breaker").build().unwrap();
    let policy = Policy::resilient(3, 5, Duration::from_secs(60)).unwrap();
    let policy_budget = Policy::builder("bench-budget")
        .budget(RetryBudget::default())
        .build()
        .unwrap();
    let policy_timeout = Policy::builder("bench-timeout")
        .attempt_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    Subjects {
        policy_timeout,
        retry: RetryPolicy::retry_on_exception(),
        breaker,
        policy,
        policy_budget,
    }
}

fn sync_success(c: &mut Criterion) {
    let mut group = c.benchmark_group("blocking/policy");
    let s = subjects();

    group.bench_function("direct", |b| b.iter(|| op(black_box(1)).ok()));
    group.bench_function("staunch_retry", |b| {
        use staunch::BlockingRetryable;
        b.iter(|| (|| op(black_box(1))).retry_blocking(s.retry).call().ok())
    });
    group.bench_function("staunch_breaker", |b| {
        b.iter(|| s.breaker.call_blocking(|| op(black_box(1))).ok())
    });
    group.bench_function("staunch", |b| {
        b.iter(|| s.policy.call_blocking(|| op(black_box(1))).ok())
    });
    group.bench_function("staunch_when", |b| {
        b.iter(|| {
            s.policy
                .blocking(|| op(black_box(1)))
                .when(staunch::classify::io::is_transient)
                .call()
                .ok()
        })
    });
    group.bench_function("staunch_budget", |b| {
        b.iter(|| s.policy_budget.call_blocking(|| op(black_box(1))).ok())
    });
    group.bench_function("staunch_attempt_timeout", |b| {
        b.iter(|| s.policy_timeout.call_blocking(|| op(black_box(1))).ok())
    });
    // What a user without staunch stacks: backon's blocking retry around recloser.
    let recloser = staunch_benches::peers::recloser(10);
    let backon = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(10))
        .with_max_times(2);
    group.bench_function("backon_recloser", |b| {
        use backon::BlockingRetryable;
        b.iter(|| {
            (|| recloser.call(|| op(black_box(1))))
                .retry(backon)
                .when(|e| matches!(e, recloser::Error::Inner(_)))
                .call()
                .ok()
        })
    });
    group.finish();
}

fn async_success(c: &mut Criterion) {
    let mut group = c.benchmark_group("policy_async_closed_first_attempt_ok");
    let s = subjects();
    let mut cx = Context::from_waker(Waker::noop());

    group.bench_function("direct", |b| {
        b.iter(|| poll_ready_ok!(&mut cx, op_async(black_box(1))))
    });
    group.bench_function("retry", |b| {
        use staunch::Retryable;
        b.iter(|| poll_ready_ok!(&mut cx, (|| op_async(black_box(1))).retry(s.retry)))
    });
    group.bench_function("breaker", |b| {
        b.iter(|| poll_ready_ok!(&mut cx, s.breaker.call(|| op_async(black_box(1)))))
    });
    group.bench_function("policy", |b| {
        b.iter(|| poll_ready_ok!(&mut cx, s.policy.call(|| op_async(black_box(1)))))
    });
    group.bench_function("policy_when", |b| {
        b.iter(|| {
            let call = s
                .policy
                .call(|| op_async(black_box(1)))
                .when(staunch::classify::io::is_transient);
            poll_ready_ok!(&mut cx, call)
        })
    });
    group.bench_function("policy_budget", |b| {
        b.iter(|| poll_ready_ok!(&mut cx, s.policy_budget.call(|| op_async(black_box(1)))))
    });
    group.bench_function("policy_timeout", |b| {
        b.iter(|| poll_ready_ok!(&mut cx, s.policy_timeout.call(|| op_async(black_box(1)))))
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
