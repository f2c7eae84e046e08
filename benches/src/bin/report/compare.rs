//! Two runs side by side: every figure both runs' output has (in two `docs/perf`-like
//! directories), its value in each and the relative difference, then per section the
//! median and the largest difference. This is how the report states how far two
//! consecutive runs of the same command lie apart.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::inputs;
use crate::Result;

/// Figures by name (`section/...`).
pub(crate) type Figures = BTreeMap<String, f64>;

/// Every figure of one run's output directory that can be read; absent files add none.
pub(crate) fn figures(dir: &Path) -> Result<Figures> {
    let mut out = Figures::new();
    let contention = dir.join("contention.csv");
    if contention.exists() {
        for ((clients, scheme), (calls, time)) in inputs::contention(&contention)? {
            out.insert(format!("contention/{clients:03}/{scheme}/calls"), calls);
            out.insert(format!("contention/{clients:03}/{scheme}/time_ms"), time);
        }
    }
    let outage = dir.join("outage.json");
    if outage.exists() {
        outage_figures(&inputs::outage(&outage)?, &mut out);
    }
    let micro = dir.join(inputs::MICRO_CSV);
    if micro.exists() {
        for (group, cases) in inputs::micro_csv(&micro)? {
            for (case, ns) in cases {
                out.insert(format!("micro/{group}/{case}"), ns);
            }
        }
    }
    for ((group, library), (allocs, bytes)) in inputs::allocs(&dir.join("allocs.json"))? {
        out.insert(format!("allocs/{group}/{library}/allocs"), allocs);
        out.insert(format!("allocs/{group}/{library}/bytes"), bytes);
    }
    Ok(out)
}

fn outage_figures(json: &Value, out: &mut Figures) {
    for r in json["stacks"].as_array().into_iter().flatten() {
        let stack = r["stack"].as_str().unwrap_or("?");
        let mut put = |name: &str, v: Option<f64>| {
            if let Some(v) = v {
                out.insert(format!("outage/{stack}/{name}"), v);
            }
        };
        put("attempts", r["outage_attempts"].as_f64());
        for (when, key) in [("during", "latency_during"), ("after", "latency_after")] {
            for q in ["p50", "p99", "max"] {
                put(
                    &format!("{when}_{q}_ms"),
                    r[key][format!("{q}_ms")].as_f64(),
                );
            }
        }
        put("recovery_ms", r["recovery_ms"].as_f64());
        put("retries", r["retries"].as_f64());
        let (ok, n) = (r["after_calls_ok"].as_f64(), r["after_calls"].as_f64());
        put(
            "after_failed_pct",
            ok.zip(n).map(|(ok, n)| 100.0 * (1.0 - ok / n.max(1.0))),
        );
    }
}

/// `new` relative to `old`, in per cent; zero when both are zero, `None` when only
/// `old` is (no ratio to speak of).
pub(crate) fn relative(old: f64, new: f64) -> Option<f64> {
    if old == new {
        Some(0.0)
    } else if old == 0.0 {
        None
    } else {
        Some(100.0 * (new - old) / old.abs())
    }
}

/// The comparison as text: one line per figure, then a summary per section. Relative
/// differences of figures near zero (a p50 of 0.1 ms) are large and say little: read
/// them with the absolute difference beside them.
pub(crate) fn report(old: &Figures, new: &Figures) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<64} {:>12} {:>12} {:>9}",
        "figure", "old", "new", "diff"
    );
    // Section -> |differences| (figures with a ratio), and figures without one.
    let mut sections: BTreeMap<&str, (Vec<f64>, usize)> = BTreeMap::new();
    for (name, &a) in old {
        let Some(&b) = new.get(name) else { continue };
        let section = name.split('/').next().unwrap_or(name);
        let entry = sections.entry(section).or_default();
        let diff = match relative(a, b) {
            Some(d) => {
                entry.0.push(d.abs());
                format!("{d:+.1} %")
            }
            None => {
                entry.1 += 1;
                "from 0".into()
            }
        };
        let _ = writeln!(
            out,
            "{name:<64} {a:>12.1} {b:>12.1} {:>+10.1} {diff:>9}",
            b - a
        );
    }
    let only = |a: &Figures, b: &Figures| a.keys().filter(|k| !b.contains_key(*k)).count();
    let _ = writeln!(
        out,
        "\nper section: figures in both runs, median and largest |difference|"
    );
    for (section, (diffs, from_zero)) in &mut sections {
        diffs.sort_by(f64::total_cmp);
        let median = diffs.get(diffs.len() / 2).copied().unwrap_or(0.0);
        let max = diffs.last().copied().unwrap_or(0.0);
        let _ = writeln!(
            out,
            "{section:<12} {:>5} figures  median {median:>6.1} %  largest {max:>7.1} %{}",
            diffs.len() + *from_zero,
            if *from_zero > 0 {
                format!("  ({from_zero} from 0, no ratio)")
            } else {
                String::new()
            }
        );
    }
    let (gone, added) = (only(old, new), only(new, old));
    if gone + added > 0 {
        let _ = writeln!(
            out,
            "{gone} figures only in the old run, {added} only in the new one (not compared)"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_difference_and_summary() {
        assert_eq!(relative(100.0, 110.0), Some(10.0));
        assert_eq!(relative(200.0, 150.0), Some(-25.0));
        assert_eq!(relative(0.0, 0.0), Some(0.0));
        assert_eq!(relative(0.0, 3.0), None);
        let old: Figures = [
            ("outage/a/x", 100.0),
            ("outage/a/y", 10.0),
            ("micro/g/c", 0.0),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .into();
        let new: Figures = [
            ("outage/a/x", 90.0),
            ("outage/a/y", 13.0),
            ("micro/g/c", 2.0),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .into();
        let text = report(&old, &new);
        assert!(text.contains("-10.0 %"), "{text}");
        assert!(text.contains("+30.0 %"), "{text}");
        assert!(
            text.contains("outage           2 figures  median   30.0 %  largest    30.0 %"),
            "{text}"
        );
        assert!(text.contains("(1 from 0, no ratio)"), "{text}");
    }

    #[test]
    fn figures_read_every_output_file_present() {
        let dir = std::env::temp_dir().join(format!("staunch-compare-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("contention.csv"),
            "clients,scheme,calls,time_ms\n10,FullJitter,39.5,464.0\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("outage.json"),
            r#"{"stacks":[{"stack":"s","outage_attempts":15,"retries":0,"recovery_ms":67.0,
                "after_calls":800,"after_calls_ok":792,
                "latency_during":{"p50_ms":0,"p99_ms":102,"max_ms":298},
                "latency_after":{"p50_ms":0,"p99_ms":57,"max_ms":97}}]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.join(inputs::MICRO_CSV),
            "group,case,median_ns\ng,staunch,12.5\n",
        )
        .unwrap();
        let figures = figures(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(figures["contention/010/FullJitter/calls"], 39.5);
        assert_eq!(figures["contention/010/FullJitter/time_ms"], 464.0);
        assert_eq!(figures["outage/s/attempts"], 15.0);
        assert_eq!(figures["outage/s/during_p99_ms"], 102.0);
        assert!((figures["outage/s/after_failed_pct"] - 1.0).abs() < 1e-9);
        assert_eq!(figures["micro/g/staunch"], 12.5);
        assert_eq!(figures.len(), 2 + 10 + 1);
    }
}
