//! Local services on loopback that misbehave like real ones, each on an ephemeral port.
//!
//! - [`llm`]: an HTTP chat-completion API that answers `429` with `Retry-After`, bursts of
//!   `500`, and slow answers.
//! - [`mcp`]: an MCP server on the official SDK (`rmcp`) over streamable HTTP, whose tool
//!   sometimes hangs.
//! - [`database`]: a SQLite file whose write lock a maintenance job holds during the
//!   outage, so queries fail with "database is locked".

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::script::{Script, Service};

pub(crate) mod database;
pub(crate) mod llm;
pub(crate) mod mcp;

/// Where the running services are; dropping it stops them (and removes the database).
#[derive(Debug)]
pub(crate) struct Services {
    pub(crate) llm: SocketAddr,
    pub(crate) mcp: SocketAddr,
    pub(crate) database: database::Database,
    tasks: Vec<JoinHandle<()>>,
}

impl Services {
    /// Binds the HTTP services on `127.0.0.1:0`, creates the database, and starts serving.
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
        let (_, down, rng) = self.next_numbered();
        (down, rng)
    }

    /// [`next`](Self::next), with the request's number (from 0).
    pub(crate) fn next_numbered(&self) -> (u64, bool, fastrand::Rng) {
        // Relaxed: only uniqueness of the number matters.
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        (
            n,
            self.script.is_down(self.service),
            self.script.rng(self.service, n),
        )
    }
}
