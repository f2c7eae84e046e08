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
