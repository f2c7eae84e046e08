use std::time::Duration;

use staunch::{circuit_breaker, resilient, retry_on_exception};

const NO_ATTEMPTS: u32 = 0;
const WAIT_MIN: Duration = Duration::from_secs(20);
const WAIT_MAX: Duration = Duration::from_secs(10);
const SECONDS: u64 = 30;

#[retry_on_exception(max_attempts = NO_ATTEMPTS)]
fn zero_attempts() -> Result<(), std::io::Error> {
    Ok(())
}

#[retry_on_exception(wait_min = WAIT_MIN, wait_max = WAIT_MAX)]
fn min_above_max() -> Result<(), std::io::Error> {
    Ok(())
}

#[retry_on_exception(wait_min = WAIT_MIN, wait_max = "10s")]
fn min_above_literal_max() -> Result<(), std::io::Error> {
    Ok(())
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[circuit_breaker(failure_threshold = NO_ATTEMPTS)]
fn no_threshold() -> Result<(), BoxError> {
    Ok(())
}

#[circuit_breaker(recovery_timeout = Duration::ZERO)]
fn no_recovery() -> Result<(), BoxError> {
    Ok(())
}

#[circuit_breaker(recovery_timeout = SECONDS)]
fn seconds_are_not_a_duration() -> Result<(), BoxError> {
    Ok(())
}

struct Client;

impl Client {
    const ATTEMPTS: u32 = 3;

    #[resilient(max_attempts = Self::ATTEMPTS)]
    fn call(&self) -> Result<(), BoxError> {
        Ok(())
    }
}

fn attempts(n: u32) -> u32 {
    n
}

#[retry_on_exception(max_attempts = attempts(3))]
fn not_const() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = zero_attempts();
    let _ = min_above_max();
    let _ = min_above_literal_max();
    let _ = no_threshold();
    let _ = no_recovery();
    let _ = seconds_are_not_a_duration();
    let _ = Client.call();
    let _ = not_const();
}
