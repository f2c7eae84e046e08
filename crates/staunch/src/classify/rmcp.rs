//! Verdicts for the errors of the official MCP SDK, [`rmcp`] (feature `rmcp`).
//!
//! MCP servers hang more often than they fail, and an MCP error code says whose fault a
//! failure is:
//!
//! | error | verdict |
//! |---|---|
//! | the request timed out (`ServiceError::Timeout`), a send failed, the transport closed | transient |
//! | `-32603` internal error, `-32000` connection closed, `-32001` request timeout | transient |
//! | `-32700` parse error, `-32600` invalid request, `-32601` method not found, `-32602` invalid params, `-32002` resource not found, and every other code of the server | ignored: the call itself is wrong |
//! | other codes of the reserved range `-32099..=-32000`, `-32768..=-32100` (protocol version, capabilities …) | fatal: counted, not retried |
//! | the client cancelled the request | ignored |
//! | an answer of the wrong type | fatal |
//!
//! A tool that fails answers with a result whose `is_error` is set, not with an error:
//! turn it into an error of your own and classify that (the `mcp_tool_call` example of
//! `staunch-examples` shows how).
//!
//! ```
//! use std::time::Duration;
//! use rmcp::ServiceError;
//! use staunch::{classify, Verdict};
//!
//! let hung = ServiceError::Timeout { timeout: Duration::from_secs(30) };
//! assert_eq!(classify::rmcp::verdict(&hung), Verdict::TRANSIENT);
//! ```

use rmcp::model::ErrorCode;
use rmcp::ServiceError;

use super::Verdict;

/// The verdict for an error of an `rmcp` client call (see the [module docs](self)).
///
/// ```
/// use rmcp::{model::ErrorCode, ErrorData, ServiceError};
/// use staunch::{classify, Verdict};
///
/// let bad_args = ServiceError::McpError(ErrorData::invalid_params("no such city", None));
/// assert_eq!(classify::rmcp::verdict(&bad_args), Verdict::IGNORE);
/// assert_eq!(classify::rmcp::verdict(&ServiceError::TransportClosed), Verdict::TRANSIENT);
/// ```
pub fn verdict(error: &ServiceError) -> Verdict {
    match error {
        ServiceError::McpError(error) => code_verdict(error.code),
        ServiceError::Timeout { .. }
        | ServiceError::TransportSend(_)
        | ServiceError::TransportClosed => Verdict::TRANSIENT,
        ServiceError::Cancelled { .. }
        | ServiceError::SubscriptionLagged { .. }
        | ServiceError::InputRequiredRoundsExceeded { .. } => Verdict::IGNORE,
        _ => Verdict::FATAL,
    }
}

/// Whether an `rmcp` error is worth another attempt: the predicate for `.when(..)`.
///
/// ```
/// let hung = rmcp::ServiceError::Timeout { timeout: std::time::Duration::from_secs(1) };
/// assert!(staunch::classify::rmcp::is_transient(&hung));
/// ```
pub fn is_transient(error: &ServiceError) -> bool {
    verdict(error).should_retry()
}

/// The verdict for a JSON-RPC error code answered by an MCP server.
///
/// ```
/// use rmcp::model::ErrorCode;
/// use staunch::{classify::rmcp::code_verdict, Verdict};
///
/// assert_eq!(code_verdict(ErrorCode::INTERNAL_ERROR), Verdict::TRANSIENT);
/// assert_eq!(code_verdict(ErrorCode::METHOD_NOT_FOUND), Verdict::IGNORE);
/// assert_eq!(code_verdict(ErrorCode::UNSUPPORTED_PROTOCOL_VERSION), Verdict::FATAL);
/// assert_eq!(code_verdict(ErrorCode(42)), Verdict::IGNORE);
/// ```
pub const fn code_verdict(code: ErrorCode) -> Verdict {
    match code.0 {
        -32603 | -32000 | -32001 => Verdict::TRANSIENT,
        -32700 | -32600 | -32601 | -32602 | -32002 => Verdict::IGNORE,
        -32768..=-32000 => Verdict::FATAL,
        _ => Verdict::IGNORE,
    }
}
