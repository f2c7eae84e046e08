//! The report's Markdown tables, from the same inputs as the charts.

use std::fmt::Write as _;

use serde_json::Value;

use crate::inputs::{Contention, Micro};

/// The five schemes of the published simulator, then staunch's own decorrelated form
/// (compared with the published `Decorr`).
const SCHEMES: [(&str, &str); 6] = [
    ("None", "None"),
    ("Exponential", "Exponential"),
    ("FullJitter", "FullJitter"),
    ("EqualJitter", "EqualJitter"),
    ("Decorr", "Decorr"),
    ("DecorrStaunch", "Decorr"),
];

fn diff(port: f64, theirs: f64) -> f64 {
    (port - theirs) / theirs * 100.0
}

/// Published vs port, calls then time, with the difference; then the largest
/// difference per scheme.
pub(crate) fn contention(port: &Contention, published: &Contention) -> String {
    let mut out = String::new();
    let mut clients: Vec<u32> = port.keys().map(|(n, _)| *n).collect();
    clients.dedup();
    let mut worst = [0f64; SCHEMES.len()];
    for (title, pick) in [("Work (write calls)", 0), ("Completion time (ms)", 1)] {
        let _ = writeln!(
            out,
            "{title}: published simulator → staunch's port (difference)\n"
        );
        let names: Vec<&str> = SCHEMES.iter().map(|(s, _)| *s).collect();
        let _ = writeln!(out, "| clients | {} |", names.join(" | "));
        let _ = writeln!(out, "|---:|{}", "---:|".repeat(SCHEMES.len()));
        for &n in &clients {
            let _ = write!(out, "| {n} |");
            for (i, (scheme, theirs)) in SCHEMES.iter().enumerate() {
                let cell = match (
                    port.get(&(n, (*scheme).to_owned())),
                    published.get(&(n, (*theirs).to_owned())),
                ) {
                    (Some(p), Some(t)) => {
                        let (p, t) = if pick == 0 { (p.0, t.0) } else { (p.1, t.1) };
                        let d = diff(p, t);
                        worst[i] = worst[i].max(d.abs());
                        format!(" {t:.0} → {p:.0} ({d:+.1} %) |")
                    }
                    (Some(p), None) => format!(" {:.0} |", if pick == 0 { p.0 } else { p.1 }),
                    _ => " |".to_owned(),
                };
                out.push_str(&cell);
            }
            out.push('\n');
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Largest difference over every client count, work or time:\n"
    );
    let _ = writeln!(out, "| scheme | largest difference |\n|---|---:|");
    for ((scheme, theirs), w) in SCHEMES.iter().zip(worst) {
        let label = if scheme == theirs {
            (*scheme).to_owned()
        } else {
            format!("{scheme} (vs published {theirs})")
        };
        let _ = writeln!(out, "| {label} | {w:.1} % |");
    }
    out
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// One row per stack, then the goals checked for each staunch stack.
pub(crate) fn outage(json: &Value) -> String {
    let mut out = String::new();
    let s = &json["scenario"];
    let stacks = json["stacks"].as_array().cloned().unwrap_or_default();
    let unprotected = stacks
        .iter()
        .find(|r| r["stack"] == "unprotected")
        .map(|r| f(&r["outage_attempts"]));
    let _ = writeln!(
        out,
        "Outage: {:.0} ms refused, {:.0} ms `503`, {:.0} ms hanging, between {:.0} ms and {:.0} ms \
         healthy; {:.0} callers, {:.0} calls/s in all. Every stack: attempt timeout {:.0} ms, \
         {:.0} attempts, waits {:.0}–{:.0} ms, breaker opens after {:.0} failures, recovery \
         timeout {:.0} ms; seed {:.0}.\n",
        f(&s["refused_ms"]), f(&s["unavailable_ms"]), f(&s["hanging_ms"]), f(&s["before_ms"]),
        f(&s["after_ms"]), f(&s["callers"]), f(&s["rate_per_s"]), f(&s["attempt_timeout_ms"]),
        f(&s["max_attempts"]), f(&s["wait_min_ms"]), f(&s["wait_max_ms"]),
        f(&s["failure_threshold"]), f(&s["recovery_timeout_ms"]), f(&s["seed"])
    );
    let _ = writeln!(
        out,
        "| stack | attempts on the dead dependency | share of unprotected | callers during: p50 / p99 / max (ms) | after: p50 / p99 / max (ms) | recovery (ms) | retries | calls answered during / after |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &stacks {
        let attempts = f(&r["outage_attempts"]);
        let share = unprotected
            .filter(|&u| u > 0.0)
            .map(|u| format!("{:.1} %", 100.0 * attempts / u))
            .unwrap_or_default();
        let lat = |l: &Value| {
            format!(
                "{:.0} / {:.0} / {:.0}",
                f(&l["p50_ms"]),
                f(&l["p99_ms"]),
                f(&l["max_ms"])
            )
        };
        let recovery = r["recovery_ms"]
            .as_f64()
            .map(|v| format!("{v:.0}"))
            .unwrap_or_else(|| "not recovered".into());
        let pct = |ok: &Value, n: &Value| format!("{:.0} %", 100.0 * f(ok) / f(n).max(1.0));
        let _ = writeln!(
            out,
            "| {} | {attempts:.0} | {share} | {} | {} | {recovery} | {} | {} / {} |",
            r["stack"].as_str().unwrap_or("?"),
            lat(&r["latency_during"]),
            lat(&r["latency_after"]),
            r["retries"],
            pct(&r["outage_calls_ok"], &r["outage_calls"]),
            pct(&r["after_calls_ok"], &r["after_calls"]),
        );
    }
    out.push('\n');
    out.push_str(&goals(s, &stacks, unprotected));
    out
}

/// Reads one figure of a stack's JSON.
type Figure = dyn Fn(&Value) -> f64;

/// The goals, checked on this run's figures for each staunch stack.
fn goals(s: &Value, stacks: &[Value], unprotected: Option<f64>) -> String {
    let mut out = String::new();
    let timeout = f(&s["attempt_timeout_ms"]);
    let bound = f(&s["recovery_timeout_ms"]) + timeout;
    let peers: Vec<&Value> = stacks
        .iter()
        .filter(|r| {
            let name = r["stack"].as_str().unwrap_or("");
            !name.starts_with("staunch") && name != "unprotected"
        })
        .collect();
    let best_peer = |key: &Figure| {
        peers
            .iter()
            .map(|r| (key(r), r["stack"].as_str().unwrap_or("?")))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    let figures: [(&str, &Figure); 5] = [
        ("attempts on the dead dependency", &|r| {
            f(&r["outage_attempts"])
        }),
        ("p99 during", &|r| f(&r["latency_during"]["p99_ms"])),
        ("p99 after", &|r| f(&r["latency_after"]["p99_ms"])),
        ("recovery", &|r| {
            r["recovery_ms"].as_f64().unwrap_or(f64::INFINITY)
        }),
        ("retries", &|r| f(&r["retries"])),
    ];
    let _ = writeln!(
        out,
        "Goals, checked on this run (✓ holds or better, = tied at this precision, ✗ does not):\n"
    );
    for r in stacks.iter().filter(|r| {
        r["stack"]
            .as_str()
            .is_some_and(|n| n.starts_with("staunch"))
    }) {
        let name = r["stack"].as_str().unwrap_or("?");
        let attempts = f(&r["outage_attempts"]);
        let share = unprotected
            .map(|u| 100.0 * attempts / u)
            .unwrap_or(f64::NAN);
        let p99 = f(&r["latency_during"]["p99_ms"]);
        let recovery = r["recovery_ms"].as_f64();
        let mark = |ok: bool| if ok { "✓" } else { "✗" };
        let _ =
            writeln!(
            out,
            "- **{name}**: {} dependency sees {share:.1} % of the unprotected attempts (≤ 5 %); \
             {} p99 during the outage {p99:.0} ms (< attempt timeout {timeout:.0} ms); \
             {} recovery {} (≤ recovery timeout + one attempt = {bound:.0} ms).",
            mark(share <= 5.0),
            mark(p99 < timeout),
            mark(recovery.is_some_and(|v| v <= bound)),
            recovery.map(|v| format!("{v:.0} ms")).unwrap_or_else(|| "none".into()),
        );
        let mut line = String::from("  Against the best peer on each figure (lower is better):");
        for (label, key) in &figures {
            if let Some((best, peer)) = best_peer(key) {
                let ours = key(r);
                let verdict = if ours.round() == best.round() {
                    "="
                } else {
                    mark(ours < best)
                };
                let _ = write!(line, " {verdict} {label} {ours:.0} vs {best:.0} ({peer});");
            }
        }
        line.pop();
        let _ = writeln!(out, "{line}.");
    }
    out
}

/// One table per criterion group: median per case, and its ratio to staunch's case.
pub(crate) fn micro(micro: &Micro) -> String {
    let mut out = String::new();
    for (group, cases) in micro {
        let staunch = cases
            .iter()
            .find(|(name, _)| name == "staunch")
            .map(|c| c.1);
        let _ = writeln!(
            out,
            "`{group}`\n\n| case | median | × staunch |\n|---|---:|---:|"
        );
        for (name, ns) in cases {
            let ratio = staunch
                .filter(|s| *s > 0.0)
                .map(|s| format!("{:.2}", ns / s))
                .unwrap_or_default();
            let _ = writeln!(out, "| {name} | {} | {ratio} |", human(*ns));
        }
        let chart = crate::inputs::micro_chart(group);
        let _ = writeln!(out, "\n![{group}](perf/{chart})\n");
    }
    out
}

/// Nanoseconds, in the unit that reads best.
pub(crate) fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}
