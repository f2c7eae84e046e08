//! The MCP client: the official SDK (`rmcp`) over streamable HTTP, one session shared by
//! every call, its errors judged by [`staunch::classify::rmcp`].

use std::net::SocketAddr;

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceError, ServiceExt};

use crate::services::mcp::{SearchRequest, PATH, TOOL};

/// A connected MCP client.
pub(crate) type McpClient = RunningService<RoleClient, ()>;

/// Connects to the MCP server at `addr` (the `initialize` handshake).
pub(crate) async fn connect(addr: SocketAddr) -> std::io::Result<McpClient> {
    let transport = StreamableHttpClientTransport::from_uri(format!("http://{addr}{PATH}"));
    ().serve(transport).await.map_err(std::io::Error::other)
}

/// Calls `search_docs` with `query`; returns the tool's text.
pub(crate) async fn search_docs(client: &McpClient, query: &str) -> Result<String, ServiceError> {
    let arguments = SearchRequest {
        query: query.to_owned(),
    };
    let arguments = match serde_json::to_value(arguments) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let result = client
        .call_tool(CallToolRequestParams::new(TOOL).with_arguments(arguments))
        .await?;
    let text = result.content.first().and_then(|c| c.as_text());
    Ok(text.map(|t| t.text.clone()).unwrap_or_default())
}
