//! The chat-completion client.

use std::net::SocketAddr;

use serde_json::{json, Value};

use super::{delay_hint, CallError};
use crate::services::llm::PATH;

/// Asks the service for one completion of `prompt`.
pub(crate) async fn complete(
    http: &reqwest::Client,
    addr: SocketAddr,
    prompt: &str,
) -> Result<String, CallError> {
    let body = json!({ "model": "demo-1", "messages": [{ "role": "user", "content": prompt }] });
    let request = http.post(format!("http://{addr}{PATH}")).json(&body);
    let response = request.send().await.map_err(|_| CallError::Connection)?;
    let status = response.status();
    if !status.is_success() {
        return Err(CallError::Status {
            status: status.as_u16(),
            retry_after: delay_hint(response.headers()),
        });
    }
    let answer: Value = response.json().await.map_err(|_| CallError::Protocol)?;
    answer["choices"][0]["message"]["content"]
        .as_str()
        .map(str::to_owned)
        .ok_or(CallError::Protocol)
}
