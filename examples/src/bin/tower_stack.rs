//! An axum server that protects a flaky downstream service with staunch's tower layers.
//!
//! The front server answers `GET /stock/{item}` by asking an inventory service, through a
//! client-side `ServiceBuilder` stack: staunch's `PolicyLayer` (retry outside, breaker
//! inside) over a `reqwest` call. The inventory answers by a script: a 503 that a retry
//! absorbs, then an outage that opens the circuit. While it is open the front server
//! answers 503 with `Retry-After` at once, without calling the inventory; after the
//! recovery timeout one probe closes the circuit.
//!
//! Run with `cargo run -p staunch-examples --bin tower_stack`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use staunch::classify;
use staunch::tower::PolicyLayer;
use staunch::{Policy, PolicyErrorKind};
use staunch_examples::Log;
use tower::{BoxError, ServiceBuilder, ServiceExt};

/// The inventory's answer to its n-th request (from 1).
fn inventory_script(n: u32) -> StatusCode {
    match n {
        2 | 4..=6 => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn start_inventory() -> String {
    let requests = Arc::new(AtomicU32::new(0));
    let app = Router::new().route(
        "/items/{item}",
        get(move |Path(item): Path<String>| {
            // Relaxed: only the count matters, not its order with other memory.
            let n = requests.fetch_add(1, Ordering::Relaxed) + 1;
            async move {
                match inventory_script(n) {
                    StatusCode::OK => (StatusCode::OK, format!("{item}: 12 in stock")),
                    status => (status, "inventory unavailable".to_owned()),
                }
            }
        }),
    );
    serve(app).await
}

/// The front server's state: its client stack towards the inventory.
#[derive(Clone)]
struct Front<S> {
    inventory: S,
    policy: Policy,
}

async fn stock<S>(State(front): State<Front<S>>, Path(item): Path<String>) -> Response
where
    S: tower::Service<
            String,
            Response = String,
            Error = staunch::PolicyError<classify::reqwest::Error>,
        > + Clone,
{
    match front.inventory.oneshot(item).await {
        Ok(body) => (StatusCode::OK, body).into_response(),
        Err(e) if e.kind() == PolicyErrorKind::BreakerOpen => {
            let wait = front.policy.breaker().retry_in().unwrap_or_default();
            let seconds = wait.as_secs_f64().ceil().max(1.0).to_string();
            let headers = [(header::RETRY_AFTER, seconds)];
            (
                StatusCode::SERVICE_UNAVAILABLE,
                headers,
                "inventory circuit open",
            )
                .into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, staunch_examples::failure(&e)).into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let inventory = start_inventory().await;
    let policy = Policy::builder("inventory")
        .max_attempts(3)
        .wait_min(Duration::from_millis(20))
        .wait_max(Duration::from_millis(100))
        .failure_threshold(3)
        .recovery_timeout(Duration::from_millis(500))
        .attempt_timeout(Duration::from_secs(2))
        .build()?;
    let log = Log::watch(policy.breaker());

    // The client-side stack: the policy around one HTTP GET per attempt.
    let http = reqwest::Client::new();
    let attempts = log.clone();
    let get_item = tower::service_fn(move |item: String| {
        attempts.attempt();
        let request = http.get(format!("{inventory}/items/{item}")).send();
        async move {
            let response = classify::reqwest::error_for_status(request.await?)?;
            Ok::<_, classify::reqwest::Error>(response.text().await?)
        }
    });
    let stack = ServiceBuilder::new()
        .layer(PolicyLayer::new(policy.clone()).classify(classify::reqwest::Error::verdict))
        .service(get_item);

    let front = Router::new()
        .route("/stock/{item}", get(stock))
        .with_state(Front {
            inventory: stack,
            policy: policy.clone(),
        });
    let front = serve(front).await;

    let client = reqwest::Client::new();
    let ask = |what: &str| {
        log.call(what);
        client.get(format!("{front}/stock/widget")).send()
    };
    let show = |response: reqwest::Response| async {
        let status = response.status();
        let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
        let body = response.text().await.unwrap_or_default();
        match retry_after {
            Some(wait) => log.outcome(format!("{status} (retry-after: {wait:?}) {body}")),
            None => log.outcome(format!("{status} {body}")),
        }
    };
    show(ask("inventory answers").await?).await;
    show(ask("a 503, absorbed by a retry").await?).await;
    show(ask("three 503s: the circuit opens").await?).await;
    show(ask("circuit open: 503 at once, the inventory is spared").await?).await;
    let retry_in = policy.breaker().retry_in().unwrap_or_default();
    tokio::time::sleep(retry_in + Duration::from_millis(50)).await;
    show(ask("after the recovery timeout: a probe").await?).await;
    println!("summary: {}", log.summary());
    Ok(())
}
