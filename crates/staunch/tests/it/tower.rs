//! The tower layers, step by step against tower-test's mock service, on the fake clock.

use std::time::Duration;

use staunch::policy::PolicyErrorKind;
use staunch::test_util::FakeClock;
use staunch::tower::{CircuitBreakerLayer, PolicyLayer, RetryLayer};
use staunch::{BreakerError, CircuitBreaker, CircuitState, Policy, RetryErrorKind, RetryPolicy};
use tokio_test::{assert_pending, assert_ready, assert_ready_ok, task};
use tower_test::{assert_request_eq, mock};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn the_breaker_layer_counts_errors_and_refuses_when_open() {
    let fake = FakeClock::new();
    let breaker = CircuitBreaker::builder("tower-breaker")
        .failure_threshold(2)
        .recovery_timeout(10 * SECOND)
        .clock(fake.clock())
        .build()
        .unwrap();
    let (mut service, mut handle) =
        mock::spawn_layer::<&str, &str, _>(CircuitBreakerLayer::new(breaker.clone()));

    for _ in 0..2 {
        assert_ready_ok!(service.poll_ready());
        let mut response = task::spawn(service.call("ping"));
        assert_pending!(response.poll());
        assert_request_eq!(handle, "ping").send_error("boom");
        let err = assert_ready!(response.poll()).unwrap_err();
        assert_eq!(err.into_inner().unwrap().to_string(), "boom");
    }
    assert_eq!(breaker.state(), CircuitState::Open);

    // Refused: the request never reaches the service.
    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("ping"));
    let err = assert_ready!(response.poll()).unwrap_err();
    assert!(matches!(&err, BreakerError::Open(open) if open.retry_after() == Some(10 * SECOND)));
    assert_pending!(handle.poll_request());

    // After the recovery timeout, a probe goes through and closes the circuit.
    fake.advance(10 * SECOND);
    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("ping"));
    assert_request_eq!(handle, "ping").send_response("pong");
    assert_eq!(assert_ready_ok!(response.poll()), "pong");
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[tokio::test]
async fn a_dropped_response_future_counts_nothing() {
    let fake = FakeClock::new();
    let breaker = CircuitBreaker::builder("tower-drop")
        .failure_threshold(1)
        .clock(fake.clock())
        .build()
        .unwrap();
    breaker.try_acquire().unwrap().failure();
    fake.advance(60 * SECOND);
    let (mut service, _handle) =
        mock::spawn_layer::<&str, &str, _>(CircuitBreakerLayer::new(breaker.clone()));
    assert_ready_ok!(service.poll_ready());
    let mut probe = task::spawn(service.call("probe"));
    assert_pending!(probe.poll());
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    drop(probe); // its half-open slot is given back
    assert!(breaker.try_acquire().unwrap().is_probe());
}

#[tokio::test]
async fn the_retry_layer_retries_a_clone_of_the_request() {
    let fake = FakeClock::new();
    let layer = RetryLayer::new(RetryPolicy::retry_on_exception()).clock(fake.clock());
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    assert_pending!(response.poll());
    assert_request_eq!(handle, "hello").send_error("retry me");
    assert_pending!(response.poll()); // slept 1 s on the fake clock, sent the clone
    assert_request_eq!(handle, "hello").send_response("world");
    assert_eq!(assert_ready_ok!(response.poll()), "world");
    assert_eq!(fake.sleeps(), [SECOND]);
}

#[tokio::test]
async fn the_retry_layer_stops_as_the_policy_says() {
    let fake = FakeClock::new();
    let layer = RetryLayer::new(RetryPolicy::retry_on_exception())
        .when(|e: &BoxError| e.to_string() != "bad request")
        .clock(fake.clock());
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    for _ in 0..3 {
        assert_pending!(response.poll());
        assert_request_eq!(handle, "hello").send_error("unavailable");
    }
    let err = assert_ready!(response.poll()).unwrap_err();
    assert_eq!((err.kind(), err.attempts()), (RetryErrorKind::Exhausted, 3));

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    assert_pending!(response.poll());
    assert_request_eq!(handle, "hello").send_error("bad request");
    let err = assert_ready!(response.poll()).unwrap_err();
    assert_eq!(
        (err.kind(), err.attempts()),
        (RetryErrorKind::NotRetryable, 1)
    );
}

fn policy(fake: &FakeClock) -> staunch::PolicyBuilder {
    Policy::builder("tower-policy").clock(fake.clock())
}

#[tokio::test]
async fn the_policy_layer_retries_through_the_breaker() {
    let fake = FakeClock::new();
    let policy = policy(&fake).build().unwrap();
    let (mut service, mut handle) =
        mock::spawn_layer::<&str, &str, _>(PolicyLayer::new(policy.clone()));

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    assert_pending!(response.poll());
    assert_request_eq!(handle, "hello").send_error("unavailable");
    assert_pending!(response.poll());
    assert_eq!(policy.breaker().failure_count(), 1);
    assert_request_eq!(handle, "hello").send_response("world");
    assert_eq!(assert_ready_ok!(response.poll()), "world");
    assert_eq!(policy.breaker().failure_count(), 0);
    assert_eq!(fake.sleeps(), [SECOND]);
}

