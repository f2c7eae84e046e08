//! Benchmarks measured the way users call: `.await`ed inside a tokio runtime
//! (current-thread and multi-thread), each measurement one `block_on` over a loop of
//! `.await`s, the operation opaque to the optimizer (an out-of-line function on a
//! `black_box`ed branch, behind an ordinary `async fn`), the whole result kept
//! (`black_box`ed).
//!
//! Every group holds staunch and the peers that do the same job, side by side in one run,
//! each called as its documentation shows for async code:
//!
//! | group | staunch | peers |
//! |---|---|---|
//! | `retry_first_ok` | `Retryable::retry`, the policy by value (`staunch`) and borrowed (`staunch_borrowed`) | backon, tokio-retry, tryhard, tower-resilience retry layer, seatbelt retry |
//! | `closed_success`, `closed_failure`, `open_rejection` | `CircuitBreaker::call` | failsafe (`futures::CircuitBreaker`), recloser (`AsyncRecloser`), tower-resilience circuit breaker layer, seatbelt breaker |
//! | `policy` (retry + breaker) | `Policy::call` | backon around failsafe, backon around recloser, tower-resilience retry around its breaker, seatbelt retry around its breaker |
//! | `policy_attempt_timeout` | `Policy::call` with `attempt_timeout` | the same stacks with a timeout around each attempt (`tokio::time::timeout`, seatbelt's timeout layer) |
//!
//! tokio-retry and tryhard have no circuit breaker; failsafe and recloser no retry.
//!
//! Two reference points, `floor`, run beside them: the least any wrapper of the call can
//! do (`staunch_benches::floor`). In `retry_first_ok`, a future that owns the closure,
//! makes the attempt's future inside its own and polls it; in `closed_success`, the same
//! behind one atomic load of a state word before the attempt and one after. What they
//! cost over `direct` is what wrapping the call costs before any retry or breaker logic.
//! Every peer gets the same numbers: 3 attempts (2 retries), waits from 1 s to 10 s, a
//! breaker opening after 5 failures (rate breakers: 50 % of 10 calls) and staying open
//! for an hour, an attempt timeout of 2 s.
//!
//! `closed_failure` makes its failing calls in chunks of 1000 on a fresh breaker (built
//! outside the timing) that trips only after 1001, so every measured call is a counted
//! failure on a closed circuit.
//!
//! The samples of each case run at 72 depths of the stack in turn (`deeper`), their
//! loop's future on the heap at 8 offsets in a cache line in turn (`placed`): where the
//! loop and its future sit changes what the same code costs by up to half, and the
//! median over placements does not depend on one placement's luck.
//!
//! `cargo bench -p staunch-benches --bench runtime -- --warm-up-time 1 --measurement-time 2`

use std::future::Future;
use std::hint::black_box;
use std::io;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Bencher, BenchmarkId, Criterion};
use layered::{Execute, Service as _, Stack as _};
use tokio::runtime::Runtime;
use tower_resilience_circuitbreaker::CircuitBreakerError;
use tower_resilience_retry::RetryLayer;

use staunch_benches::floor::{Gated, Wrapper};
use staunch_benches::peers;

mod common;

use common::*;
/// Times `iters` calls of `call`, each `.await`ed inside `rt`: one `block_on` over a loop
/// per chunk of at most `chunk` calls, each chunk on a fresh `make()` built outside the
/// timing. Each call's whole output is kept (`black_box`).
///
/// Each sample runs its loop at another depth of the stack (see [`deeper`]) and with its
/// future at another offset in a cache line (see [`placed`]), so that criterion's median
/// is the median over where the loop and its future sit, for every library alike, rather
/// than the luck of one placement.
fn awaited<S, T>(
    b: &mut Bencher<'_>,
    rt: &Runtime,
    chunk: u64,
    mut make: impl FnMut() -> S,
    mut call: impl AsyncFnMut(&mut S) -> T,
) {
    let mut sample = 0;
    b.iter_custom(|iters| {
        sample += 1;
        // Each placement pairs a depth with an offset; consecutive samples stride through
        // all of them (173 is prime to their count), so depths and offsets vary apart.
        let placement = sample * 173 % (DEPTHS * OFFSETS);
        let (depth, offset) = (placement % DEPTHS, placement / DEPTHS);
        deeper(depth, &mut || {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(chunk);
                left -= n;
                let mut state = make();
                total += rt.block_on(placed(offset, async {
                    let start = Instant::now();
                    for _ in 0..n {
                        black_box(call(&mut state).await);
                    }
                    start.elapsed()
                }));
            }
            total
        })
    })
}

