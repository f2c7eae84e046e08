//! A database-like TCP service with a line protocol: the client sends `QUERY <text>\n`, the
//! server answers `ROW <n>\n`.
//!
//! Healthy, it answers within 2 to 15 ms. During its outage it reads the query and never
//! answers (it holds the connection for 30 s), so the query runs into the policy's
//! attempt timeout.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::{bind_loopback, Requests};
use crate::script::{Script, Service};

pub(crate) async fn spawn(script: Script) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let (listener, addr) = bind_loopback().await?;
    let requests = Arc::new(Requests::new(script, Service::Database));
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let requests = Arc::clone(&requests);
            tokio::spawn(async move {
                // A client that went away is not the service's problem.
                let _ = serve(stream, &requests).await;
            });
        }
    });
    Ok((addr, task))
}

async fn serve(stream: TcpStream, requests: &Requests) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        let (down, mut rng) = requests.next();
        let clock = requests.script().clock();
        if down {
            clock.sleep(Duration::from_secs(30)).await;
            return Ok(());
        }
        clock.sleep(Duration::from_millis(rng.u64(2..15))).await;
        let reply = match line.strip_prefix("QUERY ") {
            Some(query) => format!("ROW {}\n", query.len()),
            None => "ERR syntax\n".to_owned(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}
