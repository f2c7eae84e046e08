//! An LLM-style chat-completion API: `POST /v1/chat/completions`.
//!
//! Healthy, it answers in 20 to 120 ms, now and then slowly (600 ms) or with a `429` and a
//! `Retry-After`. During its outage it answers mostly `500` in bursts, some `429`, and
//! some answers so slow that the policy's attempt timeout cuts them.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::{bind_loopback, Requests};
use crate::script::{Script, Service};

/// The path of the one endpoint.
pub(crate) const PATH: &str = "/v1/chat/completions";

pub(crate) async fn spawn(script: Script) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let (listener, addr) = bind_loopback().await?;
    let requests = Arc::new(Requests::new(script, Service::Llm));
    let app = Router::new()
        .route(PATH, post(complete))
        .with_state(requests);
    let task = tokio::spawn(async move {
        // The demo aborts this task on exit; a serve error only ends this service.
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, task))
}

async fn complete(State(requests): State<Arc<Requests>>, Json(request): Json<Value>) -> Response {
    let (down, mut rng) = requests.next();
    let clock = requests.script().clock();
    let roll = rng.u8(0..100);
    if down {
        match roll {
            0..=69 => return server_error(),
            70..=89 => return rate_limited(),
            _ => clock.sleep(Duration::from_secs(3)).await,
        }
    } else {
        match roll {
            0..=3 => return rate_limited(),
            4..=7 => clock.sleep(Duration::from_millis(600)).await,
            _ => clock.sleep(Duration::from_millis(rng.u64(20..120))).await,
        }
    }
    let prompt = request["messages"][0]["content"].as_str().unwrap_or("");
    let answer = json!({
        "id": "chatcmpl-demo",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "demo-1",
        "choices": [{ "index": 0, "finish_reason": "stop", "message": { "role": "assistant",
            "content": format!("{} characters received", prompt.len()) } }],
    });
    Json(answer).into_response()
}

fn server_error() -> Response {
    let body = json!({ "error": { "type": "server_error", "message": "overloaded" } });
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

fn rate_limited() -> Response {
    let body = json!({ "error": { "type": "rate_limit_exceeded" } });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert("retry-after", HeaderValue::from_static("1"));
    headers.insert("retry-after-ms", HeaderValue::from_static("250"));
    response
}