/// How many depths of the stack the samples of a case cycle through: with
/// [`deeper`]'s frames of at least 64 bytes, more than the 4 KiB over which addresses
/// alias.
const DEPTHS: u32 = 72;

/// How many offsets in a cache line the samples of a case cycle their loop's future
/// through: every 8 bytes of 64.
const OFFSETS: u32 = 8;

/// `future` on the heap, `offset` × 8 bytes past the start of a cache line.
///
/// Where in a cache line a future sits changes what the same code costs: with the future
/// of the loop placed at each of the 8 offsets in turn, one run measured a retry whose
/// policy is copied into its future at 4.7 ns to 5.6 ns, and one that borrows it at
/// 3.5 ns to 4.0 ns, in a current-thread runtime. Stack placements alone move the future
/// in whole 16-byte steps (frames are 16-byte aligned), so its offset within 16 bytes was
/// the same in every sample, and a case's figure that offset's luck. A spawned task's
/// future lives on the heap, too.
fn placed<'a, T>(offset: u32, future: impl Future<Output = T> + 'a) -> Placed<'a, T> {
    match offset {
        0 => at::<0, _>(future),
        1 => at::<8, _>(future),
        2 => at::<16, _>(future),
        3 => at::<24, _>(future),
        4 => at::<32, _>(future),
        5 => at::<40, _>(future),
        6 => at::<48, _>(future),
        _ => at::<56, _>(future),
    }
}

/// `future` on the heap, `N` bytes past the start of a cache line.
fn at<'a, const N: usize, F: Future + 'a>(future: F) -> Placed<'a, F::Output> {
    Box::pin(At {
        pad: [0u8; N],
        future,
    })
}

/// A future placed by [`placed`].
type Placed<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

pin_project_lite::pin_project! {
    /// `future` after `pad`, from the start of a cache line.
    #[repr(C, align(64))]
    struct At<Pad, F> {
        pad: Pad,
        #[pin]
        future: F,
    }
}

impl<Pad, F: Future> Future for At<Pad, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}

/// Runs `f` with the stack `depth` frames of at least 64 bytes deeper.
///
/// Where a benchmark's loop sits on the stack changes what the same code costs: the same
/// binary measured a staunch closed-breaker success in a current-thread runtime at
/// 8.9 ns to 15.6 ns as only the size of the process's environment changed (it moves
/// the stack), and peers move the same way. The likely cause is 4K aliasing: a load that
/// follows a store whose address has the same low 12 bits waits for it. A whole run
/// keeps one placement per case, so one run's figure for a case is that placement's
/// luck; cycling the placements over the samples makes the median a property of the code.
#[inline(never)]
fn deeper(depth: u32, f: &mut dyn FnMut() -> Duration) -> Duration {
    let pad = [0u8; 64];
    black_box(&pad);
    let spent = if depth == 0 {
        f()
    } else {
        deeper(depth - 1, f)
    };
    // Still in use after the call: the frame is not turned into a loop.
    black_box(&pad);
    spent
}

