//! The client of the line-protocol database.

use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::CallError;

/// Runs `query` on a fresh connection and returns the row it answered.
pub(crate) async fn query(addr: SocketAddr, query: &str) -> Result<u64, CallError> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|_| CallError::Connection)?;
    let (read, mut write) = stream.into_split();
    let line = format!("QUERY {query}\n");
    write
        .write_all(line.as_bytes())
        .await
        .map_err(|_| CallError::Connection)?;
    let mut reply = String::new();
    BufReader::new(read)
        .read_line(&mut reply)
        .await
        .map_err(|_| CallError::Connection)?;
    reply
        .trim_end()
        .strip_prefix("ROW ")
        .and_then(|n| n.parse().ok())
        .ok_or(CallError::Protocol)
}
