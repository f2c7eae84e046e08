//! A throwaway `redis-server` for tests (feature `test-util`): a child process on a free
//! loopback port, without persistence, killed when dropped.
//!
//! ```no_run
//! use staunch_redis::testing::RedisServer;
//! let Some(server) = RedisServer::start() else { return }; // redis-server not installed
//! assert!(server.url().starts_with("redis://127.0.0.1:"));
//! server.cli(&["SET", "k", "v"]);
//! ```

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process.
///
/// ```no_run
/// # use staunch_redis::testing::RedisServer;
/// let mut server = RedisServer::start().expect("redis-server");
/// server.kill();
/// server.restart();
/// ```
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

/// Whether `redis-server` can be run. Without it, tests print `SKIPPED` and pass, unless
/// `STAUNCH_REQUIRE_REDIS=1`, which turns the skip into a failure.
///
/// ```no_run
/// if !staunch_redis::testing::available() { return; }
/// ```
pub fn available() -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("STAUNCH_REQUIRE_REDIS").as_deref() != Ok("1"),
            "redis-server not found and STAUNCH_REQUIRE_REDIS=1"
        );
        eprintln!("SKIPPED: redis-server not found");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers; `None` when
    /// `redis-server` isn't installed (see [`available`]).
    ///
    /// ```no_run
    /// let server = staunch_redis::testing::RedisServer::start();
    /// ```
    pub fn start() -> Option<RedisServer> {
        if !available() {
            return None;
        }
        for _ in 0..20 {
            let mut server = RedisServer {
                port: free_port(),
                child: None,
            };
            if server.spawn() {
                return Some(server);
            }
        }
        panic!("redis-server did not start on any of 20 free ports");
    }

    /// A port nobody listens on yet, for a server started later with
    /// [`start_on`](Self::start_on).
    ///
    /// ```no_run
    /// let port = staunch_redis::testing::RedisServer::reserve_port();
    /// ```
    pub fn reserve_port() -> u16 {
        free_port()
    }

    /// Starts a server on `port`.
    ///
    /// ```no_run
    /// # use staunch_redis::testing::RedisServer;
    /// let server = RedisServer::start_on(RedisServer::reserve_port());
    /// ```
    pub fn start_on(port: u16) -> Option<RedisServer> {
        if !available() {
            return None;
        }
        let mut server = RedisServer { port, child: None };
        assert!(server.spawn(), "redis-server did not start on port {port}");
        Some(server)
    }

    /// A handle that owns no process (for helpers that only need the type).
    #[cfg(test)]
    pub(crate) fn detached() -> RedisServer {
        RedisServer {
            port: 0,
            child: None,
        }
    }

    fn spawn(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(child) = &mut self.child {
                if let Ok(Some(_)) = child.try_wait() {
                    self.child = None;
                    return false; // port taken meanwhile
                }
            }
            if self.ping() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// The server's port.
    ///
    /// ```no_run
    /// # let server = staunch_redis::testing::RedisServer::start().unwrap();
    /// assert!(server.port() > 0);
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    ///
    /// ```no_run
    /// # let server = staunch_redis::testing::RedisServer::start().unwrap();
    /// let url = server.url();
    /// ```
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn signal(&self, signal: &str) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill")
                .args([signal, &pid.to_string()])
                .status();
        }
    }

    /// `kill -9`, and waits for the process to end.
    ///
    /// ```no_run
    /// # let mut server = staunch_redis::testing::RedisServer::start().unwrap();
    /// server.kill();
    /// ```
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (after [`kill`](Self::kill)).
    ///
    /// ```no_run
    /// # let mut server = staunch_redis::testing::RedisServer::start().unwrap();
    /// server.kill();
    /// server.restart();
    /// ```
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.spawn() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not restart on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `SIGSTOP`: the server hangs, connections stay open.
    ///
    /// ```no_run
    /// # let server = staunch_redis::testing::RedisServer::start().unwrap();
    /// server.stop();
    /// server.cont();
    /// ```
    pub fn stop(&self) {
        self.signal("-STOP");
    }

    /// `SIGCONT` after [`stop`](Self::stop).
    ///
    /// ```no_run
    /// # let server = staunch_redis::testing::RedisServer::start().unwrap();
    /// server.cont();
    /// ```
    pub fn cont(&self) {
        self.signal("-CONT");
    }

    /// Whether the server answers `PING` within a second.
    ///
    /// ```no_run
    /// # let server = staunch_redis::testing::RedisServer::start().unwrap();
    /// assert!(server.ping());
    /// ```
    pub fn ping(&self) -> bool {
        self.try_cli(&["PING"]).is_some_and(|r| r.contains("PONG"))
    }

    /// Runs one command on a fresh connection and returns the raw RESP reply; panics if
    /// the server doesn't answer within a second.
    ///
    /// ```no_run
    /// # let server = staunch_redis::testing::RedisServer::start().unwrap();
    /// assert!(server.cli(&["FLUSHALL"]).starts_with("+OK"));
    /// ```
    pub fn cli(&self, args: &[&str]) -> String {
        self.try_cli(args)
            .unwrap_or_else(|| panic!("redis-server on port {} did not answer {args:?}", self.port))
    }

    fn try_cli(&self, args: &[&str]) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
        let mut command = format!("*{}\r\n", args.len());
        for a in args {
            command.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        stream.write_all(command.as_bytes()).ok()?;
        let mut buf = vec![0; 1 << 16];
        let mut out = Vec::new();
        // A reply is complete when the server stops sending for a moment.
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .ok()?;
        let started = Instant::now();
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(_) if !out.is_empty() => break,
                Err(_) if started.elapsed() > Duration::from_secs(1) => return None,
                Err(_) => {}
            }
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.cont();
        self.kill();
    }
}
