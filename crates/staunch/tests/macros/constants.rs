//! Constant expressions as arguments: a `const`, a path to one, an associated constant,
//! a `const fn` call such as `Duration::from_secs(30)`; the function runs with their values.

use std::cell::Cell;
use std::io;
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{
    circuit_breaker, resilient, retry_on_exception, retry_with_jitter, BlockingRetryable,
    CircuitOpen, CircuitState, Clock, Jitter, Registry, RetryBuilder,
};

const MAX_ATTEMPTS: u32 = 4;
const WAIT_MIN: Duration = Duration::from_millis(250);
const THRESHOLD: u32 = 2;
const RECOVERY: Duration = Duration::from_secs(45);

mod limits {
    pub(crate) const ATTEMPTS: u32 = 3;
}

struct Tuning;

impl Tuning {
    const SEED: u64 = 11;
    const JITTER: staunch::Jitter = staunch::Jitter::Equal;
}

fn timed_out() -> io::Error {
    io::ErrorKind::TimedOut.into()
}

#[retry_on_exception(max_attempts = MAX_ATTEMPTS, wait_min = WAIT_MIN, wait_max = Duration::from_secs(1), clock = clock.clone())]
fn fetch(clock: &Clock, calls: &Cell<u32>) -> Result<(), io::Error> {
    calls.set(calls.get() + 1);
    Err(timed_out())
}

#[test]
fn retry_takes_constants_and_const_fn_calls() {
    let (fake, calls) = (FakeClock::new(), Cell::new(0));
    assert!(fetch(&fake.clock(), &calls).is_err());
    assert_eq!(calls.get(), MAX_ATTEMPTS);
    let ms: Vec<u128> = fake.sleeps().iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [250, 500, 1000]);
}

#[retry_on_exception(max_attempts = limits::ATTEMPTS + 1, wait_min = "100ms", wait_max = WAIT_MIN.saturating_mul(2), clock = clock.clone())]
async fn fetch_async(clock: &Clock) -> Result<(), io::Error> {
    Err(timed_out())
}

#[tokio::test]
async fn async_retry_mixes_constants_and_literals() {
    let fake = FakeClock::new();
    assert!(fetch_async(&fake.clock()).await.is_err());
    let ms: Vec<u128> = fake.sleeps().iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [100, 200, 400]); // the cap (500 ms) is not reached
}

#[retry_with_jitter(max_attempts = 4, base_wait = Duration::from_secs(1), max_wait = Duration::from_secs(8), jitter = Tuning::JITTER, seed = Tuning::SEED, clock = clock.clone())]
fn jittered(clock: &Clock) -> Result<(), io::Error> {
    Err(timed_out())
}

#[test]
fn jitter_and_seed_take_constants() {
    let fake = FakeClock::new();
    assert!(jittered(&fake.clock()).is_err());
    let policy = RetryBuilder::retry_on_exception()
        .max_attempts(4)
        .wait_min(Duration::from_secs(1))
        .wait_max(Duration::from_secs(8))
        .jitter(Jitter::Equal)
        .seed(11)
        .build()
        .unwrap();
    let by_hand = FakeClock::new();
    let _ = (|| Err::<(), _>(timed_out()))
        .retry_blocking(policy)
        .clock(by_hand.clock())
        .call();
    assert_eq!(fake.sleeps(), by_hand.sleeps());
}

#[derive(Debug)]
enum ApiError {
    Down,
    Open(CircuitOpen),
}

impl From<CircuitOpen> for ApiError {
    fn from(open: CircuitOpen) -> Self {
        ApiError::Open(open)
    }
}

impl From<staunch::AttemptTimeout> for ApiError {
    fn from(_: staunch::AttemptTimeout) -> Self {
        ApiError::Down
    }
}

#[circuit_breaker(failure_threshold = THRESHOLD, recovery_timeout = RECOVERY, name = "macros-constant-breaker", clock = clock.clone())]
fn guarded(clock: &Clock) -> Result<(), ApiError> {
    Err(ApiError::Down)
}

#[test]
fn circuit_breaker_takes_constants() {
    let fake = FakeClock::new();
    for _ in 0..THRESHOLD {
        assert!(matches!(guarded(&fake.clock()), Err(ApiError::Down)));
    }
    let rejected = guarded(&fake.clock());
    assert!(
        matches!(&rejected, Err(ApiError::Open(open)) if open.retry_after() == Some(RECOVERY)),
        "{rejected:?}"
    );
}

#[resilient(max_attempts = 2 * 2, wait_min = Duration::from_secs(1), wait_max = Duration::from_secs(1), failure_threshold = THRESHOLD + 1, recovery_timeout = Duration::from_secs(30), name = "macros-constant-resilient", clock = clock.clone())]
async fn resilient_call(clock: &Clock, calls: &Cell<u32>) -> Result<(), ApiError> {
    calls.set(calls.get() + 1);
    Err(ApiError::Down)
}

#[tokio::test]
async fn resilient_takes_constant_expressions() {
    let (fake, calls) = (FakeClock::new(), Cell::new(0));
    // Three failures open the circuit; the probe is 30 s away, beyond the retry's
    // patience (the 3 × 1 s the backoff could wait, less the 2 s already waited), so the
    // call ends with the third failure.
    assert!(matches!(
        resilient_call(&fake.clock(), &calls).await,
        Err(ApiError::Down)
    ));
    assert_eq!(calls.get(), THRESHOLD + 1);
    let breaker = Registry::global().get("macros-constant-resilient").unwrap();
    assert_eq!(breaker.state(), CircuitState::Open);
    let rejected = resilient_call(&fake.clock(), &calls).await;
    assert!(
        matches!(&rejected, Err(ApiError::Open(open)) if open.retry_after() == Some(Duration::from_secs(30))),
        "{rejected:?}"
    );
}
