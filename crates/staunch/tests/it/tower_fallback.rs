//! The tower layers' fallback, step by step against tower-test's mock service, on the
//! fake clock: once per request that did not succeed, after the last attempt, handed the
//! error the request would fail with; readiness is not a request and has no fallback.

use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use staunch::policy::PolicyErrorKind;
use staunch::test_util::FakeClock;
use staunch::tower::{CircuitBreakerLayer, KeyedCircuitBreakerLayer, PolicyLayer, RetryLayer};
use staunch::{
    BreakerError, CircuitBreaker, CircuitState, KeyedBreakers, Policy, PolicyError, RetryError,
    RetryErrorKind, RetryPolicy,
};
use tokio_test::{assert_pending, assert_ready_err, assert_ready_ok, task};
use tower_test::mock::{Handle, SendResponse};
use tower_test::{assert_request_eq, mock};

use crate::retry_events::support;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SECOND: Duration = Duration::from_secs(1);

/// What the fallbacks were handed, in order, as text.
type Seen = Arc<Mutex<Vec<String>>>;

/// The request the mock received, which must be there already: a test that forgot to
/// poll the response future fails here instead of waiting forever.
fn sent(
    handle: &mut Handle<&'static str, &'static str>,
) -> (&'static str, SendResponse<&'static str>) {
    match handle.poll_request() {
        Poll::Ready(Some(request)) => request,
        other => panic!(
            "no request was sent: {:?}",
            other.map(|r| r.map(|(req, _)| req))
        ),
    }
}

/// A policy of two attempts, 1 s apart, whose breaker opens after five failures, and a
/// layer over it whose fallback answers "cached" unless the request itself was wrong
/// (`bad request` is not retried).
fn policy_layer(
    fake: &FakeClock,
    seen: &Seen,
) -> (
    Policy,
    PolicyLayer<
        impl staunch::Classify<BoxError> + Clone,
        impl staunch::policy::Fallback<&'static str, BoxError> + Clone,
    >,
) {
    let policy = Policy::builder("tower-fallback")
        .max_attempts(2)
        .failure_threshold(5)
        .clock(fake.clock())
        .build()
        .unwrap();
    let seen = Arc::clone(seen);
    let layer = PolicyLayer::new(policy.clone())
        .when(|e: &BoxError| e.to_string() != "bad request")
        .fallback(move |err: PolicyError<BoxError>| {
            seen.lock().unwrap().push(err.kind().as_str().to_owned());
            match err.kind() {
                PolicyErrorKind::NotRetryable => Err(err),
                _ => Ok("cached"),
            }
        });
    (policy, layer)
}

#[tokio::test]
async fn the_policy_layer_falls_back_after_the_last_attempt_only() {
    let (fake, seen) = (FakeClock::new(), Seen::default());
    let (policy, layer) = policy_layer(&fake, &seen);
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    assert_pending!(response.poll());
    sent(&mut handle).1.send_error("unavailable");
    assert_pending!(response.poll()); // slept 1 s, sent the second attempt
    assert!(seen.lock().unwrap().is_empty()); // not while an attempt remains
    sent(&mut handle).1.send_error("unavailable");
    let events = support::capture("staunch::retry", || {
        assert_eq!(assert_ready_ok!(response.poll()), "cached");
    });
    assert_eq!(*seen.lock().unwrap(), ["exhausted"]);
    assert_eq!(policy.breaker().failure_count(), 2); // the failures still count
    assert_eq!(fake.sleeps(), [SECOND]);
    let used: Vec<_> = events
        .iter()
        .filter(|e| e.field("message") == "fallback used")
        .map(|e| (e.field("name"), e.field("reason")))
        .collect();
    assert_eq!(used, [("tower-fallback", "exhausted")]);
}

#[tokio::test]
async fn the_policy_layer_answers_an_open_circuit_without_a_request() {
    let (fake, seen) = (FakeClock::new(), Seen::default());
    let (policy, layer) = policy_layer(&fake, &seen);
    policy.breaker().force_open();
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    for _ in 0..2 {
        assert_ready_ok!(service.poll_ready());
        let mut response = task::spawn(service.call("hello"));
        assert_eq!(assert_ready_ok!(response.poll()), "cached");
    }
    assert_pending!(handle.poll_request());
    // Each request is handed to a fallback of its own.
    assert_eq!(*seen.lock().unwrap(), ["breaker_open", "breaker_open"]);
}

#[tokio::test]
async fn the_policy_layer_hands_back_a_requests_own_mistake() {
    let (fake, seen) = (FakeClock::new(), Seen::default());
    let (_, layer) = policy_layer(&fake, &seen);
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    assert_pending!(response.poll());
    sent(&mut handle).1.send_error("bad request");
    let err = assert_ready_err!(response.poll());
    assert_eq!(err.kind(), PolicyErrorKind::NotRetryable);
    assert_eq!(err.into_inner().unwrap().to_string(), "bad request");
    assert_eq!(*seen.lock().unwrap(), ["not_retryable"]);
}