fn retry_first_ok(c: &mut Criterion) {
    let mut group = c.benchmark_group("runtime/retry_first_ok");
    let retry = staunch_retry();
    for (rt_name, rt) in runtimes() {
        let id = |library: &str| BenchmarkId::new(library, rt_name);
        let rt = &rt;
        group.bench_function(id("direct"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| op_async(black_box(1), false).await,
            )
        });
        group.bench_function(id("floor"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| Wrapper::new(|| op_async(black_box(1), false)).await,
            )
        });
        group.bench_function(id("staunch"), |b| {
            use staunch::Retryable as _;
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| (|| op_async(black_box(1), false)).retry(retry).await,
            )
        });
        group.bench_function(id("staunch_borrowed"), |b| {
            use staunch::Retryable as _;
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| (|| op_async(black_box(1), false)).retry(&retry).await,
            )
        });
        group.bench_function(id("backon"), |b| {
            use backon::Retryable as _;
            let policy = backon_policy();
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| (|| op_async(black_box(1), false)).retry(policy).await,
            )
        });
        group.bench_function(id("tokio_retry"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| {
                    tokio_retry::Retry::start(tokio_retry_strategy(), || {
                        op_async(black_box(1), false)
                    })
                    .await
                },
            )
        });
        group.bench_function(id("tryhard"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| {
                    tryhard::retry_fn(|| op_async(black_box(1), false))
                        .retries(ATTEMPTS - 1)
                        .exponential_backoff(WAIT_MIN)
                        .max_delay(WAIT_MAX)
                        .await
                },
            )
        });
        let tower = tower::ServiceBuilder::new()
            .layer(
                RetryLayer::<u64, u64, io::Error>::builder()
                    .max_attempts(ATTEMPTS as usize)
                    .exponential_backoff(WAIT_MIN)
                    .build(),
            )
            .service_fn(|x| op_async(x, false));
        group.bench_function(id("tower_resilience"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || tower.clone(),
                async |service| tower_call(service, black_box(1)).await,
            )
        });
        let context = seatbelt_context(rt);
        let seatbelt = (
            seatbelt_retry(&context),
            Execute::new(|x| op_async(x, false)),
        )
            .into_service();
        group.bench_function(id("seatbelt"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| seatbelt.execute(black_box(1)).await,
            )
        });
    }
    group.finish();
}

/// A success through a closed breaker.
fn closed_success(c: &mut Criterion) {
    let mut group = c.benchmark_group("runtime/closed_success");
    let breaker = staunch_breaker(THRESHOLD);
    let word = AtomicU64::new(0);
    let f = peers::failsafe(THRESHOLD);
    let r = recloser::AsyncRecloser::from(peers::recloser(2 * THRESHOLD as usize));
    for (rt_name, rt) in runtimes() {
        let id = |library: &str| BenchmarkId::new(library, rt_name);
        let rt = &rt;
        group.bench_function(id("direct"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| op_async(black_box(1), false).await,
            )
        });
        group.bench_function(id("floor"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| Gated::new(&word, || op_async(black_box(1), false)).await,
            )
        });
        group.bench_function(id("staunch"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| breaker.call(|| op_async(black_box(1), false)).await,
            )
        });
        group.bench_function(id("failsafe"), |b| {
            use failsafe::futures::CircuitBreaker as _;
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| f.call(op_async(black_box(1), false)).await,
            )
        });
        group.bench_function(id("recloser"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| r.call(op_async(black_box(1), false)).await,
            )
        });
        let tower = tower_breaker_layer(THRESHOLD as usize)
            .layer_fn(tower::service_fn(|x| op_async(x, false)));
        group.bench_function(id("tower_resilience"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || tower.clone(),
                async |service| tower_call(service, black_box(1)).await,
            )
        });
        let context = seatbelt_context(rt);
        let seatbelt = (
            seatbelt_breaker(&context, 2 * THRESHOLD),
            Execute::new(|x| op_async(x, false)),
        )
            .into_service();
        group.bench_function(id("seatbelt"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| seatbelt.execute(black_box(1)).await,
            )
        });
    }
    group.finish();
}

