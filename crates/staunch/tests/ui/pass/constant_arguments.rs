// Constant expressions as arguments, under every attribute, sync and async, methods
// included: they compile without a warning.
#![deny(warnings)]

use std::io;
use std::time::Duration;

use staunch::{
    circuit_breaker, resilient, retry_on_exception, retry_with_jitter, AttemptTimeout, CircuitOpen,
    Jitter,
};

const MAX_ATTEMPTS: u32 = 5;
const WAIT_MIN: Duration = Duration::from_millis(200);
const WAIT_MAX: Duration = Duration::from_secs(5);
const THRESHOLD: u32 = 3;
const RECOVERY: Duration = Duration::from_secs(30);
const JITTER: Jitter = Jitter::Decorrelated;

mod config {
    pub const ATTEMPTS: u32 = 2;
}

#[derive(Debug)]
pub struct Error;

impl From<CircuitOpen> for Error {
    fn from(_: CircuitOpen) -> Self {
        Error
    }
}

impl From<AttemptTimeout> for Error {
    fn from(_: AttemptTimeout) -> Self {
        Error
    }
}

#[retry_on_exception(max_attempts = MAX_ATTEMPTS, wait_min = WAIT_MIN, wait_max = WAIT_MAX)]
fn retried() -> Result<u8, io::Error> { Ok(1) }

#[retry_on_exception(max_attempts = config::ATTEMPTS, wait_min = Duration::from_millis(100), wait_max = "1s")]
async fn retried_async() -> Result<u8, io::Error> { Ok(1) }

#[retry_with_jitter(max_attempts = MAX_ATTEMPTS, base_wait = WAIT_MIN, max_wait = WAIT_MAX, jitter = JITTER, seed = 7 * 3)]
fn jittered() -> Result<u8, io::Error> { Ok(1) }

#[retry_with_jitter(jitter = Jitter::Equal, max_wait = WAIT_MAX)]
async fn jittered_async() -> Result<u8, io::Error> { Ok(1) }

#[circuit_breaker(failure_threshold = THRESHOLD, recovery_timeout = Duration::from_secs(30))]
fn guarded() -> Result<u8, Error> { Ok(1) }

#[circuit_breaker(failure_threshold = THRESHOLD * 2, recovery_timeout = RECOVERY)]
async fn guarded_async() -> Result<u8, Error> { Ok(1) }

#[resilient(max_attempts = MAX_ATTEMPTS, wait_min = WAIT_MIN, wait_max = WAIT_MAX, jitter = JITTER, failure_threshold = THRESHOLD, recovery_timeout = RECOVERY)]
fn resilient_one() -> Result<u8, Error> { Ok(1) }

#[resilient(max_attempts = config::ATTEMPTS, failure_threshold = THRESHOLD, recovery_timeout = Duration::from_secs(60))]
async fn resilient_async() -> Result<u8, Error> { Ok(1) }

pub struct Client;

impl Client {
    const ATTEMPTS: u32 = 4;

    #[retry_on_exception(max_attempts = Client::ATTEMPTS, wait_min = WAIT_MIN)]
    pub fn get(&self) -> Result<u8, io::Error> { Ok(1) }

    #[resilient(max_attempts = Client::ATTEMPTS, recovery_timeout = RECOVERY, name = "client-put")]
    pub async fn put(&self) -> Result<u8, Error> { Ok(1) }
}

fn main() {
    assert_eq!(retried().unwrap() + jittered().unwrap(), 2);
    assert_eq!(guarded().unwrap() + resilient_one().unwrap(), 2);
    assert_eq!(Client.get().unwrap(), 1);
    let _ = (retried_async(), jittered_async(), guarded_async(), resilient_async(), Client.put());
}