#[tokio::test]
async fn the_policy_layer_needs_no_fallback_for_a_success() {
    let (fake, seen) = (FakeClock::new(), Seen::default());
    let (_, layer) = policy_layer(&fake, &seen);
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    assert_pending!(response.poll());
    sent(&mut handle).1.send_response("world");
    assert_eq!(assert_ready_ok!(response.poll()), "world");
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn readiness_is_not_a_request_but_a_later_attempts_readiness_error_ends_one() {
    let (fake, seen) = (FakeClock::new(), Seen::default());
    let (_, layer) = policy_layer(&fake, &seen);
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    // The service's own readiness: no request to answer, no fallback.
    handle.send_error("closed");
    let err = assert_ready_err!(service.poll_ready());
    assert_eq!(err.kind(), PolicyErrorKind::NotRetryable);
    assert!(seen.lock().unwrap().is_empty());

    // Readiness before the second attempt fails: the request ends, not retryable, and
    // the fallback sees it (and hands it back, as this one does with such errors).
    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    assert_pending!(response.poll());
    let (_, reply) = sent(&mut handle);
    handle.send_error("closed");
    reply.send_error("unavailable");
    let err = assert_ready_err!(response.poll());
    assert_eq!(err.kind(), PolicyErrorKind::NotRetryable);
    assert_eq!(err.into_inner().unwrap().to_string(), "closed");
    assert_eq!(*seen.lock().unwrap(), ["not_retryable"]);
}

#[tokio::test]
async fn the_retry_layer_falls_back_once_retries_run_out() {
    let fake = FakeClock::new();
    let seen = Seen::default();
    let record = Arc::clone(&seen);
    let layer = RetryLayer::new(RetryPolicy::retry_on_exception())
        .when(|e: &BoxError| e.to_string() != "bad request")
        .clock(fake.clock())
        .fallback(move |err: RetryError<BoxError>| {
            record
                .lock()
                .unwrap()
                .push(format!("{:?} after {}", err.kind(), err.attempts()));
            match err.kind() {
                RetryErrorKind::NotRetryable => Err(err),
                _ => Ok("cached"),
            }
        });
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    for _ in 0..3 {
        assert_pending!(response.poll());
        assert!(seen.lock().unwrap().is_empty());
        assert_request_eq!(handle, "hello").send_error("unavailable");
    }
    assert_eq!(assert_ready_ok!(response.poll()), "cached");
    assert_eq!(*seen.lock().unwrap(), ["Exhausted after 3"]);
    assert_eq!(fake.sleeps(), [SECOND, 2 * SECOND]);

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("hello"));
    assert_pending!(response.poll());
    assert_request_eq!(handle, "hello").send_error("bad request");
    let err = assert_ready_err!(response.poll());
    assert_eq!(err.into_inner().to_string(), "bad request");
    assert_eq!(seen.lock().unwrap()[1], "NotRetryable after 1");
}

/// A breaker opening after two failures for ten seconds, and a layer over it whose
/// fallback answers "cached" for a refusal and hands a failure back.
fn breaker_layer(
    fake: &FakeClock,
    seen: &Seen,
) -> (
    CircuitBreaker,
    CircuitBreakerLayer<
        staunch::AllTransient,
        impl staunch::policy::Fallback<&'static str, BoxError, BreakerError<BoxError>> + Clone,
    >,
) {
    let breaker = CircuitBreaker::builder("tower-breaker-fallback")
        .failure_threshold(2)
        .recovery_timeout(10 * SECOND)
        .clock(fake.clock())
        .build()
        .unwrap();
    let layer = CircuitBreakerLayer::new(breaker.clone()).fallback(breaker_fallback(seen));
    (breaker, layer)
}

fn breaker_fallback(
    seen: &Seen,
) -> impl Fn(BreakerError<BoxError>) -> Result<&'static str, BreakerError<BoxError>> + Clone {
    let seen = Arc::clone(seen);
    move |err| {
        let text = match &err {
            BreakerError::Open(open) => open.to_string(),
            BreakerError::Inner(inner) => inner.to_string(),
            other => other.to_string(),
        };
        seen.lock().unwrap().push(text);
        match err {
            BreakerError::Open(_) => Ok("cached"),
            err => Err(err),
        }
    }
}

