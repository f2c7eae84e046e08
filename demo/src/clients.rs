//! Clients of the local services, and how their errors are classified.
//!
//! A client waits as long as its service takes: the preset policy around it bounds each
//! attempt with its timeout. The MCP and database clients are the real ones (`rmcp`,
//! `sqlx`), their errors judged by staunch's classifiers for them; the LLM client's
//! errors become [`CallError`]s, which carry only what the policy needs: the kind of
//! failure and the server's delay hint.

use std::io;
use std::time::Duration;

use sqlx::SqlitePool;
use staunch::classify::http::status_verdict;
use staunch::Verdict;

use crate::services::Services;

pub(crate) mod database;
pub(crate) mod llm;
pub(crate) mod mcp;

/// A connected client of each service.
#[derive(Debug)]
pub(crate) struct Clients {
    /// The LLM client's connection pool.
    pub(crate) http: reqwest::Client,
    /// An MCP session.
    pub(crate) mcp: mcp::McpClient,
    /// A pool of database connections.
    pub(crate) database: SqlitePool,
}

impl Clients {
    /// Connects to the services: the MCP handshake, the database pool.
    pub(crate) async fn connect(services: &Services) -> io::Result<Self> {
        Ok(Self {
            http: reqwest::Client::new(),
            mcp: mcp::connect(services.mcp).await?,
            database: database::connect(&services.database.path()).await?,
        })
    }
}

/// Why one call to a service failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallError {
    /// An HTTP error status, with the server's delay hint if it sent one.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The connection failed or broke.
    Connection,
    /// An answer that does not follow the protocol.
    Protocol,
}

impl CallError {
    /// How the retry and the breaker treat the error: HTTP statuses as staunch's ready
    /// table says (with `Retry-After` as a delay hint), broken connections as transient,
    /// protocol violations as fatal.
    pub(crate) fn verdict(&self) -> Verdict {
        match self {
            CallError::Status {
                status,
                retry_after,
            } => {
                let verdict = status_verdict(*status);
                match retry_after {
                    Some(hint) => verdict.with_delay_hint(*hint),
                    None => verdict,
                }
            }
            CallError::Connection => Verdict::TRANSIENT,
            CallError::Protocol => Verdict::FATAL,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Status { status, .. } => write!(f, "http status {status}"),
            CallError::Connection => f.write_str("connection failed"),
            CallError::Protocol => f.write_str("protocol violation"),
        }
    }
}

impl std::error::Error for CallError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_service_errors() {
        let limited = CallError::Status {
            status: 429,
            retry_after: Some(Duration::from_millis(250)),
        };
        assert!(limited.verdict().should_retry());
        assert_eq!(
            limited.verdict().delay_hint(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(CallError::Connection.verdict(), Verdict::TRANSIENT);
        assert_eq!(CallError::Protocol.verdict(), Verdict::FATAL);
    }
}
