//! Heap allocations per call, staunch and its peers, for the cases of `runtime.rs`
//! (`.await`ed in a tokio current-thread runtime, the subjects of `common/`) and for the
//! blocking forms. A counting global allocator (`stats_alloc`) counts what happens between the start and
//! the end of 1000 calls (after 100 calls of warm-up), so building the subject is not
//! counted. Prints a table; with `STAUNCH_ALLOCS_JSON=path` also writes the figures as
//! JSON for the performance report.
//!
//! `cargo bench -p staunch-benches --bench allocs`

use std::alloc::System;
use std::hint::black_box;
use std::io;

use layered::{Execute, Service as _, Stack as _};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use tokio::runtime::Runtime;
use tower_resilience_circuitbreaker::CircuitBreakerError;
use tower_resilience_retry::RetryLayer;

use staunch_benches::peers;

mod common;

use common::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const WARM_UP: u64 = 100;
const CALLS: u64 = 1000;

/// One figure: group, library, allocations per call, bytes per call.
type Row = (&'static str, &'static str, f64, f64);

/// Allocations (reallocations included) and bytes allocated per call since `region` began.
fn per_call(region: &Region<'_, System>) -> (f64, f64) {
    let change = region.change();
    let allocs = (change.allocations + change.reallocations) as f64;
    (
        allocs / CALLS as f64,
        change.bytes_allocated as f64 / CALLS as f64,
    )
}

/// Allocations and bytes per `.await`ed call of `call` on `state`, inside `rt`.
fn awaited<S, T>(rt: &Runtime, mut state: S, mut call: impl AsyncFnMut(&mut S) -> T) -> (f64, f64) {
    rt.block_on(async {
        for _ in 0..WARM_UP {
            black_box(call(&mut state).await);
        }
        let region = Region::new(GLOBAL);
        for _ in 0..CALLS {
            black_box(call(&mut state).await);
        }
        per_call(&region)
    })
}

/// The same for a blocking call.
fn blocking<T>(mut call: impl FnMut() -> T) -> (f64, f64) {
    for _ in 0..WARM_UP {
        black_box(call());
    }
    let region = Region::new(GLOBAL);
    for _ in 0..CALLS {
        black_box(call());
    }
    per_call(&region)
}

