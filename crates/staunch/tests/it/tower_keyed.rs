//! The keyed breaker layer, step by step against tower-test's mock service, on the fake
//! clock.

use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::tower::KeyedCircuitBreakerLayer;
use staunch::{BreakerError, CircuitBreaker, CircuitState, KeyedBreakers};
use tokio_test::{assert_pending, assert_ready, assert_ready_err, assert_ready_ok, task};
use tower_test::{assert_request_eq, mock};

const SECOND: Duration = Duration::from_secs(1);

/// Keyed by the request's first word: "a ping" goes through the breaker `host:a`.
fn first_word(request: &&'static str) -> String {
    request.split(' ').next().unwrap_or_default().to_owned()
}

fn layer(fake: &FakeClock) -> KeyedCircuitBreakerLayer<String, fn(&&'static str) -> String> {
    let template = CircuitBreaker::builder("host")
        .failure_threshold(2)
        .recovery_timeout(10 * SECOND)
        .clock(fake.clock());
    let breakers = KeyedBreakers::new(template, 8).unwrap();
    KeyedCircuitBreakerLayer::new(breakers, first_word as fn(&&'static str) -> String)
}

#[tokio::test]
async fn each_key_opens_its_own_circuit() {
    let fake = FakeClock::new();
    let layer = layer(&fake);
    let breakers = layer.breakers().clone();
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    for _ in 0..2 {
        assert_ready_ok!(service.poll_ready());
        let mut response = task::spawn(service.call("a ping"));
        assert_pending!(response.poll());
        assert_request_eq!(handle, "a ping").send_error("boom");
        let err = assert_ready!(response.poll()).unwrap_err();
        assert_eq!(err.into_inner().unwrap().to_string(), "boom");
    }
    let a = breakers.get_existing(&"a".to_owned()).unwrap();
    assert_eq!(a.name(), "host:a");
    assert_eq!(a.state(), CircuitState::Open);

    // `a` is refused without reaching the service.
    assert_ready_ok!(service.poll_ready());
    let mut refused = task::spawn(service.call("a again"));
    let err = assert_ready!(refused.poll()).unwrap_err();
    assert!(matches!(&err, BreakerError::Open(open) if open.retry_after() == Some(10 * SECOND)));
    assert_pending!(handle.poll_request());

    // `b` has a breaker of its own, closed.
    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("b ping"));
    assert_request_eq!(handle, "b ping").send_response("pong");
    assert_eq!(assert_ready_ok!(response.poll()), "pong");
    assert_eq!(
        breakers.get_existing(&"b".to_owned()).unwrap().state(),
        CircuitState::Closed
    );

    // After the recovery timeout a probe for `a` goes through and closes its circuit.
    fake.advance(10 * SECOND);
    assert_ready_ok!(service.poll_ready());
    let mut probe = task::spawn(service.call("a probe"));
    assert_request_eq!(handle, "a probe").send_response("pong");
    assert_eq!(assert_ready_ok!(probe.poll()), "pong");
    assert_eq!(a.state(), CircuitState::Closed);
}

#[tokio::test]
async fn a_dropped_response_future_in_half_open_gives_its_probe_back() {
    let fake = FakeClock::new();
    let layer = layer(&fake);
    let breakers = layer.breakers().clone();
    let a = breakers.get(&"a".to_owned());
    for _ in 0..2 {
        a.try_acquire().unwrap().failure();
    }
    fake.advance(10 * SECOND);
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    assert_ready_ok!(service.poll_ready());
    let mut probe = task::spawn(service.call("a probe"));
    assert_pending!(probe.poll());
    assert_request_eq!(handle, "a probe"); // sent, never answered
    assert_eq!(a.state(), CircuitState::HalfOpen);
    // The only probe slot is taken: another request is refused.
    assert_ready_ok!(service.poll_ready());
    let mut second = task::spawn(service.call("a second"));
    assert!(matches!(
        assert_ready!(second.poll()),
        Err(BreakerError::Open(_))
    ));

    drop(probe); // the caller gave up: the slot comes back, nothing is counted
    assert_eq!(a.state(), CircuitState::HalfOpen);
    assert_ready_ok!(service.poll_ready());
    let mut retry = task::spawn(service.call("a retry"));
    assert_request_eq!(handle, "a retry").send_response("pong");
    assert_eq!(assert_ready_ok!(retry.poll()), "pong");
    assert_eq!(a.state(), CircuitState::Closed);
}

#[tokio::test]
async fn poll_ready_rejects_while_every_circuit_refuses() {
    let fake = FakeClock::new();
    let layer = layer(&fake).reject_in_poll_ready();
    let breakers = layer.breakers().clone();
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    // No breaker yet, then `a` closed: ready.
    handle.allow(10);
    for _ in 0..2 {
        assert_ready_ok!(service.poll_ready());
        let mut response = task::spawn(service.call("a ping"));
        assert_request_eq!(handle, "a ping").send_error("boom");
        assert_ready_err!(response.poll());
    }
    // `a`, the only key, is open: readiness fails with its refusal.
    let err = assert_ready_err!(service.poll_ready());
    assert!(matches!(&err, BreakerError::Open(open) if open.retry_after() == Some(10 * SECOND)));

    // Once its open period has passed, a probe may go: ready again.
    fake.advance(10 * SECOND);
    assert_ready_ok!(service.poll_ready());
    assert_eq!(
        breakers.get(&"a".to_owned()).state(),
        CircuitState::HalfOpen
    );
}

#[tokio::test]
async fn poll_ready_stays_ready_while_one_key_is_closed() {
    let fake = FakeClock::new();
    let layer = layer(&fake).reject_in_poll_ready();
    let breakers = layer.breakers().clone();
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);
    handle.allow(10);
    let b = breakers.get(&"b".to_owned());
    let a = breakers.get(&"a".to_owned());
    for _ in 0..2 {
        a.try_acquire().unwrap().failure();
    }
    assert_eq!(a.state(), CircuitState::Open);
    assert_eq!(b.state(), CircuitState::Closed);
    assert_ready_ok!(service.poll_ready());
    let mut refused = task::spawn(service.call("a ping"));
    assert!(matches!(
        assert_ready!(refused.poll()),
        Err(BreakerError::Open(_))
    ));
    assert_pending!(handle.poll_request());
}
