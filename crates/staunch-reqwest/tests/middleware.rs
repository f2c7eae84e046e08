//! The middleware against a local server that answers by a script, on a fake clock so
//! that every wait is exact and instant.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitOpen, CircuitState, KeyedBreakers, Policy};
use staunch_reqwest::PolicyMiddleware;

/// Requests seen per path.
type Seen = Arc<Mutex<HashMap<String, u32>>>;

/// `/{script}`: the n-th request to a path answers the n-th status of the script, e.g.
/// `/503,503,200`; `429r2` is a 429 with `Retry-After: 2`, `429ms250` one with
/// `retry-after-ms: 250`; the last entry repeats.
async fn answer(State(seen): State<Seen>, Path(script): Path<String>) -> Response {
    let n = {
        let mut seen = seen.lock().unwrap();
        let n = seen.entry(script.clone()).or_default();
        *n += 1;
        *n as usize
    };
    let steps: Vec<&str> = script.split(',').collect();
    let step = steps[(n - 1).min(steps.len() - 1)];
    let (status, header) = match step.split_once('r') {
        Some((status, seconds)) => (status, Some(("retry-after", seconds))),
        None => match step.split_once("ms") {
            Some((status, millis)) => (status, Some(("retry-after-ms", millis))),
            None => (step, None),
        },
    };
    let status = StatusCode::from_u16(status.parse().unwrap()).unwrap();
    match header {
        Some(header) => (status, [header], format!("request {n}")).into_response(),
        None => (status, format!("request {n}")).into_response(),
    }
}

async fn server() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route("/{script}", get(answer))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), seen)
}

fn client(middleware: PolicyMiddleware) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(middleware)
        .build()
}

fn policy(clock: &FakeClock) -> staunch::PolicyBuilder {
    Policy::builder("api")
        .max_attempts(4)
        .wait_min(Duration::from_millis(100))
        .wait_max(Duration::from_millis(100))
        .max_delay_hint(Duration::from_secs(5))
        .failure_threshold(10)
        .clock(clock.clock())
}

fn seen(seen: &Seen, script: &str) -> u32 {
    seen.lock().unwrap().get(script).copied().unwrap_or(0)
}

#[tokio::test]
async fn retries_503s_until_an_answer() {
    let (base, requests) = server().await;
    let clock = FakeClock::new();
    let client = client(PolicyMiddleware::new(policy(&clock).build().unwrap()));
    let started = clock.now();

    let response = client
        .get(format!("{base}/503,503,200"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "request 3");
    assert_eq!(seen(&requests, "503,503,200"), 3);
    assert_eq!(clock.now() - started, Duration::from_millis(200)); // two waits of 100 ms
}

#[tokio::test]
async fn the_last_error_answer_is_returned_when_attempts_run_out() {
    let (base, requests) = server().await;
    let clock = FakeClock::new();
    let client = client(PolicyMiddleware::new(policy(&clock).build().unwrap()));

    let response = client.get(format!("{base}/503")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.text().await.unwrap(), "request 4");
    assert_eq!(seen(&requests, "503"), 4);
    // A 404 is the caller's: sent once, answered as it is.
    let response = client.get(format!("{base}/404")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(seen(&requests, "404"), 1);
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_cap() {
    let (base, requests) = server().await;
    let clock = FakeClock::new();
    let client = client(PolicyMiddleware::new(policy(&clock).build().unwrap()));

    // `Retry-After: 2` rather than the policy's 100 ms.
    let started = clock.now();
    let response = client
        .get(format!("{base}/429r2,200"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(clock.now() - started, Duration::from_secs(2));

    // `retry-after-ms: 250`.
    let started = clock.now();
    let response = client
        .get(format!("{base}/503ms250,200"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(clock.now() - started, Duration::from_millis(250));

    // `Retry-After: 60` is over the 5 s cap: no parking, the 429 is the answer.
    let started = clock.now();
    let response = client
        .get(format!("{base}/429r60,200"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(seen(&requests, "429r60,200"), 1);
    assert_eq!(clock.now() - started, Duration::ZERO);
}

#[tokio::test]
async fn the_breaker_opens_after_its_threshold() {
    let (base, requests) = server().await;
    let clock = FakeClock::new();
    let policy = policy(&clock)
        .max_attempts(1)
        .failure_threshold(3)
        .recovery_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let middleware = PolicyMiddleware::new(policy.clone());
    let client = client(middleware);

    for _ in 0..3 {
        let response = client.get(format!("{base}/503")).send().await.unwrap();
        assert_eq!(response.status(), 503);
    }
    assert_eq!(policy.breaker().state(), CircuitState::Open);
    let error = client.get(format!("{base}/503")).send().await.unwrap_err();
    let reqwest_middleware::Error::Middleware(error) = error else {
        panic!("expected the open circuit, got {error:?}");
    };
    let open = error.downcast_ref::<CircuitOpen>().expect("a CircuitOpen");
    assert_eq!(open.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(
        seen(&requests, "503"),
        3,
        "the open circuit spares the server"
    );

    // After the recovery timeout one probe goes through and closes the circuit.
    clock.advance(Duration::from_secs(30));
    let response = client.get(format!("{base}/200")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(policy.breaker().state(), CircuitState::Closed);
}

#[tokio::test]
async fn one_breaker_per_host() {
    let (base, requests) = server().await;
    let port = base.rsplit(':').next().unwrap();
    let clock = FakeClock::new();
    let hosts = KeyedBreakers::new(
        CircuitBreaker::builder("host")
            .failure_threshold(2)
            .clock(clock.clock()),
        16,
    )
    .unwrap();
    let middleware =
        PolicyMiddleware::per_host(policy(&clock).max_attempts(1).build().unwrap(), hosts);
    let client = client(middleware.clone());

    for _ in 0..2 {
        let response = client.get(format!("{base}/503")).send().await.unwrap();
        assert_eq!(response.status(), 503);
    }
    assert_eq!(
        middleware.breaker_for("127.0.0.1").state(),
        CircuitState::Open
    );
    assert!(client.get(format!("{base}/503")).send().await.is_err());
    assert_eq!(seen(&requests, "503"), 2);
    // The same server under another name has a breaker of its own, still closed.
    let other = format!("http://localhost:{port}/200");
    let response = client.get(other).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        middleware.breaker_for("localhost").state(),
        CircuitState::Closed
    );
    assert_eq!(middleware.policy().breaker().state(), CircuitState::Closed);
}
