//! Chat completions through `async-openai`, guarded by `LLM_CIRCUIT_BREAKER` and the LLM
//! preset's policy, against a local OpenAI-compatible server that misbehaves like a real
//! provider: a 429 with `Retry-After`, a burst of 500s, an answer that never comes, a 401
//! and a 400, then an outage that opens the circuit; a cached answer while it is open,
//! and a probe that closes it again.
//!
//! Why `async-openai`: it is the most used OpenAI-compatible client for Rust, kept up
//! with the API, takes any base URL (vLLM, Ollama, LiteLLM, Azure all speak this API),
//! reports the HTTP status in its error type, and lets us replace its built-in retry
//! (three attempts of its own, which would multiply staunch's) through its tower
//! executor, which is also where the server's `Retry-After` is kept: its error type
//! drops the response headers.
//!
//! Run with `cargo run -p staunch-examples --bin openai_chat`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequest,
    CreateChatCompletionRequestArgs,
};
use async_openai::Client;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use staunch::classify::http::status_verdict;
use staunch::presets::LLM;
use staunch::{classify, Policy, PolicyErrorKind, Verdict, LLM_CIRCUIT_BREAKER};
use staunch_examples::Log;
use tower::ServiceExt;

/// What the server answers to its n-th request (from 1): a script, not a clock.
fn scripted(n: u32) -> Option<Response> {
    let error = |status: StatusCode, kind: &str| {
        let body = json!({"error": {"message": kind, "type": kind, "param": null, "code": null}});
        (status, Json(body)).into_response()
    };
    Some(match n {
        1 => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded");
            response
                .headers_mut()
                .insert("retry-after", "1".parse().expect("header value"));
            response
        }
        3 | 4 => error(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
        6 => return None, // hangs: the attempt timeout ends it
        8 => error(StatusCode::UNAUTHORIZED, "invalid_api_key"),
        9 => error(StatusCode::BAD_REQUEST, "invalid_request_error"),
        10..=12 => error(StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
        _ => completion(n),
    })
}

fn completion(n: u32) -> Response {
    Json(json!({
        "id": format!("chatcmpl-{n}"),
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "local-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": format!("answer #{n}")},
            "finish_reason": "stop"
        }]
    }))
    .into_response()
}

async fn start_server() -> String {
    let requests = Arc::new(AtomicU32::new(0));
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |_: HeaderMap| {
            // Relaxed: only the count matters, not its order with other memory.
            let n = requests.fetch_add(1, Ordering::Relaxed) + 1;
            async move {
                match scripted(n) {
                    Some(response) => response,
                    None => std::future::pending().await,
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}

/// The classifier for `async-openai`'s error: rate limits, 5xx and timeouts are
/// transient (with the server's hint when the executor kept one), 400 and 401 are the
/// caller's and neither retried nor counted.
fn verdict(error: &OpenAIError) -> Verdict {
    match error {
        OpenAIError::ApiError(e) => status_verdict(e.status_code.as_u16()),
        OpenAIError::Reqwest(e) => classify::reqwest::verdict(e),
        OpenAIError::Boxed(e) => match e.downcast_ref::<classify::reqwest::Error>() {
            Some(e) => e.verdict(),
            None => Verdict::FATAL,
        },
        OpenAIError::JSONDeserialize(..) | OpenAIError::StreamError(_) => Verdict::FATAL,
        _ => Verdict::IGNORE,
    }
}

/// `async-openai`'s plain reqwest transport, without its own retry, keeping the hint of
/// an answer that carries one (`classify::reqwest::error_for_status`).
fn client(base: String) -> Client<OpenAIConfig> {
    let transport = ReqwestService::new(reqwest::Client::new());
    let keep_hint = transport.and_then(|response: reqwest::Response| async move {
        let has_hint = response.headers().contains_key("retry-after")
            || response.headers().contains_key("retry-after-ms");
        if response.status().is_success() || !has_hint {
            return Ok(response);
        }
        classify::reqwest::error_for_status(response).map_err(|e| OpenAIError::Boxed(Box::new(e)))
    });
    Client::with_config(
        OpenAIConfig::new()
            .with_api_base(base)
            .with_api_key("sk-local"),
    )
    .with_http_service(keep_hint)
}

fn request(prompt: &str) -> CreateChatCompletionRequest {
    let message = ChatCompletionRequestUserMessageArgs::default()
        .content(prompt)
        .build()
        .expect("valid message");
    CreateChatCompletionRequestArgs::default()
        .model("local-model")
        .messages([message.into()])
        .build()
        .expect("valid request")
}

#[tokio::main]
async fn main() {
    // The LLM preset with waits and timeouts for a demo that runs in a few seconds. The
    // preset's breaker opens when half of its last calls failed, once it has seen 10.
    let mut settings = LLM.settings().expect("valid LLM_ settings");
    settings.circuit_failure_threshold = 10;
    settings.circuit_recovery_timeout = Duration::from_secs(1);
    settings.retry_max_attempts = 3;
    settings.retry_wait_min = Duration::from_millis(50);
    settings.retry_wait_max = Duration::from_millis(200);
    settings.attempt_timeout = Some(Duration::from_secs(1));
    let policy: &Policy = LLM.install(&settings).expect("valid settings");
    assert!(policy.breaker().ptr_eq(&LLM_CIRCUIT_BREAKER));

    let client = client(start_server().await);
    let log = Log::watch(&LLM_CIRCUIT_BREAKER);
    let mut cached = None;
    let prompts = [
        "429 with Retry-After: 1, then an answer",
        "two 500s, then an answer",
        "no answer at all, then an answer",
        "a 401: not retried, not counted",
        "a 400: not retried, not counted",
        "503s until the circuit opens",
        "circuit open: the cached answer",
    ];
    for prompt in prompts {
        log.call(prompt);
        let result = policy
            .call(|| {
                log.attempt();
                async { client.chat().create(request(prompt)).await }
            })
            .classify(verdict)
            .await;
        match result {
            Ok(reply) => {
                let text = reply.choices[0].message.content.clone().unwrap_or_default();
                log.outcome(format!("ok: {text}"));
                cached = Some(text);
            }
            Err(e) if e.kind() == PolicyErrorKind::BreakerOpen => {
                let answer = cached.clone().unwrap_or_default();
                log.outcome(format!("{}: cached {answer}", e.kind().as_str()));
            }
            Err(e) => log.outcome(staunch_examples::failure(&e)),
        }
    }
    // The circuit probes again after its recovery timeout.
    let retry_in = LLM_CIRCUIT_BREAKER.retry_in().unwrap_or_default();
    tokio::time::sleep(retry_in + Duration::from_millis(50)).await;
    log.call("after the recovery timeout: a probe");
    let result = policy
        .call(|| {
            log.attempt();
            async { client.chat().create(request("probe")).await }
        })
        .classify(verdict)
        .await;
    log.outcome(match result {
        Ok(reply) => format!(
            "ok: {}",
            reply.choices[0].message.content.clone().unwrap_or_default()
        ),
        Err(e) => staunch_examples::failure(&e),
    });
    println!("summary: {}", log.summary());
}
