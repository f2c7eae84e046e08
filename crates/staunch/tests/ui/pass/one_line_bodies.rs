// One-line bodies under every attribute, sync and async, compile without a warning.
#![deny(warnings)]

use std::io;

use staunch::{
    circuit_breaker, resilient, retry_on_exception, retry_with_jitter, AttemptTimeout, CircuitOpen,
};

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

#[retry_on_exception]
fn retried() -> Result<u8, io::Error> { Ok(1) }

#[retry_on_exception]
async fn retried_async() -> Result<u8, io::Error> { Ok(1) }

#[retry_with_jitter]
fn jittered() -> Result<u8, io::Error> { Ok(1) }

#[circuit_breaker]
fn guarded() -> Result<u8, Error> { Ok(1) }

#[circuit_breaker]
async fn guarded_async() -> Result<u8, Error> { Ok(1) }

#[resilient]
fn resilient_one() -> Result<u8, Error> { Ok(1) }

#[resilient]
async fn resilient_async() -> Result<u8, Error> { Ok(1) }

fn main() {
    assert_eq!(retried().unwrap() + jittered().unwrap(), 2);
    assert_eq!(guarded().unwrap() + resilient_one().unwrap(), 2);
    let _ = (retried_async(), guarded_async(), resilient_async());
}