fn runtime_rows(rt: &Runtime, rows: &mut Vec<Row>) {
    use backon::Retryable as _;
    use failsafe::futures::CircuitBreaker as _;
    let mut push = |group, library, (a, b): (f64, f64)| rows.push((group, library, a, b));
    let never = (WARM_UP + CALLS) as u32 + 1;
    let context = seatbelt_context(rt);

    // A retry whose first attempt succeeds.
    let g = "runtime/retry_first_ok";
    let retry = staunch_retry();
    push(
        g,
        "staunch",
        awaited(rt, (), async |_| {
            staunch::Retryable::retry(|| op_async(black_box(1), false), retry).await
        }),
    );
    push(
        g,
        "staunch_borrowed",
        awaited(rt, (), async |_| {
            staunch::Retryable::retry(|| op_async(black_box(1), false), &retry).await
        }),
    );
    let policy = backon_policy();
    push(
        g,
        "backon",
        awaited(rt, (), async |_| {
            backon::Retryable::retry(|| op_async(black_box(1), false), policy).await
        }),
    );
    push(
        g,
        "tokio_retry",
        awaited(rt, (), async |_| {
            tokio_retry::Retry::start(tokio_retry_strategy(), || op_async(black_box(1), false))
                .await
        }),
    );
    push(
        g,
        "tryhard",
        awaited(rt, (), async |_| {
            tryhard::retry_fn(|| op_async(black_box(1), false))
                .retries(ATTEMPTS - 1)
                .exponential_backoff(WAIT_MIN)
                .max_delay(WAIT_MAX)
                .await
        }),
    );
    let tower = tower::ServiceBuilder::new()
        .layer(
            RetryLayer::<u64, u64, io::Error>::builder()
                .max_attempts(ATTEMPTS as usize)
                .exponential_backoff(WAIT_MIN)
                .build(),
        )
        .service_fn(|x| op_async(x, false));
    push(
        g,
        "tower_resilience",
        awaited(rt, tower, async |s| tower_call(s, black_box(1)).await),
    );
    let seatbelt = (
        seatbelt_retry(&context),
        Execute::new(|x| op_async(x, false)),
    )
        .into_service();
    push(
        g,
        "seatbelt",
        awaited(rt, (), async |_| seatbelt.execute(black_box(1)).await),
    );

    // Through a closed breaker: a success, then a counted failure.
    for (g, fail) in [
        ("runtime/closed_success", false),
        ("runtime/closed_failure", true),
    ] {
        let breaker = staunch_breaker(never);
        push(
            g,
            "staunch",
            awaited(rt, (), async |_| {
                breaker.call(|| op_async(black_box(1), fail)).await
            }),
        );
        let f = peers::failsafe(never);
        push(
            g,
            "failsafe",
            awaited(rt, (), async |_| f.call(op_async(black_box(1), fail)).await),
        );
        let r = recloser::AsyncRecloser::from(peers::recloser(never as usize));
        push(
            g,
            "recloser",
            awaited(rt, (), async |_| r.call(op_async(black_box(1), fail)).await),
        );
        let tower = tower_breaker_layer(never as usize)
            .layer_fn(tower::service_fn(move |x| op_async(x, fail)));
        push(
            g,
            "tower_resilience",
            awaited(rt, tower, async |s| tower_call(s, black_box(1)).await),
        );
        let seatbelt = (
            seatbelt_breaker(&context, never),
            Execute::new(move |x| op_async(x, fail)),
        )
            .into_service();
        push(
            g,
            "seatbelt",
            awaited(rt, (), async |_| seatbelt.execute(black_box(1)).await),
        );
    }

    // Rejected by an open breaker.
    let g = "runtime/open_rejection";
    let breaker = staunch_breaker(1);
    breaker.force_open();
    push(
        g,
        "staunch",
        awaited(rt, (), async |_| {
            breaker.call(|| op_async(black_box(1), false)).await
        }),
    );
    let f = peers::failsafe(1);
    let _ = run(rt, f.call(op_async(1, true)));
    push(
        g,
        "failsafe",
        awaited(rt, (), async |_| {
            f.call(op_async(black_box(1), false)).await
        }),
    );
    let r = recloser::AsyncRecloser::from(peers::recloser(1));
    let _ = run(rt, r.call(op_async(1, true)));
    let _ = run(rt, r.call(op_async(1, true)));
    push(
        g,
        "recloser",
        awaited(rt, (), async |_| {
            r.call(op_async(black_box(1), false)).await
        }),
    );
    let mut tower = tower_breaker_layer(1).layer_fn(tower::service_fn(op_async_pair));
    let _ = run(rt, tower_call(&mut tower, 0));
    assert!(matches!(
        run(rt, tower_call(&mut tower, 1)),
        Err(CircuitBreakerError::OpenCircuit)
    ));
    push(
        g,
        "tower_resilience",
        awaited(rt, tower, async |s| tower_call(s, black_box(1)).await),
    );
    let seatbelt = (seatbelt_breaker(&context, 1), Execute::new(op_async_pair)).into_service();
    let _ = run(rt, seatbelt.execute(0));
    let _ = run(rt, seatbelt.execute(0));
    assert!(run(rt, seatbelt.execute(1)).is_err(), "open");
    push(
        g,
        "seatbelt",
        awaited(rt, (), async |_| seatbelt.execute(black_box(1)).await),
    );

    // Retry around a breaker, with and without an attempt timeout.
    for (g, timeout) in [
        ("runtime/policy", false),
        ("runtime/policy_attempt_timeout", true),
    ] {
        let policy = staunch_policy(timeout.then_some(ATTEMPT_TIMEOUT));
        push(
            g,
            "staunch",
            awaited(rt, (), async |_| {
                policy.call(|| op_async(black_box(1), false)).await
            }),
        );
        let r = recloser::AsyncRecloser::from(peers::recloser(2 * THRESHOLD as usize));
        let backon = backon_policy();
        push(
            g,
            "backon_recloser",
            awaited(rt, (), async |_| {
                (|| async {
                    if timeout {
                        r.call(op_timed(black_box(1), false)).await
                    } else {
                        r.call(op_async(black_box(1), false)).await
                    }
                })
                .retry(backon)
                .when(|e| matches!(e, recloser::Error::Inner(_)))
                .await
            }),
        );
        let retry = RetryLayer::<u64, u64, CircuitBreakerError<io::Error>>::builder()
            .max_attempts(ATTEMPTS as usize)
            .exponential_backoff(WAIT_MIN)
            .retry_on(|e: &CircuitBreakerError<io::Error>| !e.is_circuit_open())
            .build();
        let tower = tower::ServiceBuilder::new()
            .layer(retry)
            .layer(tower_breaker_layer(THRESHOLD as usize))
            .service_fn(move |x| async move {
                if timeout {
                    op_timed(x, false).await
                } else {
                    op_async(x, false).await
                }
            });
        push(
            g,
            "tower_resilience",
            awaited(rt, tower, async |s| tower_call(s, black_box(1)).await),
        );
        let (retry, breaker) = (
            seatbelt_retry(&context),
            seatbelt_breaker(&context, 2 * THRESHOLD),
        );
        let execute = Execute::new(|x| op_async(x, false));
        let figures = if timeout {
            let timeout = seatbelt::timeout::Timeout::layer("bench", &context)
                .timeout_error(|_| io::ErrorKind::TimedOut.into())
                .timeout(ATTEMPT_TIMEOUT);
            let seatbelt = (retry, breaker, timeout, execute).into_service();
            awaited(rt, (), async |_| seatbelt.execute(black_box(1)).await)
        } else {
            let seatbelt = (retry, breaker, execute).into_service();
            awaited(rt, (), async |_| seatbelt.execute(black_box(1)).await)
        };
        push(g, "seatbelt", figures);
    }
}

