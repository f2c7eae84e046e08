//! `#[resilient]` runs on the combined policy's engine: it waits for the probe, spends a
//! budget, and takes a preset's attempt timeout when given a preset breaker.

use std::cell::Cell;
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{resilient, CircuitOpen, Clock, MCP_CIRCUIT_BREAKER};

#[derive(Debug, PartialEq)]
enum ApiError {
    Unavailable,
    Open,
}

impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError::Open
    }
}

impl From<staunch::AttemptTimeout> for ApiError {
    fn from(_: staunch::AttemptTimeout) -> Self {
        ApiError::Unavailable
    }
}

#[resilient(max_attempts = 3, failure_threshold = 1, recovery_timeout = 5, name = "it-resilient-probe", clock = clock.clone())]
fn flaky(clock: &Clock, calls: &Cell<u32>) -> Result<u32, ApiError> {
    calls.set(calls.get() + 1);
    if calls.get() == 1 {
        return Err(ApiError::Unavailable);
    }
    Ok(calls.get())
}

#[test]
fn resilient_waits_exactly_for_the_probe() {
    let (fake, calls) = (FakeClock::new(), Cell::new(0));
    assert_eq!(flaky(&fake.clock(), &calls), Ok(2));
    assert_eq!(fake.sleeps(), [Duration::from_secs(5)]);
}

#[resilient(MCP_CIRCUIT_BREAKER, max_attempts = 1, clock = clock.clone())]
async fn list_tools(clock: &FakeClock) -> Result<Vec<String>, ApiError> {
    clock.advance(Duration::from_secs(31)); // past the MCP preset's 30 s attempt timeout
    Ok(vec!["search".to_owned()])
}

#[tokio::test]
async fn a_preset_breaker_brings_its_attempt_timeout() {
    MCP_CIRCUIT_BREAKER.reset();
    let fake = FakeClock::new();
    // The late answer is returned, and counted as a failure of the MCP server.
    assert_eq!(list_tools(&fake).await.unwrap(), ["search"]);
    assert_eq!(MCP_CIRCUIT_BREAKER.failure_count(), 1);
    MCP_CIRCUIT_BREAKER.reset();
}

#[resilient(staunch::LLM_CIRCUIT_BREAKER, max_attempts = 2, clock = clock.clone())]
async fn hung_completion(clock: &Clock) -> Result<String, anyhow::Error> {
    let _ = clock;
    std::future::pending::<()>().await;
    Ok(String::from("never"))
}

/// A hung call under `#[resilient(LLM_CIRCUIT_BREAKER)]` is cut by the preset's attempt
/// timeout (on the fake clock, the timer fires at its first poll).
#[test]
fn async_resilient_enforces_the_attempt_timeout() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    staunch::LLM_CIRCUIT_BREAKER.reset();
    let fake = FakeClock::new();
    let clock = fake.clock();
    let mut call = std::pin::pin!(hung_completion(&clock));
    let waker = Waker::from(std::sync::Arc::new(crate::retry::NoopWake));
    let polled = call.as_mut().poll(&mut Context::from_waker(&waker));
    let Poll::Ready(result) = polled else {
        panic!("a hung attempt must be cut by its timeout");
    };
    assert!(result.is_err());
    assert_eq!(staunch::LLM_CIRCUIT_BREAKER.failure_count(), 2);
    staunch::LLM_CIRCUIT_BREAKER.reset();
}
