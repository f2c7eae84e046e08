//! `#[resilient(PRESET_BREAKER)]` after `Preset::install` retries like the installed
//! policy, not like the environment. One test in its own binary: it installs a
//! process-wide preset and sets process variables.

use std::time::Duration;

use staunch::presets::DATABASE;
use staunch::test_util::FakeClock;
use staunch::{resilient, CircuitOpen, Policy, DATABASE_CIRCUIT_BREAKER};

#[derive(Debug, PartialEq)]
enum DbError {
    Timeout,
    Open,
}

impl From<CircuitOpen> for DbError {
    fn from(_: CircuitOpen) -> Self {
        DbError::Open
    }
}

#[resilient(DATABASE_CIRCUIT_BREAKER, clock = clock.clone())]
fn query(clock: &FakeClock) -> Result<u32, DbError> {
    clock.advance(Duration::from_millis(10));
    Err(DbError::Timeout)
}

#[resilient(DATABASE_CIRCUIT_BREAKER, max_attempts = 2, clock = clock.clone())]
fn query_given(clock: &FakeClock) -> Result<u32, DbError> {
    clock.advance(Duration::from_millis(10));
    Err(DbError::Timeout)
}

#[resilient(DATABASE_CIRCUIT_BREAKER, max_attempts = 1, clock = clock.clone())]
fn slow_query(clock: &FakeClock) -> Result<u32, DbError> {
    clock.advance(Duration::from_secs(3)); // past the installed 2 s attempt timeout
    Ok(7)
}

#[test]
fn the_installed_settings_reach_the_attribute() {
    // The environment says otherwise; installed settings are set in code and win.
    std::env::set_var("DATABASE_RETRY_MAX_ATTEMPTS", "9");
    std::env::set_var("DATABASE_RETRY_WAIT_MAX", "30");

    let mut settings = DATABASE.defaults();
    settings.retry_max_attempts = 4;
    settings.retry_wait_min = Duration::from_millis(50);
    settings.retry_wait_max = Duration::from_millis(200);
    settings.circuit_failure_threshold = 50;
    settings.attempt_timeout = Some(Duration::from_secs(2));
    let policy = DATABASE.install(&settings).unwrap();
    assert!(std::ptr::eq(policy, Policy::database()));

    let fake = FakeClock::new();
    assert_eq!(query(&fake), Err(DbError::Timeout));
    let sleeps = fake.sleeps();
    assert_eq!(
        sleeps.len(),
        3,
        "4 installed attempts, not 9 from the environment"
    );
    for sleep in &sleeps {
        let ms = sleep.as_millis();
        assert!(
            (50..=200).contains(&ms),
            "a wait of {ms} ms is outside the installed 50..=200 ms"
        );
    }

    // Arguments given to the attribute still win over the installed settings.
    let fake = FakeClock::new();
    assert_eq!(query_given(&fake), Err(DbError::Timeout));
    assert_eq!(fake.sleeps().len(), 1);

    // The installed attempt timeout: a late answer is returned and counted as a failure.
    DATABASE_CIRCUIT_BREAKER.reset();
    let fake = FakeClock::new();
    assert_eq!(slow_query(&fake), Ok(7));
    assert_eq!(DATABASE_CIRCUIT_BREAKER.failure_count(), 1);
}
