//! The AWS "Exponential Backoff and Jitter" contention simulation, seeded and
//! discrete-event (no real sleeping).
//!
//! N clients each write one row under optimistic concurrency: read the version, then
//! write conditionally on it. One write wins per version; the losers back off and retry.
//! Network delays are `|Normal(10 ms, 2 ms)|` per message; backoff base 5 ms, cap 2 s.
//! For every scheme and client count the program prints the mean number of write calls
//! ("work") and the mean time until the last client succeeds, over `--runs` runs.
//!
//! Run: `cargo run --release -p staunch-benches --bin contention -- [--runs 100] [--seed 1]
//! [--clients 10,20,...]`

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use staunch::{Backoff, Jitter};

const BASE: Duration = Duration::from_millis(5);
const CAP: Duration = Duration::from_secs(2);

/// One way of choosing the waits of a client.
#[derive(Clone, Copy, Debug)]
enum Scheme {
    NoBackoff,
    Exponential,
    Full,
    Equal,
    Decorrelated,
    /// The article's exact form, `min(cap, U(base, 3·previous))`, which piles up at the cap.
    AwsDecorrelated,
}

const SCHEMES: [Scheme; 6] = [
    Scheme::NoBackoff,
    Scheme::Exponential,
    Scheme::Full,
    Scheme::Equal,
    Scheme::Decorrelated,
    Scheme::AwsDecorrelated,
];

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::NoBackoff => "none",
            Scheme::Exponential => "expo",
            Scheme::Full => "full",
            Scheme::Equal => "equal",
            Scheme::Decorrelated => "decorr",
            Scheme::AwsDecorrelated => "aws-decorr",
        }
    }

    /// The waits of one client, from staunch's backoff iterators (and the exact AWS form).
    fn waits(self, seed: u64) -> Box<dyn Iterator<Item = Duration>> {
        let expo = Backoff::exponential(BASE)
            .with_max_delay(CAP)
            .with_seed(seed);
        match self {
            Scheme::NoBackoff => Box::new(Backoff::constant(Duration::ZERO).iter()),
            Scheme::Exponential => Box::new(expo.iter()),
            Scheme::Full => Box::new(expo.with_jitter(Jitter::Full).iter()),
            Scheme::Equal => Box::new(expo.with_jitter(Jitter::Equal).iter()),
            Scheme::Decorrelated => Box::new(
                Backoff::decorrelated(BASE)
                    .with_max_delay(CAP)
                    .with_seed(seed)
                    .iter(),
            ),
            Scheme::AwsDecorrelated => {
                let mut rng = fastrand::Rng::with_seed(seed);
                let mut sleep = BASE.as_nanos() as u64;
                Box::new(std::iter::from_fn(move || {
                    let (base, cap) = (BASE.as_nanos() as u64, CAP.as_nanos() as u64);
                    sleep = rng.u64(base..=sleep.saturating_mul(3)).min(cap);
                    Some(Duration::from_nanos(sleep))
                }))
            }
        }
    }
}

/// `|Normal(10 ms, 2 ms)|` in nanoseconds (Box–Muller).
fn network_delay(rng: &mut fastrand::Rng) -> u64 {
    let (u1, u2) = (1.0 - rng.f64(), rng.f64());
    let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    ((10.0 + 2.0 * normal).abs() * 1e6) as u64
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Message {
    /// The client starts an attempt: its read leaves now.
    Start,
    /// The read reaches the row.
    Read,
    /// The conditional write, made against `version`, reaches the row.
    Write { version: u64 },
}

/// One run: returns (write calls, time in ns until the last client succeeded).
fn run(scheme: Scheme, clients: usize, seed: u64) -> (u64, u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut waits: Vec<_> = (0..clients)
        .map(|c| scheme.waits(seed.wrapping_mul(1_000_003).wrapping_add(c as u64)))
        .collect();
    let mut queue = BinaryHeap::new();
    for client in 0..clients {
        queue.push(Reverse((0u64, client, Message::Start)));
    }
    let (mut version, mut writes, mut done, mut last) = (0u64, 0u64, 0usize, 0u64);
    while let Some(Reverse((now, client, message))) = queue.pop() {
        match message {
            Message::Start => {
                let at = now + network_delay(&mut rng);
                queue.push(Reverse((at, client, Message::Read)));
            }
            Message::Read => {
                let at = now + network_delay(&mut rng);
                queue.push(Reverse((at, client, Message::Write { version })));
            }
            Message::Write { version: seen } => {
                writes += 1;
                let reply = now + network_delay(&mut rng);
                if seen == version {
                    version += 1;
                    done += 1;
                    last = last.max(reply);
                } else {
                    let wait = waits[client].next().unwrap_or_default().as_nanos() as u64;
                    queue.push(Reverse((reply + wait, client, Message::Start)));
                }
            }
        }
    }
    debug_assert_eq!(done, clients);
    (writes, last)
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: u64 = arg(&args, "--runs").unwrap_or(100);
    let seed: u64 = arg(&args, "--seed").unwrap_or(1);
    let clients: Vec<usize> = arg::<String>(&args, "--clients")
        .map(|list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| (10..=190).step_by(10).collect());

    println!("runs {runs}, seed {seed}, base {BASE:?}, cap {CAP:?}");
    let header: Vec<_> = SCHEMES
        .iter()
        .map(|s| format!("{:>11}", s.name()))
        .collect();
    println!("{:>7} | work (write calls)  {}", "clients", header.join(""));
    let mut times = Vec::new();
    for &n in &clients {
        let mut work_row = Vec::new();
        let mut time_row = Vec::new();
        for scheme in SCHEMES {
            let (mut work, mut time) = (0u64, 0u64);
            for r in 0..runs {
                let (w, t) = run(scheme, n, seed.wrapping_add(r));
                work += w;
                time += t;
            }
            work_row.push(format!("{:>11.0}", work as f64 / runs as f64));
            time_row.push(format!("{:>11.0}", time as f64 / runs as f64 / 1e6));
        }
        println!("{n:>7} | {:>19} {}", "", work_row.join(""));
        times.push((n, time_row));
    }
    println!();
    println!(
        "{:>7} | completion time (ms) {}",
        "clients",
        header.join("")
    );
    for (n, row) in times {
        println!("{n:>7} | {:>20}{}", "", row.join(""));
    }
}
