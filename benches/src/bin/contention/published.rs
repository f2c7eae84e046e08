//! The published simulator's figures, read from its `backoff_results.csv`, printed
//! beside this port's.

use std::collections::HashMap;

use crate::scheme::{Scheme, SCHEMES};
use crate::Figures;

/// Published figures by (clients, scheme name).
pub(crate) type Published = HashMap<(usize, String), Figures>;

/// Reads `clients,time,calls,Algorithm` rows (time in ms, calls per run).
pub(crate) fn read(path: String) -> Result<Published, String> {
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut figures = Published::new();
    for (number, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.trim().split(',').collect();
        let bad = || {
            format!(
                "{path} line {}: expected clients,time,calls,Algorithm, got {line:?}",
                number + 1
            )
        };
        let [clients, time, calls, name] = fields[..] else {
            return Err(bad());
        };
        let clients = clients.parse().map_err(|_| bad())?;
        let time_ms = time.parse().map_err(|_| bad())?;
        let calls = calls.parse().map_err(|_| bad())?;
        figures.insert((clients, name.to_owned()), Figures { calls, time_ms });
    }
    Ok(figures)
}

/// Prints, per client count and scheme, published / port / difference for work and
/// time, then the largest difference of each scheme.
pub(crate) fn compare(published: &Published, rows: &[(usize, Vec<Figures>)]) {
    println!("\npublished simulator vs this port: calls, then time (ms); difference in %");
    let mut worst: HashMap<&str, f64> = HashMap::new();
    for (n, row) in rows {
        for (&scheme, port) in SCHEMES.iter().zip(row) {
            let name = published_name(scheme);
            let Some(theirs) = published.get(&(*n, name.to_owned())) else {
                continue;
            };
            let dc = diff(port.calls, theirs.calls);
            let dt = diff(port.time_ms, theirs.time_ms);
            let w = worst.entry(scheme.name()).or_default();
            *w = w.max(dc.abs()).max(dt.abs());
            println!(
                "{n:>4} {:<14} calls {:>7.0} {:>7.0} {dc:>+6.1} %   time {:>7.0} {:>7.0} {dt:>+6.1} %",
                scheme.name(),
                theirs.calls,
                port.calls,
                theirs.time_ms,
                port.time_ms
            );
        }
    }
    for scheme in SCHEMES {
        if let Some(w) = worst.get(scheme.name()) {
            println!("largest difference {:<14} {w:.1} %", scheme.name());
        }
    }
}

/// The published scheme a port scheme is compared with: staunch's decorrelated jitter
/// against the article's decorrelated form.
fn published_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Decorrelated => Scheme::AwsDecorrelated.name(),
        other => other.name(),
    }
}

fn diff(port: f64, theirs: f64) -> f64 {
    (port - theirs) / theirs * 100.0
}