/// A counted failure through a closed breaker (fresh breakers that never trip).
fn closed_failure(c: &mut Criterion) {
    let mut group = c.benchmark_group("runtime/closed_failure");
    let never = CHUNK as u32 + 1;
    for (rt_name, rt) in runtimes() {
        let id = |library: &str| BenchmarkId::new(library, rt_name);
        let rt = &rt;
        group.bench_function(id("direct"), |b| {
            awaited(
                b,
                rt,
                CHUNK,
                || (),
                async |_| op_async(black_box(1), true).await,
            )
        });
        group.bench_function(id("staunch"), |b| {
            awaited(
                b,
                rt,
                CHUNK,
                || staunch_breaker(never),
                async |breaker| breaker.call(|| op_async(black_box(1), true)).await,
            )
        });
        group.bench_function(id("failsafe"), |b| {
            use failsafe::futures::CircuitBreaker as _;
            awaited(
                b,
                rt,
                CHUNK,
                || peers::failsafe(never),
                async |f| f.call(op_async(black_box(1), true)).await,
            )
        });
        group.bench_function(id("recloser"), |b| {
            awaited(
                b,
                rt,
                CHUNK,
                || recloser::AsyncRecloser::from(peers::recloser(never as usize)),
                async |r| r.call(op_async(black_box(1), true)).await,
            )
        });
        group.bench_function(id("tower_resilience"), |b| {
            awaited(
                b,
                rt,
                CHUNK,
                || {
                    tower_breaker_layer(never as usize)
                        .layer_fn(tower::service_fn(|x| op_async(x, true)))
                },
                async |service| tower_call(service, black_box(1)).await,
            )
        });
        let context = seatbelt_context(rt);
        group.bench_function(id("seatbelt"), |b| {
            awaited(
                b,
                rt,
                CHUNK,
                || {
                    (
                        seatbelt_breaker(&context, never),
                        Execute::new(|x| op_async(x, true)),
                    )
                        .into_service()
                },
                async |service| service.execute(black_box(1)).await,
            )
        });
    }
    group.finish();
}

/// A call rejected by an open breaker.
fn open_rejection(c: &mut Criterion) {
    use failsafe::futures::CircuitBreaker as _;
    let mut group = c.benchmark_group("runtime/open_rejection");
    let breaker = staunch_breaker(1);
    breaker.force_open();
    let f = peers::failsafe(1);
    let r = recloser::AsyncRecloser::from(peers::recloser(1));
    for (rt_name, rt) in runtimes() {
        let id = |library: &str| BenchmarkId::new(library, rt_name);
        let rt = &rt;
        let rejected = run(rt, breaker.call(|| op_async(1, false)));
        assert!(matches!(rejected, Err(staunch::BreakerError::Open(_))));
        group.bench_function(id("staunch"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| breaker.call(|| op_async(black_box(1), false)).await,
            )
        });
        let _ = run(rt, f.call(op_async(1, true)));
        let rejected = run(rt, f.call(op_async(1, false)));
        assert!(matches!(rejected, Err(failsafe::Error::Rejected)));
        group.bench_function(id("failsafe"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| f.call(op_async(black_box(1), false)).await,
            )
        });
        let _ = run(rt, r.call(op_async(1, true)));
        let _ = run(rt, r.call(op_async(1, true)));
        let rejected = run(rt, r.call(op_async(1, false)));
        assert!(matches!(rejected, Err(recloser::Error::Rejected)));
        group.bench_function(id("recloser"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| r.call(op_async(black_box(1), false)).await,
            )
        });
        let mut tower = tower_breaker_layer(1).layer_fn(tower::service_fn(op_async_pair));
        let _ = run(rt, tower_call(&mut tower, 0));
        let rejected = run(rt, tower_call(&mut tower, 1));
        assert!(matches!(rejected, Err(CircuitBreakerError::OpenCircuit)));
        group.bench_function(id("tower_resilience"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || tower.clone(),
                async |service| tower_call(service, black_box(1)).await,
            )
        });
        let context = seatbelt_context(rt);
        let seatbelt = (seatbelt_breaker(&context, 1), Execute::new(op_async_pair)).into_service();
        let _ = run(rt, seatbelt.execute(0));
        let _ = run(rt, seatbelt.execute(0));
        let rejected = run(rt, seatbelt.execute(1));
        assert_eq!(rejected.unwrap_err().kind(), io::ErrorKind::Other, "open");
        group.bench_function(id("seatbelt"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| seatbelt.execute(black_box(1)).await,
            )
        });
    }
    group.finish();
}

