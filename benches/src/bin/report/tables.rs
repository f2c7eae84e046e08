//! The report's Markdown tables, from the same inputs as the charts.

use std::fmt::Write as _;

use serde_json::Value;

use crate::inputs::{Allocs, Contention, Micro};

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
        "| stack | attempts on the dead dependency | share of unprotected | trip + probes | callers during: p50 / p99 / max (ms) | after: p50 / p99 / max (ms) | turned away: max (ms) | recovery (ms) | retries | calls answered during / after |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
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
            "| {} | {attempts:.0} | {share} | {} | {} | {} | {} | {recovery} | {} | {} / {} |",
            r["stack"].as_str().unwrap_or("?"),
            bursts(&r["bursts"]),
            lat(&r["latency_during"]),
            lat(&r["latency_after"]),
            turned_away(r),
            r["retries"],
            pct(&r["outage_calls_ok"], &r["outage_calls"]),
            pct(&r["after_calls_ok"], &r["after_calls"]),
        );
    }
    out.push('\n');
    out.push_str(&goals(s, &stacks, unprotected));
    out
}

/// The outage's attempts as the burst that tripped the breaker plus the later bursts
/// (`5 + 10 × 1`: ten open periods let one attempt through each; `× ≤ 43` when the
/// later bursts differ, with the largest).
fn bursts(bursts: &Value) -> String {
    let sizes: Vec<u64> = bursts
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    match sizes.split_first() {
        None => "–".into(),
        Some((trip, [])) => format!("{trip}"),
        Some((trip, later)) => {
            let max = later.iter().max().copied().unwrap_or(0);
            if later.iter().all(|&n| n == max) {
                format!("{trip} + {} × {max}", later.len())
            } else {
                format!("{trip} + {} × ≤ {max}", later.len())
            }
        }
    }
}

/// The longest call that no attempt of reached the dependency (`–` if none).
fn turned_away(r: &Value) -> String {
    if f(&r["turned_away_calls"]) > 0.0 {
        format!("{:.0}", f(&r["latency_turned_away"]["max_ms"]))
    } else {
        "–".into()
    }
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
    let figures: [(&str, &Figure); 6] = [
        ("attempts on the dead dependency", &|r| {
            f(&r["outage_attempts"])
        }),
        ("p99 during", &|r| f(&r["latency_during"]["p99_ms"])),
        ("p99 after", &|r| f(&r["latency_after"]["p99_ms"])),
        ("recovery", &|r| {
            r["recovery_ms"].as_f64().unwrap_or(f64::INFINITY)
        }),
        ("retries", &|r| f(&r["retries"])),
        ("% of calls failed after the return", &|r| {
            100.0 * (1.0 - f(&r["after_calls_ok"]) / f(&r["after_calls"]).max(1.0))
        }),
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
pub(crate) fn micro(micro: &Micro, allocs: &Allocs) -> String {
    let mut out = String::new();
    for (group, cases) in micro {
        // Cases named `library/runtime` (the runtime benches) become one row per library
        // with a column per runtime; other cases one row each.
        let mut columns: Vec<&str> = Vec::new();
        let mut rows: Vec<(&str, Vec<(usize, f64)>)> = Vec::new();
        for (name, ns) in cases {
            let (library, column) = name.split_once('/').unwrap_or((name, "median"));
            let c = match columns.iter().position(|x| *x == column) {
                Some(c) => c,
                None => {
                    columns.push(column);
                    columns.len() - 1
                }
            };
            match rows.iter_mut().find(|(l, _)| *l == library) {
                Some((_, cells)) => cells.push((c, *ns)),
                None => rows.push((library, vec![(c, *ns)])),
            }
        }
        let direct = rows
            .iter()
            .find(|(l, _)| *l == "direct")
            .map(|(_, cells)| cells.clone());
        let with_allocs = rows
            .iter()
            .any(|(l, _)| allocs.contains_key(&(group.clone(), (*l).to_owned())));
        let _ = write!(out, "`{group}`\n\n| library |");
        for c in &columns {
            let _ = write!(out, " {} |", c.replace('_', "-"));
        }
        if direct.is_some() {
            let _ = write!(out, " over the direct call |");
        }
        if with_allocs {
            let _ = write!(out, " allocations per call |");
        }
        let _ = write!(out, "\n|---|");
        let extra = usize::from(direct.is_some()) + usize::from(with_allocs);
        for _ in 0..columns.len() + extra {
            let _ = write!(out, "---:|");
        }
        out.push('\n');
        for (library, cells) in &rows {
            let _ = write!(out, "| {library} |");
            for c in 0..columns.len() {
                let cell = cells
                    .iter()
                    .find(|(i, _)| *i == c)
                    .map(|(_, ns)| human(*ns));
                let _ = write!(out, " {} |", cell.unwrap_or_default());
            }
            if let Some(direct) = &direct {
                let over: Vec<String> = (0..columns.len())
                    .filter_map(|c| {
                        let mine = cells.iter().find(|(i, _)| *i == c)?.1;
                        let base = direct.iter().find(|(i, _)| *i == c)?.1;
                        Some(format!("{:+.1} ns", mine - base))
                    })
                    .collect();
                let over = if *library == "direct" {
                    String::new()
                } else {
                    over.join(" / ")
                };
                let _ = write!(out, " {over} |");
            }
            if with_allocs {
                let cell = allocs
                    .get(&(group.clone(), (*library).to_owned()))
                    .map(|(a, b)| format!("{a:.1} ({b:.0} B)"));
                let _ = write!(out, " {} |", cell.unwrap_or_default());
            }
            out.push('\n');
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_show_the_trip_and_the_probes_per_open_period() {
        let show = |v: Value| bursts(&v);
        assert_eq!(show(serde_json::json!([5, 1, 1, 1])), "5 + 3 × 1");
        assert_eq!(show(serde_json::json!([5, 43, 2])), "5 + 2 × ≤ 43");
        assert_eq!(show(serde_json::json!([1200])), "1200");
        assert_eq!(show(serde_json::json!([])), "–");
    }

    #[test]
    fn micro_puts_each_runtime_in_a_column_and_the_cost_over_the_direct_call() {
        let mut figures = Micro::new();
        figures.insert(
            "runtime/closed_success".into(),
            vec![
                ("direct/current_thread".into(), 5.0),
                ("direct/multi_thread".into(), 6.0),
                ("staunch/current_thread".into(), 8.0),
                ("staunch/multi_thread".into(), 10.0),
            ],
        );
        let mut allocs = Allocs::new();
        allocs.insert(
            ("runtime/closed_success".into(), "staunch".into()),
            (0.0, 0.0),
        );
        let table = micro(&figures, &allocs);
        assert!(table.contains(
            "| library | current-thread | multi-thread | over the direct call | allocations per call |"
        ));
        assert!(table.contains("| staunch | 8.0 ns | 10.0 ns | +3.0 ns / +4.0 ns | 0.0 (0 B) |"));
        assert!(table.contains("| direct | 5.0 ns | 6.0 ns |  |  |"));
    }
}