#[tokio::test]
async fn the_policy_layer_waits_exactly_for_the_probe() {
    let fake = FakeClock::new();
    let policy = policy(&fake)
        .failure_threshold(1)
        .recovery_timeout(5 * SECOND)
        .build()
        .unwrap();
    let (mut service, mut handle) =
        mock::spawn_layer::<&str, &str, _>(PolicyLayer::new(policy.clone()));

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    assert_pending!(response.poll());
    assert_request_eq!(handle, "hello").send_error("overloaded");
    assert_pending!(response.poll()); // slept to the probe, sent it
    assert_eq!(fake.sleeps(), [5 * SECOND]);
    assert_request_eq!(handle, "hello").send_response("world");
    assert_eq!(assert_ready_ok!(response.poll()), "world");
    assert_eq!(policy.breaker().state(), CircuitState::Closed);
}

#[tokio::test]
async fn the_policy_layer_cuts_a_hung_request() {
    let fake = FakeClock::new();
    let policy = policy(&fake)
        .max_attempts(1)
        .attempt_timeout(5 * SECOND)
        .build()
        .unwrap();
    let (mut service, mut handle) =
        mock::spawn_layer::<&str, &str, _>(PolicyLayer::new(policy.clone()));

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    let err = assert_ready!(response.poll()).unwrap_err(); // the fake timer fires at once
    assert_eq!(err.kind(), PolicyErrorKind::Timeout);
    let (request, _never_answered) = handle.next_request().await.unwrap();
    assert_eq!(request, "hello");
    assert_eq!(policy.breaker().failure_count(), 1);
    assert_eq!(fake.sleeps(), [5 * SECOND]);
}

#[tokio::test]
async fn the_policy_layer_refuses_without_calling_the_service() {
    let fake = FakeClock::new();
    let policy = policy(&fake).build().unwrap();
    policy.breaker().force_open();
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(PolicyLayer::new(policy));

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    let err = assert_ready!(response.poll()).unwrap_err();
    assert_eq!(
        (err.kind(), err.attempts()),
        (PolicyErrorKind::BreakerOpen, 1)
    );
    assert_pending!(handle.poll_request());
}

#[tokio::test]
async fn a_readiness_error_is_not_retried() {
    let fake = FakeClock::new();
    let (mut service, mut handle) =
        mock::spawn_layer::<&str, &str, _>(PolicyLayer::new(policy(&fake).build().unwrap()));
    handle.send_error("closed");
    let err = assert_ready!(service.poll_ready()).unwrap_err();
    assert_eq!(err.kind(), PolicyErrorKind::NotRetryable);
    assert_eq!(err.into_inner().unwrap().to_string(), "closed");
}

/// What tower stacks expect of a layer, a service and its future: layers and services
/// that clone, print and are `Send + Sync`, futures that print and are `Send`, over a
/// `Send + Sync` inner service.
#[test]
fn every_layer_service_and_future_is_clone_debug_and_thread_safe() {
    fn layer<L: Clone + std::fmt::Debug + Send + Sync + 'static>(_: &L) {}
    fn service<S: Clone + std::fmt::Debug + Send + Sync>(_: &S) {}
    fn future<F: std::future::Future + std::fmt::Debug + Send>(_: &F) {}

    use tower_layer::Layer as _;
    type Inner = mock::Mock<&'static str, &'static str>;
    let fake = FakeClock::new();
    let breaker = CircuitBreaker::builder("tower-traits").build().unwrap();
    let policy = policy(&fake).build().unwrap();
    let hosts = staunch::KeyedBreakers::<String>::new(CircuitBreaker::builder("host"), 4).unwrap();
    let cached = |err: BreakerError<BoxError>| -> Result<&'static str, _> { Err(err) };

    let breaker_layer = CircuitBreakerLayer::new(breaker).fallback(cached);
    let retry_layer = RetryLayer::new(RetryPolicy::default()).clock(fake.clock());
    let policy_layer = PolicyLayer::new(policy);
    let keyed_layer =
        staunch::tower::KeyedCircuitBreakerLayer::new(hosts, |r: &&str| r.to_string());
    layer(&breaker_layer);
    layer(&retry_layer);
    layer(&policy_layer);
    layer(&keyed_layer);

    let (inner, _handle): (Inner, _) = mock::pair();
    let breaker_service = breaker_layer.layer(inner.clone());
    let mut retry_service = retry_layer.layer(inner.clone());
    let mut policy_service = policy_layer.layer(inner.clone());
    let keyed_service = keyed_layer.layer(inner);
    service(&breaker_service);
    service(&retry_service);
    service(&policy_service);
    service(&keyed_service);

    use tower_service::Service as _;
    let mut ready = mock::Spawn::new(breaker_service.clone());
    assert_ready_ok!(ready.poll_ready());
    future(&ready.call("a"));
    future(&retry_service.call("a"));
    future(&policy_service.call("a"));
}