/// Retry around a breaker, the first attempt succeeding on a closed circuit; with an
/// attempt timeout when `timeout`.
fn policy(c: &mut Criterion, timeout: bool) {
    use backon::Retryable as _;
    use failsafe::futures::CircuitBreaker as _;
    let name = if timeout {
        "runtime/policy_attempt_timeout"
    } else {
        "runtime/policy"
    };
    let mut group = c.benchmark_group(name);
    let policy = staunch_policy(timeout.then_some(ATTEMPT_TIMEOUT));
    let f = peers::failsafe(THRESHOLD);
    let r = recloser::AsyncRecloser::from(peers::recloser(2 * THRESHOLD as usize));
    let backon = backon_policy();
    for (rt_name, rt) in runtimes() {
        let id = |library: &str| BenchmarkId::new(library, rt_name);
        let rt = &rt;
        group.bench_function(id("direct"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| op_async(black_box(1), false).await,
            )
        });
        group.bench_function(id("staunch"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| policy.call(|| op_async(black_box(1), false)).await,
            )
        });
        group.bench_function(id("backon_recloser"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || (),
                async |_| {
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
                },
            )
        });
        if !timeout {
            group.bench_function(id("backon_failsafe"), |b| {
                awaited(
                    b,
                    rt,
                    u64::MAX,
                    || (),
                    async |_| {
                        (|| f.call(op_async(black_box(1), false)))
                            .retry(backon)
                            .when(|e| matches!(e, failsafe::Error::Inner(_)))
                            .await
                    },
                )
            });
        }
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
        group.bench_function(id("tower_resilience"), |b| {
            awaited(
                b,
                rt,
                u64::MAX,
                || tower.clone(),
                async |service| tower_call(service, black_box(1)).await,
            )
        });
        let context = seatbelt_context(rt);
        let retry = seatbelt_retry(&context);
        let breaker = seatbelt_breaker(&context, 2 * THRESHOLD);
        let execute = Execute::new(|x| op_async(x, false));
        if timeout {
            let seatbelt = (
                retry,
                breaker,
                seatbelt::timeout::Timeout::layer("bench", &context)
                    .timeout_error(|_| io::ErrorKind::TimedOut.into())
                    .timeout(ATTEMPT_TIMEOUT),
                execute,
            )
                .into_service();
            group.bench_function(id("seatbelt"), |b| {
                awaited(
                    b,
                    rt,
                    u64::MAX,
                    || (),
                    async |_| seatbelt.execute(black_box(1)).await,
                )
            });
        } else {
            let seatbelt = (retry, breaker, execute).into_service();
            group.bench_function(id("seatbelt"), |b| {
                awaited(
                    b,
                    rt,
                    u64::MAX,
                    || (),
                    async |_| seatbelt.execute(black_box(1)).await,
                )
            });
        }
    }
    group.finish();
}

fn combined(c: &mut Criterion) {
    policy(c, false);
    policy(c, true);
}

criterion_group!(
    benches,
    retry_first_ok,
    closed_success,
    closed_failure,
    open_rejection,
    combined
);
criterion_main!(benches);
