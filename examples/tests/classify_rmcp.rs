//! `classify::rmcp` on errors that the `rmcp` client returned from calls to a real `rmcp`
//! server (in this process, over an in-memory pipe).

use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, ClientRequest, ErrorCode, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::{PeerRequestOptions, RunningService};
use rmcp::ServiceExt;
use rmcp::{tool, tool_handler, tool_router, ErrorData, RoleClient, ServerHandler, ServiceError};
use staunch::{classify, Verdict};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct Failure {
    /// How the tool fails.
    how: String,
}

#[derive(Debug, Clone)]
struct Failing {
    #[allow(dead_code)] // read by the code `#[tool_handler]` generates
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl Failing {
    #[tool(description = "Fails as asked")]
    async fn fail(
        &self,
        Parameters(Failure { how }): Parameters<Failure>,
    ) -> Result<String, ErrorData> {
        match how.as_str() {
            "internal" => Err(ErrorData::internal_error("backend down", None)),
            "params" => Err(ErrorData::invalid_params("no such city", None)),
            "resource" => Err(ErrorData::resource_not_found("no such file", None)),
            "reserved" => Err(ErrorData::new(
                ErrorCode(-32050),
                "implementation error",
                None,
            )),
            "application" => Err(ErrorData::new(ErrorCode(4001), "quota exceeded", None)),
            "hang" => std::future::pending().await,
            _ => Ok(how),
        }
    }
}

#[tool_handler]
impl ServerHandler for Failing {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

/// A client connected to a fresh server, and the server's handle.
async fn connect() -> (
    RunningService<RoleClient, ()>,
    RunningService<rmcp::RoleServer, Failing>,
) {
    let (client_side, server_side) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(async move {
        Failing {
            tool_router: Failing::tool_router(),
        }
        .serve(server_side)
        .await
        .expect("server handshake")
    });
    let client = ().serve(client_side).await.expect("client handshake");
    (client, server.await.expect("server task"))
}

fn params(tool: &str, how: &str) -> CallToolRequestParams {
    let arguments = serde_json::json!({ "how": how });
    CallToolRequestParams::new(tool.to_owned())
        .with_arguments(arguments.as_object().cloned().unwrap_or_default())
}

async fn call(client: &RunningService<RoleClient, ()>, how: &str) -> ServiceError {
    client.call_tool(params("fail", how)).await.expect_err(how)
}

#[tokio::test]
async fn errors_of_the_real_client() {
    let (client, server) = connect().await;
    assert!(client.call_tool(params("fail", "fine")).await.is_ok());
    let timed_out = client
        .peer()
        .send_request_with_option(
            ClientRequest::CallToolRequest(CallToolRequest::new(params("fail", "hang"))),
            PeerRequestOptions::with_timeout(Duration::from_millis(50)),
        )
        .await
        .expect("sent")
        .await_response()
        .await
        .unwrap_err();
    let table: Vec<(&str, ServiceError, Verdict)> = vec![
        (
            "internal error -32603",
            call(&client, "internal").await,
            Verdict::TRANSIENT,
        ),
        (
            "invalid params -32602",
            call(&client, "params").await,
            Verdict::IGNORE,
        ),
        (
            "resource not found -32002",
            call(&client, "resource").await,
            Verdict::IGNORE,
        ),
        (
            "reserved code -32050",
            call(&client, "reserved").await,
            Verdict::FATAL,
        ),
        (
            "application code 4001",
            call(&client, "application").await,
            Verdict::IGNORE,
        ),
        (
            "unknown tool",
            client.call_tool(params("nope", "x")).await.unwrap_err(),
            Verdict::IGNORE,
        ),
        ("request timeout", timed_out, Verdict::TRANSIENT),
    ];
    check(table);

    // The server goes away: the next call finds the transport closed.
    server.cancel().await.expect("server stopped");
    let gone = client.call_tool(params("fail", "fine")).await.unwrap_err();
    assert!(
        matches!(
            gone,
            ServiceError::TransportClosed | ServiceError::TransportSend(_)
        ),
        "{gone:?}"
    );
    check(vec![("server gone", gone, Verdict::TRANSIENT)]);
}

fn check(table: Vec<(&str, ServiceError, Verdict)>) {
    for (what, error, expected) in table {
        assert_eq!(
            classify::rmcp::verdict(&error),
            expected,
            "{what}: {error:?}"
        );
        assert_eq!(
            classify::rmcp::is_transient(&error),
            expected.should_retry(),
            "{what}"
        );
    }
}
