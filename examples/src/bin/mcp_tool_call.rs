//! A tool call through the official MCP SDK (`rmcp`), guarded by `MCP_CIRCUIT_BREAKER`
//! and the MCP preset's policy with a per-attempt timeout. The server is this same
//! program started again as a child process (`mcp_tool_call serve`), speaking MCP over
//! its stdin and stdout. Its `forecast` tool follows a script by call count: it answers,
//! hangs, fails with an internal error, refuses an unknown city, and hangs again until
//! the circuit opens; after the recovery timeout a probe closes it.
//!
//! Run with `cargo run -p staunch-examples --bin mcp_tool_call`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolRequestParams, ServerCapabilities, ServerConfig};
use rmcp::service::RunningService;
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use rmcp::{tool, tool_handler, tool_router, ErrorData, RoleClient, ServerHandler};
use rmcp::{ServiceError, ServiceExt};
use staunch::presets::MCP;
use staunch::{classify, MCP_CIRCUIT_BREAKER};
use staunch_examples::Log;

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct ForecastRequest {
    /// The city to forecast.
    city: String,
}

/// The MCP server: one tool whose answers follow a script by call count.
#[derive(Debug, Clone)]
struct Weather {
    calls: Arc<AtomicU32>,
    #[allow(dead_code)] // read by the code `#[tool_handler]` generates
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl Weather {
    #[tool(description = "Tomorrow's weather in a city")]
    async fn forecast(
        &self,
        Parameters(ForecastRequest { city }): Parameters<ForecastRequest>,
    ) -> Result<String, ErrorData> {
        // Relaxed: only the count matters, not its order with other memory.
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        match n {
            2 | 9 => std::future::pending().await, // hangs: the client's timeout ends it
            4 | 7 | 8 => Err(ErrorData::internal_error("forecast backend down", None)),
            6 => Err(ErrorData::invalid_params(format!("no city {city:?}"), None)),
            _ => Ok(format!("sunny in {city} (call {n})")),
        }
    }
}

#[tool_handler]
impl ServerHandler for Weather {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

async fn serve() {
    let server = Weather {
        calls: Arc::new(AtomicU32::new(0)),
        tool_router: Weather::tool_router(),
    };
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .expect("serve MCP on stdio");
    let _ = running.waiting().await;
}

async fn connect() -> RunningService<RoleClient, ()> {
    let exe = std::env::current_exe().expect("path of this example");
    let command = tokio::process::Command::new(exe).configure(|cmd| {
        cmd.arg("serve");
    });
    let transport = TokioChildProcess::new(command).expect("start the MCP server");
    ().serve(transport).await.expect("MCP handshake")
}

async fn forecast(
    client: &RunningService<RoleClient, ()>,
    city: &str,
) -> Result<String, ServiceError> {
    let arguments = serde_json::json!({ "city": city });
    let arguments = arguments.as_object().cloned().unwrap_or_default();
    let result = client
        .call_tool(CallToolRequestParams::new("forecast").with_arguments(arguments))
        .await?;
    let text = result
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone());
    Ok(text.unwrap_or_default())
}

#[tokio::main]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("serve") {
        return serve().await;
    }
    // The MCP preset (consecutive failures, 2 attempts) with a short attempt timeout and
    // recovery so the example runs in a few seconds.
    let mut settings = MCP.settings().expect("valid MCP_ settings");
    settings.circuit_failure_threshold = 3;
    settings.retry_max_attempts = 2;
    settings.circuit_recovery_timeout = Duration::from_secs(1);
    settings.retry_wait_min = Duration::from_millis(50);
    settings.retry_wait_max = Duration::from_millis(100);
    settings.attempt_timeout = Some(Duration::from_secs(1));
    let policy = MCP.install(&settings).expect("valid settings");
    assert!(policy.breaker().ptr_eq(&MCP_CIRCUIT_BREAKER));

    let client = connect().await;
    let log = Log::watch(&MCP_CIRCUIT_BREAKER);
    let calls = [
        ("Lyon", "an answer"),
        ("Oslo", "a hang (attempt timeout), then an answer"),
        ("Rome", "an internal error (-32603), then an answer"),
        (
            "Atlantis",
            "invalid params (-32602): not retried, not counted",
        ),
        ("Bern", "two internal errors"),
        (
            "Kyiv",
            "a hang: the third failure in a row opens the circuit",
        ),
        ("Lima", "circuit open: rejected without a call"),
    ];
    for (city, what) in calls {
        log.call(what);
        let result = policy
            .call(|| {
                log.attempt();
                forecast(&client, city)
            })
            .classify(classify::rmcp::verdict)
            .await;
        log.outcome(match result {
            Ok(text) => format!("ok: {text}"),
            Err(e) => staunch_examples::failure(&e),
        });
    }
    let retry_in = MCP_CIRCUIT_BREAKER.retry_in().unwrap_or_default();
    tokio::time::sleep(retry_in + Duration::from_millis(50)).await;
    log.call("after the recovery timeout: a probe");
    let result = policy
        .call(|| {
            log.attempt();
            forecast(&client, "Quito")
        })
        .classify(classify::rmcp::verdict)
        .await;
    log.outcome(match result {
        Ok(text) => format!("ok: {text}"),
        Err(e) => staunch_examples::failure(&e),
    });
    let _ = client.cancel().await;
    println!("summary: {}", log.summary());
}
