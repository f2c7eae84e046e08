//! Three replicas as separate OS processes on one Redis: how long a trip at one takes to
//! reach the others.
//!
//! Starts a throwaway `redis-server` on a free loopback port and three copies of itself
//! as replicas. In each of 20 trials, replica 0 sees five failures in a row and the shared
//! circuit opens; every replica stamps the moment its own breaker opens. Prints the
//! median and worst over the trials of the time until the last other replica opened,
//! counted from replica 0's trip and from the failure that tripped it.
//!
//! `cargo run --release -p staunch-redis --example fleet_latency`

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use staunch::{CircuitBreaker, CircuitState, Event};
use staunch_redis::testing::RedisServer;
use staunch_redis::{Fleet, SharedExt};

const REPLICAS: usize = 3;
const TRIALS: usize = 20;
const NAME: &str = "latency";

fn micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("replica") {
        replica(&args[2], &args[3]);
        return;
    }
    let Some(server) = RedisServer::start() else {
        eprintln!("redis-server not found");
        std::process::exit(1);
    };
    let exe = std::env::current_exe().unwrap();
    let (tx, rx) = mpsc::channel::<(usize, String)>();
    let mut stdins = Vec::new();
    let mut children = Vec::new();
    for id in 0..REPLICAS {
        let mut child = Command::new(&exe)
            .args(["replica", &server.url(), &id.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        stdins.push(child.stdin.take().unwrap());
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = tx.send((id, line));
            }
        });
        children.push(child);
    }
    let wait_for = |want: &dyn Fn(usize, &str) -> bool| -> (usize, String) {
        loop {
            let (id, line) = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("a replica stopped answering");
            if want(id, &line) {
                return (id, line);
            }
        }
    };
    for _ in 0..REPLICAS {
        wait_for(&|_, l| l == "READY");
    }
    let stamp = |line: &str| -> u64 { line.rsplit(' ').next().unwrap().parse().unwrap() };
    let mut from_trip = Vec::new();
    let mut from_failure = Vec::new();
    for _ in 0..TRIALS {
        writeln!(stdins[0], "trip").unwrap();
        let mut opened = [0u64; REPLICAS];
        let mut failed = 0;
        while failed == 0 || opened.contains(&0) {
            let (id, line) = wait_for(&|_, l| l.starts_with("OPEN") || l.starts_with("FAILED"));
            if line.starts_with("FAILED") {
                failed = stamp(&line);
            } else {
                opened[id] = stamp(&line);
            }
        }
        let last_other = *opened[1..].iter().max().unwrap();
        from_trip.push(last_other.saturating_sub(opened[0]));
        from_failure.push(last_other.saturating_sub(failed));
        writeln!(stdins[0], "reset").unwrap();
        let mut closed = 0;
        while closed < REPLICAS {
            wait_for(&|_, l| l.starts_with("CLOSED"));
            closed += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for stdin in &mut stdins {
        let _ = writeln!(stdin, "quit");
    }
    for mut child in children {
        let _ = child.wait();
    }
    let report = |what: &str, v: &mut Vec<u64>| {
        v.sort_unstable();
        let median = (v[v.len() / 2 - 1] + v[v.len() / 2]) as f64 / 2.0;
        println!(
            "{what}: median {:.1} ms, worst {:.1} ms ({} trials)",
            median / 1000.0,
            *v.last().unwrap() as f64 / 1000.0,
            v.len()
        );
    };
    println!("trip at replica 0 seen by replicas 1 and 2 (separate processes, one Redis):");
    report("  from replica 0's trip", &mut from_trip);
    report("  from the failing call that tripped it", &mut from_failure);
}

fn replica(url: &str, id: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let fleet = Fleet::builder(url)
            .instance_id(format!("replica-{id}"))
            .min_calls(5)
            .failure_burst(5, Duration::from_millis(50))
            .open_period(Duration::from_secs(60), Duration::from_secs(60))
            .connect()
            .unwrap();
        let breaker = CircuitBreaker::builder(NAME)
            .failure_threshold(u32::from(u16::MAX))
            .shared(&fleet)
            .build()
            .unwrap();
        breaker.add_listener(|event| {
            if let Event::Transition(t) = event {
                match t.to {
                    CircuitState::Open => println!("OPEN {}", micros()),
                    CircuitState::Closed => println!("CLOSED {}", micros()),
                    _ => {}
                }
            }
        });
        while fleet
            .status()
            .first()
            .is_none_or(|s| s.fleet_state.is_none())
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        println!("READY");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        while let Some(command) = rx.recv().await {
            match command.as_str() {
                "trip" => {
                    for _ in 0..5 {
                        let _ = breaker.call(|| async { Err::<(), _>("down") }).await;
                    }
                    println!("FAILED {}", micros());
                }
                "reset" => {
                    fleet.force(NAME, CircuitState::Closed).await.unwrap();
                }
                _ => break,
            }
        }
    });
}
