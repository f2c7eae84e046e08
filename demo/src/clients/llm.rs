//! The chat-completion client: `async-openai`, the OpenAI-compatible client most Rust
//! services use, pointed at the local service.
//!
//! Its own retry is replaced by the plain transport (the preset policy retries), and an
//! error answer's `retry-after-ms` / `Retry-After` is kept on the way, since
//! `async-openai`'s error type drops the response headers.

use std::net::SocketAddr;

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequestArgs,
};
use async_openai::Client;
use staunch::classify;
use tower::ServiceExt;

use super::CallError;
use crate::services::llm::PATH;

/// Asks the service for one completion of `prompt`.
pub(crate) async fn complete(
    http: &reqwest::Client,
    addr: SocketAddr,
    prompt: &str,
) -> Result<String, CallError> {
    let message = ChatCompletionRequestUserMessageArgs::default()
        .content(prompt)
        .build()
        .map_err(|_| CallError::Protocol)?;
    let request = CreateChatCompletionRequestArgs::default()
        .model("demo-1")
        .messages([message.into()])
        .build()
        .map_err(|_| CallError::Protocol)?;
    let reply = client(http, addr)
        .chat()
        .create(request)
        .await
        .map_err(call_error)?;
    reply
        .choices
        .into_iter()
        .next()
        .and_then(|choice| choice.message.content)
        .ok_or(CallError::Protocol)
}

/// A client of the service at `addr` on `http`'s connection pool.
fn client(http: &reqwest::Client, addr: SocketAddr) -> Client<OpenAIConfig> {
    let base = format!(
        "http://{addr}{}",
        PATH.trim_end_matches("/chat/completions")
    );
    let keep_hint =
        ReqwestService::new(http.clone()).and_then(|response: reqwest::Response| async move {
            let headers = response.headers();
            let hinted =
                headers.contains_key("retry-after") || headers.contains_key("retry-after-ms");
            if response.status().is_success() || !hinted {
                return Ok(response);
            }
            classify::reqwest::error_for_status(response)
                .map_err(|e| OpenAIError::Boxed(Box::new(e)))
        });
    Client::with_config(OpenAIConfig::new().with_api_base(base).with_api_key("demo"))
        .with_http_service(keep_hint)
}

/// The client's error, as the demo classifies it.
fn call_error(error: OpenAIError) -> CallError {
    match error {
        OpenAIError::ApiError(e) => CallError::Status {
            status: e.status_code.as_u16(),
            retry_after: None,
        },
        OpenAIError::Boxed(e) => match e.downcast_ref::<classify::reqwest::Error>() {
            Some(e) => CallError::Status {
                status: e.status().map_or(502, |s| s.as_u16()),
                retry_after: e.verdict().delay_hint(),
            },
            None => CallError::Protocol,
        },
        OpenAIError::Reqwest(e) if e.is_decode() => CallError::Protocol,
        OpenAIError::Reqwest(_) => CallError::Connection,
        _ => CallError::Protocol,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use axum::routing::post;
    use axum::{Json, Router};
    use serde_json::json;

    use super::*;

    /// A service answering 429 with both hints, then 500, then a completion.
    async fn service() -> SocketAddr {
        let requests = Arc::new(AtomicU32::new(0));
        let app = Router::new().route(
            PATH,
            post(move || {
                let n = requests.fetch_add(1, Ordering::Relaxed);
                async move {
                    let error = json!({ "error": { "message": "no", "type": "x" } });
                    match n {
                        0 => (
                            StatusCode::TOO_MANY_REQUESTS,
                            [("retry-after", "1"), ("retry-after-ms", "250")],
                            Json(error),
                        )
                            .into_response(),
                        1 => (StatusCode::INTERNAL_SERVER_ERROR, Json(error)).into_response(),
                        _ => Json(json!({
                            "id": "c", "object": "chat.completion", "created": 0, "model": "m",
                            "choices": [{ "index": 0, "finish_reason": "stop",
                                "message": { "role": "assistant", "content": "hi" } }],
                        }))
                        .into_response(),
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    #[tokio::test]
    async fn the_openai_client_reports_statuses_and_hints_once_each() {
        let addr = service().await;
        let http = reqwest::Client::new();
        let limited = complete(&http, addr, "a").await.unwrap_err();
        let expected = CallError::Status {
            status: 429,
            retry_after: Some(Duration::from_millis(250)),
        };
        assert_eq!(limited, expected);
        let failed = complete(&http, addr, "b").await.unwrap_err();
        let expected = CallError::Status {
            status: 500,
            retry_after: None,
        };
        assert_eq!(failed, expected);
        assert_eq!(complete(&http, addr, "c").await.unwrap(), "hi");
    }
}
