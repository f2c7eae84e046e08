//! Fleet mode (`--replicas N`): N replicas of the demo, each its own process with its own
//! services and dashboard, sharing their breakers through Redis (a `redis-server` started
//! here on a free loopback port without persistence, or `--redis URL`). Replica 0's
//! services have the scripted outages, the others' stay healthy: its trips open the
//! other replicas' breakers through the fleet. The healthy replicas start first, and
//! replica 0 once they are serving, so that every replica sees its first trip. Every
//! replica's lines are printed here, stamped with the time since the start and prefixed
//! with the replica's number.

use std::io;
use std::net::Ipv4Addr;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use staunch_demo::Options;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// How long the replicas get to print their summaries after Ctrl-C.
const WIND_DOWN: Duration = Duration::from_secs(10);

/// How long a healthy replica may take to start serving before replica 0 starts.
const START: Duration = Duration::from_secs(60);

/// The line a replica prints once it serves (see `main.rs`).
const READY: &str = "staunch demo: dashboard at ";

/// A line of replica `.0`'s output, or `None` when its output ended.
type Line = (u32, Option<String>);

pub(crate) async fn run(options: Options) -> ExitCode {
    match start_and_watch(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("staunch-demo: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn start_and_watch(options: Options) -> Result<(), String> {
    let replicas = options.replicas.unwrap_or(2);
    let (url, server, shown) = match &options.redis {
        Some(url) => (url.clone(), None, "the Redis given by --redis".to_owned()),
        None => {
            let server = RedisServer::start().await?;
            let shown = format!(
                "a redis-server of its own at {} (stopped at exit)",
                server.url()
            );
            (server.url(), Some(server), shown)
        }
    };
    // Refuses a malformed URL here rather than in every replica.
    staunch_redis::Fleet::connect(&url).map_err(|err| format!("invalid --redis: {err}"))?;
    let exe = std::env::current_exe()
        .map_err(|err| format!("cannot find the demo's own executable: {err}"))?;
    let prefix = format!("staunch-demo:{}:", std::process::id());

    println!("staunch demo, fleet mode: {replicas} replicas, each its own process, share the breakers llm, mcp and database through {shown}");
    println!("replica 0's services have the outages, the others' stay healthy; one replica's trip opens the fleet (a quorum of one)");
    println!("watch replica 0 print `llm: closed -> open on its own calls` and the others `llm: closed -> open by the fleet`; Ctrl-C stops");
    println!();

    let started = Instant::now();
    let print = |index: u32, line: &str| {
        let at = started.elapsed().as_secs_f64();
        println!("[{at:>7.2}s] replica {index} | {line}");
    };
    let (lines, mut received) = mpsc::unbounded_channel::<Line>();
    let replica = |index: u32| -> Result<Child, String> {
        let port = if options.port == 0 {
            0
        } else {
            u16::try_from(u32::from(options.port) + index).map_err(|_| {
                format!(
                    "invalid --port {}: the replicas need {replicas} ports from it",
                    options.port
                )
            })?
        };
        let mut command = Command::new(&exe);
        command
            .args(["--replica", &index.to_string(), "--replica-of", &url])
            .args(["--fleet-prefix", &prefix, "--port", &port.to_string()])
            .args(["--rate", &options.rate.to_string()])
            .args(["--seed", &options.seed.to_string(), "--no-table"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        if let Some(duration) = options.duration {
            command.args(["--duration", &format!("{}ms", duration.as_millis())]);
        }
        if let Some(token) = &options.admin_token {
            // Through the environment, not the command line that `ps` shows.
            command.env("STAUNCH_DEMO_ADMIN_TOKEN", token);
        }
        let mut child = command
            .spawn()
            .map_err(|err| format!("cannot start replica {index}: {err}"))?;
        if let Some(stdout) = child.stdout.take() {
            let lines = lines.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(stdout).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    if lines.send((index, Some(line))).is_err() {
                        return;
                    }
                }
                let _ = lines.send((index, None));
            });
        }
        Ok(child)
    };

    // The healthy replicas first, then replica 0 once they all serve: its first trip
    // then happens with the whole fleet watching.
    let mut children = (1..replicas).map(replica).collect::<Result<Vec<_>, _>>()?;
    let mut waiting = replicas - 1;
    let ready = tokio::time::timeout(START, async {
        while waiting > 0 {
            match received.recv().await {
                Some((index, Some(line))) => {
                    waiting -= u32::from(line.starts_with(READY));
                    print(index, &line);
                }
                Some((index, None)) => return Err(format!("replica {index} ended at start")),
                None => return Err("the replicas ended at start".to_owned()),
            }
        }
        Ok(())
    })
    .await
    .unwrap_or_else(|_| {
        Err(format!(
            "{waiting} of the healthy replicas did not serve within {} s",
            START.as_secs()
        ))
    });
    // On an error the children are killed as they are dropped.
    ready?;
    children.insert(0, replica(0)?);
    drop(lines);
    let mut open = replicas;

    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::pin!(ctrl_c);
    // Until every replica has closed its output (they end with --duration), or Ctrl-C.
    while open > 0 {
        tokio::select! {
            line = received.recv() => match line {
                Some((index, Some(line))) => print(index, &line),
                Some((_, None)) => open -= 1,
                None => break,
            },
            () = &mut ctrl_c => {
                // The replicas got the Ctrl-C too: let them print their summaries.
                let _ = tokio::time::timeout(WIND_DOWN, async {
                    while let Some((index, line)) = received.recv().await {
                        if let Some(line) = line {
                            print(index, &line);
                        }
                    }
                })
                .await;
                break;
            }
        }
    }
    stop(children).await;
    drop(server);
    Ok(())
}

/// Waits a moment for the replicas to end, then kills those still running.
async fn stop(children: Vec<Child>) {
    for mut child in children {
        if tokio::time::timeout(WIND_DOWN, child.wait()).await.is_err() {
            let _ = child.kill().await;
        }
    }
}

/// A throwaway `redis-server` on a free loopback port, without persistence; killed when
/// dropped.
#[derive(Debug)]
struct RedisServer {
    _child: Child,
    port: u16,
}

impl RedisServer {
    async fn start() -> Result<RedisServer, String> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .and_then(|listener| listener.local_addr())
            .map_err(|err| format!("cannot find a free loopback port for redis-server: {err}"))?
            .port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| match err.kind() {
                io::ErrorKind::NotFound => "fleet mode needs redis-server on the PATH (Debian: apt-get install redis-server) or --redis URL".to_owned(),
                _ => format!("cannot start redis-server: {err}"),
            })?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "redis-server on port {port} exited at start: {status}"
                ));
            }
            if ping(port).await {
                return Ok(RedisServer {
                    _child: child,
                    port,
                });
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "redis-server on port {port} did not answer within 10 s"
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

/// Whether a Redis on `port` answers PING.
async fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await else {
        return false;
    };
    let mut reply = [0u8; 5];
    stream.write_all(b"PING\r\n").await.is_ok()
        && stream.read_exact(&mut reply).await.is_ok()
        && &reply == b"+PONG"
}
