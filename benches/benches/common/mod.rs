//! The subjects of the runtime benches (`runtime.rs`) and of the allocation count
//! (`allocs.rs`): the operation, and staunch and each peer configured alike.

// Each bench target uses a part of this module.
#![allow(dead_code)]

use std::future::Future;
use std::hint::black_box;
use std::io;
use std::time::Duration;

use tokio::runtime::Runtime;
use tower::ServiceExt as _;
use tower_resilience_circuitbreaker::CircuitBreakerLayer;

use staunch_benches::peers::HOUR;

/// Attempts in total, the first included, for every retry.
pub(crate) const ATTEMPTS: u32 = 3;
/// Consecutive failures that open every consecutive-failure breaker.
pub(crate) const THRESHOLD: u32 = 5;
/// Failing calls per chunk in `closed_failure`; each chunk gets a fresh breaker.
pub(crate) const CHUNK: u64 = 1000;
pub(crate) const WAIT_MIN: Duration = Duration::from_secs(1);
pub(crate) const WAIT_MAX: Duration = Duration::from_secs(10);
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) type Outcome = Result<u64, io::Error>;

/// `Ok(x + 1)` (or an error when `fail`), by way of a branch the optimizer cannot decide.
#[inline(never)]
pub(crate) fn op(x: u64, fail: bool) -> Outcome {
    if black_box(fail) {
        Err(io::ErrorKind::TimedOut.into())
    } else {
        Ok(black_box(x).wrapping_add(1))
    }
}

pub(crate) async fn op_async(x: u64, fail: bool) -> Outcome {
    op(x, fail)
}

/// The operation under `tokio::time::timeout`, as a peer's user bounds an attempt.
pub(crate) async fn op_timed(x: u64, fail: bool) -> Outcome {
    tokio::time::timeout(ATTEMPT_TIMEOUT, op_async(x, fail))
        .await
        .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
}

pub(crate) fn runtimes() -> Vec<(&'static str, Runtime)> {
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

/// Runs `future` to completion inside `rt` (for setting up and checking the subjects).
pub(crate) fn run<F: Future>(rt: &Runtime, future: F) -> F::Output {
    rt.block_on(future)
}

// ---- staunch

pub(crate) fn staunch_breaker(threshold: u32) -> staunch::CircuitBreaker {
    staunch::CircuitBreaker::builder("bench")
        .failure_threshold(threshold)
        .recovery_timeout(HOUR)
        .build()
        .unwrap()
}

pub(crate) fn staunch_retry() -> staunch::RetryPolicy {
    staunch::RetryBuilder::retry_on_exception()
        .max_attempts(ATTEMPTS)
        .wait_min(WAIT_MIN)
        .wait_max(WAIT_MAX)
        .build()
        .unwrap()
}

pub(crate) fn staunch_policy(attempt_timeout: Option<Duration>) -> staunch::Policy {
    let builder = staunch::Policy::builder("bench")
        .max_attempts(ATTEMPTS)
        .wait_min(WAIT_MIN)
        .wait_max(WAIT_MAX)
        .failure_threshold(THRESHOLD)
        .recovery_timeout(HOUR);
    match attempt_timeout {
        Some(timeout) => builder.attempt_timeout(timeout),
        None => builder,
    }
    .build()
    .unwrap()
}

// ---- retry-only peers

pub(crate) fn backon_policy() -> backon::ExponentialBuilder {
    backon::ExponentialBuilder::default()
        .with_min_delay(WAIT_MIN)
        .with_max_delay(WAIT_MAX)
        .with_max_times(ATTEMPTS as usize - 1)
}

pub(crate) fn tokio_retry_strategy() -> std::iter::Take<tokio_retry::strategy::ExponentialBackoff> {
    tokio_retry::strategy::ExponentialBackoff::from_millis(2)
        .factor(WAIT_MIN.as_millis() as u64 / 2)
        .max_delay(WAIT_MAX)
        .take(ATTEMPTS as usize - 1)
}

// ---- tower-resilience

pub(crate) fn tower_breaker_layer(threshold: usize) -> CircuitBreakerLayer {
    CircuitBreakerLayer::builder()
        .consecutive_failures(threshold)
        .wait_duration_in_open(HOUR)
        .build()
        .unwrap()
}

/// `ServiceExt::ready` then `call`, as a tower service is called by hand.
pub(crate) async fn tower_call<S>(service: &mut S, x: u64) -> Result<S::Response, S::Error>
where
    S: tower::Service<u64>,
{
    service.ready().await?.call(x).await
}

// ---- seatbelt

/// seatbelt's context on a clock driven by the runtime `rt`.
pub(crate) fn seatbelt_context(rt: &Runtime) -> seatbelt::ResilienceContext<u64, Outcome> {
    let clock = run(rt, async { tick::Clock::new_tokio() });
    seatbelt::ResilienceContext::new(&clock)
}

pub(crate) fn seatbelt_recovery(outcome: &Outcome) -> seatbelt::RecoveryInfo {
    match outcome {
        Ok(_) => seatbelt::RecoveryInfo::never(),
        Err(_) => seatbelt::RecoveryInfo::retry(),
    }
}

pub(crate) fn seatbelt_breaker(
    context: &seatbelt::ResilienceContext<u64, Outcome>,
    min_throughput: u32,
) -> seatbelt::breaker::BreakerLayer<
    u64,
    Outcome,
    seatbelt::typestates::Set,
    seatbelt::typestates::Set,
> {
    seatbelt::breaker::Breaker::layer("bench", context)
        .recovery_with(|outcome: &Outcome, _| seatbelt_recovery(outcome))
        .rejected_input_error(|_, _| io::ErrorKind::Other.into())
        .failure_threshold(0.5)
        .min_throughput(min_throughput)
        .break_duration(HOUR)
}

pub(crate) fn seatbelt_retry(
    context: &seatbelt::ResilienceContext<u64, Outcome>,
) -> seatbelt::retry::RetryLayer<u64, Outcome, seatbelt::typestates::Set, seatbelt::typestates::Set>
{
    seatbelt::retry::Retry::layer("bench", context)
        .clone_input()
        .recovery_with(|outcome: &Outcome, _| seatbelt_recovery(outcome))
        .max_retry_attempts(ATTEMPTS - 1)
        .base_delay(WAIT_MIN)
        .max_delay(WAIT_MAX)
}

/// Fails on 0 (to trip a breaker while setting up), succeeds otherwise.
pub(crate) async fn op_async_pair(x: u64) -> Outcome {
    op(x, x == 0)
}
