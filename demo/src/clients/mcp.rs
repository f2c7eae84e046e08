//! The JSON-RPC client of the MCP-style endpoint.

use std::net::SocketAddr;

use serde_json::{json, Value};

use super::CallError;
use crate::services::mcp::PATH;

/// Calls the tool `tool` with request id `id`; returns the call's result object.
pub(crate) async fn call_tool(
    http: &reqwest::Client,
    addr: SocketAddr,
    id: u64,
    tool: &str,
) -> Result<Value, CallError> {
    let body = json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": { "name": tool, "arguments": {} } });
    let request = http.post(format!("http://{addr}{PATH}")).json(&body);
    let response = request.send().await.map_err(|_| CallError::Connection)?;
    if !response.status().is_success() {
        let status = response.status().as_u16();
        return Err(CallError::Status {
            status,
            retry_after: None,
        });
    }
    let mut reply: Value = response.json().await.map_err(|_| CallError::Protocol)?;
    if reply["id"] != json!(id) {
        return Err(CallError::Protocol);
    }
    if let Some(code) = reply["error"]["code"].as_i64() {
        return Err(CallError::Rpc { code });
    }
    match reply.get_mut("result") {
        Some(result) => Ok(result.take()),
        None => Err(CallError::Protocol),
    }
}