#[tokio::test]
async fn the_breaker_layer_answers_a_refusal_and_counts_the_failures_first() {
    let (fake, seen) = (FakeClock::new(), Seen::default());
    let (breaker, layer) = breaker_layer(&fake, &seen);
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    for _ in 0..2 {
        assert_ready_ok!(service.poll_ready());
        let mut response = task::spawn(service.call("ping"));
        assert_pending!(response.poll());
        assert_request_eq!(handle, "ping").send_error("boom");
        let err = assert_ready_err!(response.poll());
        assert_eq!(err.into_inner().unwrap().to_string(), "boom");
    }
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(*seen.lock().unwrap(), ["boom", "boom"]);

    assert_ready_ok!(service.poll_ready());
    let mut refused = task::spawn(service.call("ping"));
    assert_eq!(assert_ready_ok!(refused.poll()), "cached");
    assert_pending!(handle.poll_request());
    assert_eq!(
        seen.lock().unwrap()[2],
        "circuit `tower-breaker-fallback` is open; next probe in 10.0s"
    );

    // The probe fails: counted, handed to the fallback, and the circuit opens again.
    fake.advance(10 * SECOND);
    assert_ready_ok!(service.poll_ready());
    let mut probe = task::spawn(service.call("ping"));
    assert_request_eq!(handle, "ping").send_error("still down");
    let err = assert_ready_err!(probe.poll());
    assert_eq!(err.into_inner().unwrap().to_string(), "still down");
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(seen.lock().unwrap()[3], "still down");
}

#[tokio::test]
async fn the_breaker_layer_hands_an_uncounted_error_to_the_fallback_too() {
    let (fake, seen) = (FakeClock::new(), Seen::default());
    let (breaker, layer) = breaker_layer(&fake, &seen);
    let layer = layer.when(|e: &BoxError| e.to_string() == "timeout");
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);

    // An error the classifier does not count still ends the request: the fallback sees it.
    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("ping"));
    assert_request_eq!(handle, "ping").send_error("not found");
    let err = assert_ready_err!(response.poll());
    assert_eq!(err.into_inner().unwrap().to_string(), "not found");
    assert_eq!(breaker.failure_count(), 0);
    assert_eq!(*seen.lock().unwrap(), ["not found"]);
}

#[tokio::test]
async fn a_refusal_in_poll_ready_is_not_handed_to_the_fallback() {
    let (fake, seen) = (FakeClock::new(), Seen::default());
    let (breaker, layer) = breaker_layer(&fake, &seen);
    let (mut service, mut handle) =
        mock::spawn_layer::<&str, &str, _>(layer.reject_in_poll_ready());
    breaker.force_open();

    let err = assert_ready_err!(service.poll_ready());
    assert!(matches!(err, BreakerError::Open(_)));
    assert!(seen.lock().unwrap().is_empty());
    assert_pending!(handle.poll_request());
}

#[tokio::test]
async fn a_dropped_response_future_calls_no_fallback() {
    let (fake, seen) = (FakeClock::new(), Seen::default());
    let (breaker, layer) = breaker_layer(&fake, &seen);
    breaker.try_acquire().unwrap().failure();
    breaker.try_acquire().unwrap().failure();
    fake.advance(10 * SECOND);
    let (mut service, _handle) = mock::spawn_layer::<&str, &str, _>(layer);

    assert_ready_ok!(service.poll_ready());
    let mut probe = task::spawn(service.call("probe"));
    assert_pending!(probe.poll());
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    drop(probe);
    assert!(seen.lock().unwrap().is_empty());
    assert!(breaker.try_acquire().unwrap().is_probe()); // its slot was given back
}

#[tokio::test]
async fn the_keyed_layer_falls_back_for_the_refusing_key_only() {
    let fake = FakeClock::new();
    let seen = Seen::default();
    let template = CircuitBreaker::builder("host")
        .failure_threshold(1)
        .clock(fake.clock());
    let hosts = Arc::new(KeyedBreakers::new(template, 8).unwrap());
    let first_word = |request: &&'static str| request.split(' ').next().unwrap().to_owned();
    let layer = KeyedCircuitBreakerLayer::shared(Arc::clone(&hosts), first_word)
        .fallback(breaker_fallback(&seen));
    let (mut service, mut handle) = mock::spawn_layer::<&str, &str, _>(layer);
    hosts.get(&"a".to_owned()).force_open();

    assert_ready_ok!(service.poll_ready());
    let mut refused = task::spawn(service.call("a ping"));
    assert_eq!(assert_ready_ok!(refused.poll()), "cached");
    assert_pending!(handle.poll_request());

    assert_ready_ok!(service.poll_ready());
    let mut response = task::spawn(service.call("b ping"));
    assert_request_eq!(handle, "b ping").send_response("pong");
    assert_eq!(assert_ready_ok!(response.poll()), "pong");
    assert_eq!(*seen.lock().unwrap(), ["circuit `host:a` is open"]); // `a`'s only
}
