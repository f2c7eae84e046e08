//! An MCP server built with the official SDK (`rmcp`), speaking streamable HTTP on
//! loopback at `/mcp`. Its one tool, `search_docs`, searches some documentation.
//!
//! Healthy, it answers within 10 to 60 ms, and one call in [`FAILING_EVERY`] fails with an
//! internal error (`-32603`). During its outage it accepts the call and hangs (for 30 s,
//! far past the policy's attempt timeout).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{ServerCapabilities, ServerConfig};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{tool, tool_handler, tool_router, ErrorData, ServerHandler};
use tokio::task::JoinHandle;

use super::{bind_loopback, Requests};
use crate::script::{Script, Service};

/// The path of the endpoint.
pub(crate) const PATH: &str = "/mcp";

/// The name of the tool.
pub(crate) const TOOL: &str = "search_docs";

/// One healthy call in this many fails with an internal error, which the retry absorbs.
const FAILING_EVERY: u64 = 40;

/// The arguments of `search_docs`.
#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub(crate) struct SearchRequest {
    /// What to search for.
    pub(crate) query: String,
}

/// The server: one tool that misbehaves as the script says.
#[derive(Debug, Clone)]
struct Docs {
    requests: Arc<Requests>,
    #[allow(dead_code)] // read by the code `#[tool_handler]` generates
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl Docs {
    #[tool(description = "Searches the documentation")]
    async fn search_docs(
        &self,
        Parameters(SearchRequest { query }): Parameters<SearchRequest>,
    ) -> Result<String, ErrorData> {
        let (n, down, mut rng) = self.requests.next_numbered();
        let clock = self.requests.script().clock();
        if down {
            clock.sleep(Duration::from_secs(30)).await;
        } else {
            clock.sleep(Duration::from_millis(rng.u64(10..60))).await;
        }
        if n % FAILING_EVERY == FAILING_EVERY - 1 {
            return Err(ErrorData::internal_error("search index unavailable", None));
        }
        Ok(format!("{query}: 3 pages"))
    }
}

#[tool_handler]
impl ServerHandler for Docs {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

pub(crate) async fn spawn(script: Script) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let (listener, addr) = bind_loopback().await?;
    let requests = Arc::new(Requests::new(script, Service::Mcp));
    let service = StreamableHttpService::new(
        move || {
            Ok(Docs {
                requests: Arc::clone(&requests),
                tool_router: Docs::tool_router(),
            })
        },
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let app = Router::new().nest_service(PATH, service);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, task))
}
