//! Arguments not given come from the environment (`ResilienceSettings`), read once per
//! function at its first call. One test in its own binary: it sets process variables.

use std::io;
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{circuit_breaker, retry_on_exception, CircuitOpen, CircuitState, Clock, Registry};

#[derive(Debug)]
enum Error {
    Down,
    Open,
}

impl From<CircuitOpen> for Error {
    fn from(_: CircuitOpen) -> Self {
        Error::Open
    }
}

#[retry_on_exception(clock = clock.clone())]
fn configured_by_env(clock: &Clock) -> Result<(), io::Error> {
    Err(io::ErrorKind::TimedOut.into())
}

#[retry_on_exception(max_attempts = 2, wait_max = "100ms", clock = clock.clone())]
fn partly_given(clock: &Clock) -> Result<(), io::Error> {
    Err(io::ErrorKind::TimedOut.into())
}

#[circuit_breaker(name = "env-breaker", clock = clock.clone())]
fn guarded(clock: &Clock) -> Result<(), Error> {
    Err(Error::Down)
}

#[retry_on_exception(wait_min = "10ms", clock = clock.clone())]
fn with_broken_env(clock: &Clock) -> Result<(), io::Error> {
    Err(io::ErrorKind::TimedOut.into())
}

#[test]
fn settings_fill_in_the_arguments_not_given() {
    std::env::set_var("RETRY_MAX_ATTEMPTS", "4");
    std::env::set_var("RETRY_WAIT_MIN", "250ms");
    std::env::set_var("RETRY_WAIT_MAX", "0.5");
    std::env::set_var("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "2");

    let fake = FakeClock::new();
    assert!(configured_by_env(&fake.clock()).is_err());
    let ms: Vec<u128> = fake.sleeps().iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [250, 500, 500]);

    // Given arguments win; a given `wait_max` below the settings' `wait_min` lowers it.
    let fake = FakeClock::new();
    assert!(partly_given(&fake.clock()).is_err());
    assert_eq!(fake.sleeps(), [Duration::from_millis(100)]);

    let fake = FakeClock::new();
    assert!(matches!(guarded(&fake.clock()), Err(Error::Down)));
    assert!(matches!(guarded(&fake.clock()), Err(Error::Down)));
    assert!(matches!(guarded(&fake.clock()), Err(Error::Open)));
    assert_eq!(
        Registry::global().get("env-breaker").unwrap().state(),
        CircuitState::Open
    );

    // Read once: a later change does not affect a function already called.
    std::env::set_var("RETRY_MAX_ATTEMPTS", "9");
    let fake = FakeClock::new();
    assert!(configured_by_env(&fake.clock()).is_err());
    assert_eq!(fake.sleeps().len(), 3);

    // Settings that don't parse: an error event, then the defaults (3 attempts, 10 s cap),
    // with the given arguments still applied, and the fallback listed.
    std::env::set_var("RETRY_MAX_ATTEMPTS", "many");
    let fake = FakeClock::new();
    assert!(with_broken_env(&fake.clock()).is_err());
    let ms: Vec<u128> = fake.sleeps().iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [10, 20]);
    let fallbacks = staunch::settings::fallbacks();
    let names: Vec<(&str, &str)> = fallbacks
        .iter()
        .map(|f| (f.name.as_str(), f.error.value()))
        .collect();
    assert!(
        names.contains(&("macros_env::with_broken_env", "many")),
        "{names:?}"
    );
}
