//! The dependency: a minimal HTTP/1.1 server on loopback that follows the schedule, and
//! the one request every stack sends to it.
//!
//! While healthy it answers `200`; during the outage its port first refuses connections
//! (the listener is closed), then it answers `503`, then it reads the request and never
//! answers. Every attempt a caller makes is counted here, in the phase it was made in,
//! whether or not the connection was accepted: that is what the dependency (or the
//! host it runs on) has to absorb.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::schedule::{Phase, Schedule, PHASES};

/// Why one attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DependencyError {
    /// The connection was refused.
    Refused,
    /// The dependency answered with this status.
    Status(u16),
    /// The connection broke, or the answer was not HTTP.
    Broken,
    /// The attempt's time was up (set by the stacks that time attempts themselves).
    Timeout,
}

impl std::fmt::Display for DependencyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused => f.write_str("connection refused"),
            Self::Status(code) => write!(f, "status {code}"),
            Self::Broken => f.write_str("connection broken"),
            Self::Timeout => f.write_str("attempt timed out"),
        }
    }
}

impl std::error::Error for DependencyError {}

/// The running dependency: its address, its schedule and its attempt counters.
#[derive(Debug)]
pub(crate) struct Dependency {
    addr: SocketAddr,
    schedule: Schedule,
    epoch: Instant,
    attempts: [AtomicU64; PHASES.len()],
    /// Attempts per [`BUCKET`] of time since the start.
    timeline: Vec<AtomicU64>,
    /// When each attempt made during the outage was made, since the start.
    outage_log: Mutex<Vec<Duration>>,
}

/// The width of one bucket of the attempt time line.
pub(crate) const BUCKET: Duration = Duration::from_millis(100);

const REQUEST: &[u8] = b"GET /v1/item HTTP/1.1\r\nHost: dependency\r\nConnection: close\r\n\r\n";

impl Dependency {
    /// Binds a loopback port and follows `schedule` from now on; the returned task
    /// serves until it is aborted.
    pub(crate) async fn start(schedule: Schedule) -> io::Result<(Arc<Self>, JoinHandle<()>)> {
        let listener = listen("127.0.0.1:0".parse().expect("a loopback address"))?;
        let dependency = Arc::new(Self {
            addr: listener.local_addr()?,
            schedule,
            epoch: Instant::now(),
            attempts: Default::default(),
            timeline: (0..=schedule.total().as_millis() / BUCKET.as_millis())
                .map(|_| AtomicU64::new(0))
                .collect(),
            outage_log: Mutex::new(Vec::new()),
        });
        let task = tokio::spawn(Arc::clone(&dependency).run(listener));
        Ok((dependency, task))
    }

    /// When the schedule started.
    pub(crate) fn epoch(&self) -> Instant {
        self.epoch
    }

    /// The phase the dependency is in now.
    pub(crate) fn phase_now(&self) -> Phase {
        self.schedule.phase_at(self.epoch.elapsed())
    }

    /// Attempts made during `phase`.
    pub(crate) fn attempts_in(&self, phase: Phase) -> u64 {
        self.attempts[phase as usize].load(Ordering::Relaxed)
    }

    /// Attempts per [`BUCKET`] since the start.
    pub(crate) fn timeline(&self) -> Vec<u64> {
        self.timeline
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .collect()
    }

    /// When each attempt made during the outage was made, since the start, in order.
    pub(crate) fn outage_log(&self) -> Vec<Duration> {
        let mut log = self.outage_log.lock().expect("the outage log").clone();
        log.sort_unstable();
        log
    }

    /// One request: `Ok` on a `200`, the reason otherwise. No time limit of its own.
    pub(crate) async fn request(&self) -> Result<(), DependencyError> {
        let elapsed = self.epoch.elapsed();
        let phase = self.schedule.phase_at(elapsed);
        self.attempts[phase as usize].fetch_add(1, Ordering::Relaxed);
        if phase.is_outage() {
            self.outage_log
                .lock()
                .expect("the outage log")
                .push(elapsed);
        }
        let bucket = (elapsed.as_millis() / BUCKET.as_millis()) as usize;
        if let Some(n) = self.timeline.get(bucket) {
            n.fetch_add(1, Ordering::Relaxed);
        }
        let mut stream = TcpStream::connect(self.addr).await.map_err(|e| {
            if e.kind() == io::ErrorKind::ConnectionRefused {
                DependencyError::Refused
            } else {
                DependencyError::Broken
            }
        })?;
        stream
            .write_all(REQUEST)
            .await
            .map_err(|_| DependencyError::Broken)?;
        let mut head = [0u8; 12];
        stream
            .read_exact(&mut head)
            .await
            .map_err(|_| DependencyError::Broken)?;
        match &head {
            b"HTTP/1.1 200" => Ok(()),
            [b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'1', b' ', status @ ..] => {
                let code = std::str::from_utf8(status)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or(DependencyError::Broken)?;
                Err(DependencyError::Status(code))
            }
            _ => Err(DependencyError::Broken),
        }
    }

    /// Serves until aborted: closes the port while it must refuse, opens it again (same
    /// port) for the `503`s.
    async fn run(self: Arc<Self>, listener: TcpListener) {
        let s = self.schedule;
        let accept = tokio::spawn(Arc::clone(&self).accept(listener));
        tokio::time::sleep_until(self.epoch + s.outage_start()).await;
        accept.abort();
        let _ = accept.await; // the listener is dropped: connections are refused
        tokio::time::sleep_until(self.epoch + s.outage_start() + s.refused).await;
        // Another socket may hold the port for a moment (an outgoing connection given it
        // as its local port): try again for up to a second.
        let mut tries = 0;
        let listener = loop {
            match listen(self.addr) {
                Ok(listener) => break listener,
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(error) => {
                    eprintln!("error: cannot listen on {} again: {error}", self.addr);
                    return;
                }
            }
        };
        // Healthy from here on, for as long as calls still come: the caller aborts this
        // task once its last call has ended, so a call started just before the end of
        // the schedule still finds the dependency up.
        self.accept(listener).await;
    }

    async fn accept(self: Arc<Self>, listener: TcpListener) {
        loop {
            if let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(Arc::clone(&self).answer(stream));
            }
        }
    }

    async fn answer(self: Arc<Self>, mut stream: TcpStream) {
        let mut request = Vec::with_capacity(REQUEST.len());
        let mut buf = [0u8; 256];
        while !request.ends_with(b"\r\n\r\n") {
            match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 && request.len() < 4096 => request.extend_from_slice(&buf[..n]),
                _ => return,
            }
        }
        let reply: &[u8] = match self.phase_now() {
            Phase::Unavailable => {
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            }
            Phase::Hanging => {
                // Read nothing more and answer nothing: hold the connection until the
                // caller gives up (or the hang ends), then close it without a word.
                let end = self.epoch + self.schedule.outage_end();
                let _ = tokio::time::timeout_at(end, stream.read(&mut buf)).await;
                return;
            }
            _ => b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        };
        let _ = stream.write_all(reply).await;
    }
}

/// A listener on `addr` that can take the same port again after it was closed.
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}
