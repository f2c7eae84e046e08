//! The AWS "Exponential Backoff and Jitter" contention simulation, seeded and
//! discrete-event (no real sleeping), with staunch's backoffs choosing the waits.
//!
//! The model is the one of the article's published simulator
//! (`aws-samples/aws-arch-backoff-simulator`, `src/backoff_simulator.py`), message for
//! message; see [`model`]. For every scheme and client count the program prints the mean
//! number of write calls ("work") and the mean time until the last client succeeds, over
//! `--runs` runs (100 in the published simulator).
//!
//! Run: `cargo run --release -p staunch-benches --bin contention -- [--runs 100]
//! [--seed 1] [--clients 10,20,...] [--csv FILE] [--published FILE]`
//!
//! `--csv` writes the figures as `clients,scheme,calls,time_ms` rows; `--published` reads
//! the published simulator's own `backoff_results.csv` (`clients,time,calls,Algorithm`)
//! and prints its figures beside these, with the difference in per cent.

mod model;
mod published;
mod scheme;

use std::fmt::Write as _;

use scheme::{Scheme, SCHEMES};

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

/// Mean write calls and mean completion time (ms) of one scheme at one client count.
#[derive(Clone, Copy, Debug)]
struct Figures {
    calls: f64,
    time_ms: f64,
}

fn measure(scheme: Scheme, clients: usize, runs: u64, seed: u64) -> Figures {
    let (mut calls, mut time) = (0u64, 0u64);
    for r in 0..runs {
        let run_seed = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(r.wrapping_mul(1_000_003))
            .wrapping_add(clients as u64);
        let outcome = model::run(scheme, clients, run_seed);
        calls += outcome.calls;
        time += outcome.completion_ns;
    }
    Figures {
        calls: calls as f64 / runs as f64,
        time_ms: time as f64 / runs as f64 / 1e6,
    }
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
    let csv_path: Option<String> = arg(&args, "--csv");
    let published = match arg::<String>(&args, "--published").map(published::read) {
        Some(Ok(figures)) => Some(figures),
        Some(Err(error)) => {
            eprintln!("error: --published: {error}");
            std::process::exit(2);
        }
        None => None,
    };

    println!(
        "runs {runs}, seed {seed}, base {:?}, cap {:?}, network |N(10 ms, 2 ms)| per message",
        scheme::BASE,
        scheme::CAP
    );
    let mut csv = String::from("clients,scheme,calls,time_ms\n");
    let mut rows = Vec::new();
    for &n in &clients {
        let row: Vec<Figures> = SCHEMES.iter().map(|&s| measure(s, n, runs, seed)).collect();
        for (s, f) in SCHEMES.iter().zip(&row) {
            let _ = writeln!(csv, "{n},{},{:.1},{:.1}", s.name(), f.calls, f.time_ms);
        }
        rows.push((n, row));
    }
    print_table("work (write calls)", &rows, |f| f.calls);
    print_table("completion time (ms)", &rows, |f| f.time_ms);
    if let Some(published) = published {
        published::compare(&published, &rows);
    }
    if let Some(path) = csv_path {
        if let Err(error) = std::fs::write(&path, csv) {
            eprintln!("error: --csv {path}: {error}");
            std::process::exit(2);
        }
    }
}

fn print_table(title: &str, rows: &[(usize, Vec<Figures>)], value: impl Fn(&Figures) -> f64) {
    let header: String = SCHEMES
        .iter()
        .map(|s| format!("{:>14}", s.name()))
        .collect();
    println!("\n{title}\n{:>7} {header}", "clients");
    for (n, row) in rows {
        let cells: String = row.iter().map(|f| format!("{:>14.0}", value(f))).collect();
        println!("{n:>7} {cells}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The article's conclusions at a small size: un-jittered exponential backoff keeps
    /// clients in lock-step and finishes far later than any jittered mode; full jitter
    /// does less work than retrying at once.
    #[test]
    fn jitter_beats_lockstep_and_full_jitter_saves_work() {
        let (clients, runs, seed) = (20, 20, 7);
        let fig = |s| measure(s, clients, runs, seed);
        let expo = fig(Scheme::Exponential);
        for jittered in [
            Scheme::Full,
            Scheme::Equal,
            Scheme::Decorrelated,
            Scheme::AwsDecorrelated,
        ] {
            let f = fig(jittered);
            assert!(
                expo.time_ms > 2.0 * f.time_ms,
                "{}: exponential {:.0} ms vs {:.0} ms",
                jittered.name(),
                expo.time_ms,
                f.time_ms
            );
        }
        let (full, none) = (fig(Scheme::Full), fig(Scheme::NoBackoff));
        assert!(
            full.calls < none.calls,
            "full jitter {:.0} calls vs no backoff {:.0}",
            full.calls,
            none.calls
        );
    }

    #[test]
    fn a_run_is_reproducible_from_its_seed() {
        let a = model::run(Scheme::Full, 30, 11);
        let b = model::run(Scheme::Full, 30, 11);
        assert_eq!((a.calls, a.completion_ns), (b.calls, b.completion_ns));
        assert!(a.calls >= 30, "every client writes at least once");
    }
}
