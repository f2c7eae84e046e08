//! An MCP-style JSON-RPC 2.0 endpoint over HTTP: `POST /mcp`, method `tools/call`.
//!
//! Healthy, it answers within 10 to 60 ms, with the odd JSON-RPC internal error. During its
//! outage it accepts the request and hangs (for 30 s, far past the policy's attempt
//! timeout).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::{bind_loopback, Requests};
use crate::script::{Script, Service};

/// The path of the endpoint.
pub(crate) const PATH: &str = "/mcp";

pub(crate) async fn spawn(script: Script) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let (listener, addr) = bind_loopback().await?;
    let requests = Arc::new(Requests::new(script, Service::Mcp));
    let app = Router::new().route(PATH, post(call)).with_state(requests);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, task))
}

async fn call(State(requests): State<Arc<Requests>>, Json(request): Json<Value>) -> Json<Value> {
    let (down, mut rng) = requests.next();
    let clock = requests.script().clock();
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    if down {
        clock.sleep(Duration::from_secs(30)).await;
    } else {
        clock.sleep(Duration::from_millis(rng.u64(10..60))).await;
    }
    if rng.u8(0..100) < 2 {
        let error = json!({ "code": -32603, "message": "internal error" });
        return Json(json!({ "jsonrpc": "2.0", "id": id, "error": error }));
    }
    let tool = request["params"]["name"].as_str().unwrap_or("unknown");
    let result = json!({ "content": [{ "type": "text", "text": format!("{tool}: done") }] });
    Json(json!({ "jsonrpc": "2.0", "id": id, "result": result }))
}
