//! `CircuitBreakerLayer::reject_in_poll_ready`, step by step against tower-test's mock
//! service, on the fake clock: readiness holds the next request's permit.

use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::tower::{CircuitBreakerLayer, CircuitBreakerService};
use staunch::{BreakerError, CircuitBreaker, CircuitState};
use tokio_test::{assert_pending, assert_ready, assert_ready_err, assert_ready_ok, task};
use tower_layer::Layer;
use tower_test::assert_request_eq;
use tower_test::mock::{self, Handle, Mock, Spawn};

const SECOND: Duration = Duration::from_secs(1);

type Service = CircuitBreakerService<Mock<&'static str, &'static str>>;

/// A breaker that opens after two failures for ten seconds, and two services on it (the
/// clones a load balancer would hold), admitting in `poll_ready`.
fn services(
    fake: &FakeClock,
) -> (
    CircuitBreaker,
    Spawn<Service>,
    Spawn<Service>,
    Handle<&'static str, &'static str>,
) {
    let breaker = CircuitBreaker::builder("upstream")
        .failure_threshold(2)
        .recovery_timeout(10 * SECOND)
        .clock(fake.clock())
        .build()
        .unwrap();
    let (mock, handle) = mock::pair();
    let service = CircuitBreakerLayer::new(breaker.clone())
        .reject_in_poll_ready()
        .layer(mock);
    let other = Spawn::new(service.clone());
    (breaker, Spawn::new(service), other, handle)
}

/// Sends `request` through the ready `service` and fails it at the mock.
async fn fail(
    service: &mut Spawn<Service>,
    handle: &mut Handle<&'static str, &'static str>,
    request: &'static str,
) {
    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call(request));
    assert_pending!(response.poll());
    assert_request_eq!(handle, request).send_error("boom");
    assert!(matches!(
        assert_ready!(response.poll()),
        Err(BreakerError::Inner(_))
    ));
}

/// Opens the circuit, then lets its open period pass: the next admission is the probe.
async fn half_open(
    fake: &FakeClock,
    service: &mut Spawn<Service>,
    handle: &mut Handle<&'static str, &'static str>,
) {
    fail(service, handle, "one").await;
    fail(service, handle, "two").await;
    fake.advance(10 * SECOND);
}

#[tokio::test]
async fn an_open_circuit_fails_readiness_and_nothing_is_sent() {
    let fake = FakeClock::new();
    let (breaker, mut service, _, mut handle) = services(&fake);
    fail(&mut service, &mut handle, "one").await;
    fail(&mut service, &mut handle, "two").await;
    assert_eq!(breaker.state(), CircuitState::Open);

    let err = assert_ready_err!(service.poll_ready());
    assert!(matches!(&err, BreakerError::Open(open) if open.retry_after() == Some(10 * SECOND)));
    assert_pending!(handle.poll_request());
    assert_eq!(breaker.failure_count(), 2); // a refusal counts nothing

    // Nine seconds on, still refused; at ten, the probe is admitted.
    fake.advance(9 * SECOND);
    assert_ready_err!(service.poll_ready());
    fake.advance(SECOND);
    assert_ready_ok!(service.poll_ready());
    let mut probe = task::spawn(service.call("probe"));
    assert_request_eq!(handle, "probe").send_response("pong");
    assert_eq!(assert_ready_ok!(probe.poll()), "pong");
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[tokio::test]
async fn in_half_open_only_the_service_holding_the_probe_is_ready() {
    let fake = FakeClock::new();
    let (breaker, mut service, mut other, mut handle) = services(&fake);
    half_open(&fake, &mut service, &mut handle).await;

    assert_ready_ok!(service.poll_ready()); // holds the only probe slot
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    assert!(matches!(
        assert_ready!(other.poll_ready()),
        Err(BreakerError::Open(_))
    ));

    let mut probe = task::spawn(service.call("probe"));
    assert_request_eq!(handle, "probe").send_response("pong");
    assert_eq!(assert_ready_ok!(probe.poll()), "pong");
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_ready_ok!(other.poll_ready());
}

#[tokio::test]
async fn a_dropped_response_future_in_half_open_gives_its_probe_back() {
    let fake = FakeClock::new();
    let (breaker, mut service, mut other, mut handle) = services(&fake);
    half_open(&fake, &mut service, &mut handle).await;

    assert_ready_ok!(service.poll_ready());
    let mut probe = task::spawn(service.call("probe"));
    assert_pending!(probe.poll());
    assert_request_eq!(handle, "probe"); // sent, never answered
    assert_ready_err!(other.poll_ready()); // the slot is out with the probe

    drop(probe); // the caller gave up: the slot comes back, nothing is counted
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    assert_eq!(breaker.failure_count(), 2);
    assert_ready_ok!(other.poll_ready());
    let mut retry = task::spawn(other.call("retry"));
    assert_request_eq!(handle, "retry").send_response("pong");
    assert_eq!(assert_ready_ok!(retry.poll()), "pong");
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[tokio::test]
async fn a_ready_service_dropped_before_its_call_gives_its_probe_back() {
    let fake = FakeClock::new();
    let (breaker, mut service, mut other, mut handle) = services(&fake);
    half_open(&fake, &mut service, &mut handle).await;

    assert_ready_ok!(service.poll_ready());
    assert_ready_err!(other.poll_ready());
    drop(service.into_inner().into_inner()); // ready, never called
    assert_ready_ok!(other.poll_ready());
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
}

#[tokio::test]
async fn the_permit_is_held_while_the_inner_service_gets_ready() {
    let fake = FakeClock::new();
    let (breaker, mut service, mut other, mut handle) = services(&fake);
    half_open(&fake, &mut service, &mut handle).await;

    handle.allow(0);
    assert_pending!(service.poll_ready()); // admitted, the mock not ready yet
    assert_ready_err!(other.poll_ready());
    handle.allow(1);
    assert!(service.is_woken());
    assert_ready_ok!(service.poll_ready()); // the same permit, not a second one
    let mut probe = task::spawn(service.call("probe"));
    assert_request_eq!(handle, "probe").send_response("pong");
    assert_eq!(assert_ready_ok!(probe.poll()), "pong");
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[tokio::test]
async fn without_the_option_readiness_is_the_inner_services() {
    let fake = FakeClock::new();
    let breaker = CircuitBreaker::builder("upstream")
        .clock(fake.clock())
        .build()
        .unwrap();
    breaker.force_open();
    let (mut service, mut handle) =
        mock::spawn_layer::<&str, &str, _>(CircuitBreakerLayer::new(breaker));
    assert_ready_ok!(service.poll_ready());
    let mut refused = task::spawn(service.call("ping"));
    assert!(matches!(
        assert_ready!(refused.poll()),
        Err(BreakerError::Open(_))
    ));
    assert_pending!(handle.poll_request());
}