fn blocking_rows(rows: &mut Vec<Row>) {
    use failsafe::CircuitBreaker as _;
    let mut push = |group, library, (a, b): (f64, f64)| rows.push((group, library, a, b));
    let never = (WARM_UP + CALLS) as u32 + 1;

    let g = "blocking/retry_first_ok";
    let retry = staunch_retry();
    push(
        g,
        "staunch",
        blocking(|| {
            use staunch::BlockingRetryable as _;
            (|| op(black_box(1), false)).retry_blocking(retry).call()
        }),
    );
    let policy = backon_policy();
    push(
        g,
        "backon",
        blocking(|| {
            use backon::BlockingRetryable as _;
            (|| op(black_box(1), false)).retry(policy).call()
        }),
    );

    for (g, fail) in [
        ("blocking/closed_success", false),
        ("blocking/closed_failure", true),
    ] {
        let breaker = staunch_breaker(never);
        push(
            g,
            "staunch",
            blocking(|| breaker.call_blocking(|| op(black_box(1), fail))),
        );
        let f = peers::failsafe(never);
        push(
            g,
            "failsafe",
            blocking(|| f.call(|| op(black_box(1), fail))),
        );
        let r = peers::recloser(never as usize);
        push(
            g,
            "recloser",
            blocking(|| r.call(|| op(black_box(1), fail))),
        );
    }

    let g = "blocking/open_rejection";
    let breaker = staunch_breaker(1);
    breaker.force_open();
    push(
        g,
        "staunch",
        blocking(|| breaker.call_blocking(|| op(black_box(1), false))),
    );
    let f = peers::failsafe(1);
    let _ = f.call(|| op(1, true));
    push(
        g,
        "failsafe",
        blocking(|| f.call(|| op(black_box(1), false))),
    );
    let r = peers::recloser(1);
    let _ = r.call(|| op(1, true));
    let _ = r.call(|| op(1, true));
    push(
        g,
        "recloser",
        blocking(|| r.call(|| op(black_box(1), false))),
    );

    // Named as in `policy.rs`'s blocking group.
    for (library, timeout) in [("staunch", false), ("staunch_attempt_timeout", true)] {
        let policy = staunch_policy(timeout.then_some(ATTEMPT_TIMEOUT));
        let figures = blocking(|| policy.call_blocking(|| op(black_box(1), false)));
        push("blocking/policy", library, figures);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once as well.
    let mut rows = Vec::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime_rows(&rt, &mut rows);
    blocking_rows(&mut rows);
    println!("| group | library | allocations per call | bytes per call |");
    println!("|---|---|---:|---:|");
    for (group, library, allocs, bytes) in &rows {
        println!("| {group} | {library} | {allocs:.2} | {bytes:.0} |");
    }
    if let Ok(path) = std::env::var("STAUNCH_ALLOCS_JSON") {
        let json: Vec<_> = rows
            .iter()
            .map(|(group, library, allocs, bytes)| {
                serde_json::json!({"group": group, "library": library, "allocs": allocs, "bytes": bytes})
            })
            .collect();
        let text = serde_json::to_string_pretty(&json).unwrap();
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    }
}
