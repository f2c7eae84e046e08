//! An MCP tool call to a server that hangs: the MCP preset's per-attempt timeout cuts
//! each attempt, and the hangs count against the shared `mcp` breaker. The server is an
//! in-process fake.
//!
//! Run with `cargo run -p staunch --example mcp_call`.

use std::time::Duration;

use staunch::{Policy, MCP_CIRCUIT_BREAKER};

#[derive(Debug)]
#[allow(dead_code)] // shown through `Debug`
struct RpcError(String);

/// A JSON-RPC `tools/call` to a server that never answers.
async fn call_tool(name: &str) -> Result<String, RpcError> {
    let _ = name;
    std::future::pending().await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // The MCP preset (2 attempts, 30 s timeout), with a short timeout for the example.
    let policy = Policy::mcp()
        .to_builder()
        .attempt_timeout(Duration::from_millis(200))
        .wait_min(Duration::from_millis(50))
        .build()
        .expect("valid settings");
    for round in 1..=2 {
        let started = std::time::Instant::now();
        let result = policy.call(|| call_tool("search")).await;
        println!(
            "round {round}: {:?} after {:?}",
            result.map_err(|e| e.to_string()),
            started.elapsed()
        );
        println!(
            "  `mcp`: {}, {} failures",
            MCP_CIRCUIT_BREAKER.state(),
            MCP_CIRCUIT_BREAKER.failure_count()
        );
    }
}
