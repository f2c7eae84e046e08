//! Local services on loopback that misbehave like real ones, each on an ephemeral port.
//!
//! - [`llm`]: an HTTP chat-completion API that answers `429` with `Retry-After`, bursts of
//!   `500`, and slow answers.
//! - [`mcp`]: a JSON-RPC endpoint in the manner of an MCP server, which sometimes hangs.
//! - [`database`]: a line-based TCP query service that stops answering, so queries time out.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::script::{Script, Service};

pub(crate) mod database;
pub(crate) mod llm;
pub(crate) mod mcp;

/// The addresses of the running services; dropping it stops them.
#[derive(Debug)]
pub(crate) struct Services {
    pub(crate) llm: SocketAddr,
    pub(crate) mcp: SocketAddr,
    pub(crate) database: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Services {
    /// Binds the three services on `127.0.0.1:0` and starts serving.
    pub(crate) async fn start(script: &Script) -> io::Result<Self> {
        let (llm, llm_task) = llm::spawn(script.clone()).await?;
        let (mcp, mcp_task) = mcp::spawn(script.clone()).await?;
        let (database, database_task) = database::spawn(script.clone()).await?;
        Ok(Self {
            llm,
            mcp,
            database,
            tasks: vec![llm_task, mcp_task, database_task],
        })
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A listener on an ephemeral loopback port.
pub(crate) async fn bind_loopback() -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Numbers the requests of one service, so each gets its own seeded random choices.
#[derive(Debug)]
pub(crate) struct Requests {
    script: Script,
    service: Service,
    next: AtomicU64,
}

impl Requests {
    pub(crate) fn new(script: Script, service: Service) -> Self {
        Self {
            script,
            service,
            next: AtomicU64::new(0),
        }
    }

    pub(crate) fn script(&self) -> &Script {
        &self.script
    }

    /// Whether the service is down now, and a random source for this request.
    pub(crate) fn next(&self) -> (bool, fastrand::Rng) {
        // Relaxed: only uniqueness of the number matters.
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        (
            self.script.is_down(self.service),
            self.script.rng(self.service, n),
        )
    }
}
