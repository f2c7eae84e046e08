//! `#[circuit_breaker]` and `#[resilient]`: thresholds, rejections, the registry.

use std::cell::Cell;
use std::sync::LazyLock;
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{
    circuit_breaker, resilient, CircuitBreaker, CircuitOpen, CircuitState, Clock, Registry,
};

#[derive(Debug)]
enum ApiError {
    Unavailable,
    NotFound,
    Open(CircuitOpen),
}

impl From<CircuitOpen> for ApiError {
    fn from(open: CircuitOpen) -> Self {
        ApiError::Open(open)
    }
}

/// Async `#[resilient]` functions end a last timed-out attempt with this.
impl From<staunch::AttemptTimeout> for ApiError {
    fn from(_: staunch::AttemptTimeout) -> Self {
        ApiError::Unavailable
    }
}

fn is_unavailable(error: &ApiError) -> bool {
    matches!(error, ApiError::Unavailable)
}

#[circuit_breaker(failure_threshold = 3, recovery_timeout = 30, when = is_unavailable, clock = clock.clone())]
fn inventory(
    clock: &Clock,
    calls: &Cell<u32>,
    outcome: fn() -> Result<u32, ApiError>,
) -> Result<u32, ApiError> {
    calls.set(calls.get() + 1);
    outcome()
}

#[test]
fn opens_after_the_threshold_and_shows_in_the_registry() {
    let (fake, calls) = (FakeClock::new(), Cell::new(0));
    let down = || Err(ApiError::Unavailable);
    for _ in 0..3 {
        assert!(matches!(
            inventory(&fake.clock(), &calls, down),
            Err(ApiError::Unavailable)
        ));
    }
    let rejected = inventory(&fake.clock(), &calls, down);
    assert!(
        matches!(&rejected, Err(ApiError::Open(open)) if open.retry_after() == Some(Duration::from_secs(30)))
    );
    assert_eq!(calls.get(), 3, "a rejected call does not run the body");

    let name = "macros::breaker::inventory";
    let snapshot = Registry::global().snapshot();
    assert_eq!(snapshot.0[name].state, CircuitState::Open);
    assert_eq!(snapshot.0[name].failure_count, 3);

    fake.advance(Duration::from_secs(30)); // half-open: the next call is a probe
    assert_eq!(inventory(&fake.clock(), &calls, || Ok(7)).unwrap(), 7);
    assert_eq!(
        Registry::global().get(name).unwrap().state(),
        CircuitState::Closed
    );
}

#[circuit_breaker(failure_threshold = 1, when = is_unavailable, name = "macros-ignored", clock = clock.clone())]
async fn lookup(clock: &Clock) -> Result<u32, ApiError> {
    Err(ApiError::NotFound)
}

#[tokio::test]
async fn errors_outside_the_predicate_are_not_counted() {
    let fake = FakeClock::new();
    for _ in 0..5 {
        assert!(matches!(
            lookup(&fake.clock()).await,
            Err(ApiError::NotFound)
        ));
    }
    let breaker = Registry::global().get("macros-ignored").unwrap();
    assert_eq!(
        (breaker.state(), breaker.failure_count()),
        (CircuitState::Closed, 0)
    );
}

static SHARED: LazyLock<CircuitBreaker> = LazyLock::new(|| {
    CircuitBreaker::builder("macros-shared")
        .failure_threshold(2)
        .clock(FakeClock::new().clock())
        .build()
        .unwrap()
});

#[circuit_breaker(SHARED)]
fn read() -> Result<(), ApiError> {
    Err(ApiError::Unavailable)
}

#[circuit_breaker(breaker = SHARED)]
async fn write() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Err("disk full".into())
}

#[tokio::test]
async fn functions_with_different_errors_share_a_breaker() {
    assert!(matches!(read(), Err(ApiError::Unavailable)));
    assert_eq!(write().await.unwrap_err().to_string(), "disk full");
    assert_eq!(SHARED.state(), CircuitState::Open);
    assert!(matches!(read(), Err(ApiError::Open(_))));
    assert_eq!(
        write().await.unwrap_err().to_string(),
        "circuit `macros-shared` is open; next probe in 60.0s"
    );
}

#[resilient(max_attempts = 3, failure_threshold = 5, recovery_timeout = 60, when = is_unavailable, clock = clock.clone())]
fn query(clock: &Clock, calls: &Cell<u32>) -> Result<u32, ApiError> {
    calls.set(calls.get() + 1);
    Err(ApiError::Unavailable)
}

#[test]
fn resilient_retries_inside_and_stops_at_the_open_circuit() {
    let (fake, calls) = (FakeClock::new(), Cell::new(0));
    // Closed: the retry of the seed, 3 attempts with 1 s and 2 s between them.
    assert!(matches!(
        query(&fake.clock(), &calls),
        Err(ApiError::Unavailable)
    ));
    assert_eq!(calls.get(), 3);
    assert_eq!(
        fake.sleeps(),
        [Duration::from_secs(1), Duration::from_secs(2)]
    );
    // Failures 4 and 5: the fifth opens the circuit, and the retry stops without sleeping.
    assert!(matches!(
        query(&fake.clock(), &calls),
        Err(ApiError::Unavailable)
    ));
    assert_eq!(calls.get(), 5);
    assert_eq!(fake.sleeps().len(), 3);
    let breaker = Registry::global().get("macros::breaker::query").unwrap();
    assert_eq!(breaker.state(), CircuitState::Open);
    // Open: rejected at once, the body does not run.
    assert!(matches!(
        query(&fake.clock(), &calls),
        Err(ApiError::Open(_))
    ));
    assert_eq!(calls.get(), 5);
}

struct Chat {
    clock: Clock,
    sent: Vec<String>,
}

impl Chat {
    #[resilient(max_attempts = 3, failure_threshold = 10, name = "macros-chat", clock = self.clock.clone())]
    async fn send(&mut self, text: &str) -> Result<usize, ApiError> {
        self.sent.push(text.to_owned());
        if self.sent.len() < 3 {
            return Err(ApiError::Unavailable);
        }
        Ok(self.sent.len())
    }
}

#[tokio::test]
async fn resilient_mut_self_methods() {
    let fake = FakeClock::new();
    let mut chat = Chat {
        clock: fake.clock(),
        sent: Vec::new(),
    };
    assert_eq!(chat.send("hi").await.unwrap(), 3);
    let breaker = Registry::global().get("macros-chat").unwrap();
    assert_eq!(
        (breaker.state(), breaker.failure_count()),
        (CircuitState::Closed, 0)
    );
    assert_eq!(fake.sleeps().len(), 2);
}
