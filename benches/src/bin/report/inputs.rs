//! Reading the benchmarks' output files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Result;

/// Contention figures: `(clients, scheme) -> (calls, time_ms)`.
pub(crate) type Contention = BTreeMap<(u32, String), (f64, f64)>;

/// Reads either CSV layout: the port's `clients,scheme,calls,time_ms` or the published
/// simulator's `clients,time,calls,Algorithm`.
pub(crate) fn contention(path: &Path) -> Result<Contention> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default().trim();
    let published = header == "clients,time,calls,Algorithm";
    let mut figures = Contention::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.trim().split(',').collect();
        let bad = || format!("{}: bad row {line:?}", path.display());
        let [clients, a, b, c] = f[..] else {
            return Err(bad().into());
        };
        let num = |s: &str| s.parse::<f64>().map_err(|_| bad());
        let clients: u32 = clients.parse().map_err(|_| bad())?;
        let (scheme, calls, time) = if published {
            (c, num(b)?, num(a)?)
        } else {
            (a, num(b)?, num(c)?)
        };
        figures.insert((clients, scheme.to_owned()), (calls, time));
    }
    Ok(figures)
}

/// The outage benchmark's JSON.
pub(crate) fn outage(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// Criterion medians in nanoseconds: group -> [(function, ns)], in directory order.
pub(crate) type Micro = BTreeMap<String, Vec<(String, f64)>>;

/// Every `new/benchmark.json` + `new/estimates.json` pair under `dir`.
pub(crate) fn criterion(dir: &Path) -> Result<Micro> {
    let mut micro = Micro::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.file_name().is_some_and(|n| n == "new") {
                if let Some((group, function, ns)) = case(&path) {
                    // A group timed per 1000 calls (`..._x1000`) is reported per call.
                    let (group, ns) = match group.strip_suffix("_x1000") {
                        Some(group) => (group.to_owned(), ns / 1000.0),
                        None => (group, ns),
                    };
                    micro.entry(group).or_default().push((function, ns));
                }
            } else if path.is_dir() && path.file_name().is_some_and(|n| n != "report") {
                stack.push(path);
            }
        }
    }
    for cases in micro.values_mut() {
        cases.sort_by_key(|(name, _)| (rank(name), name.clone()));
    }
    Ok(micro)
}

/// Several runs of the same benches, one criterion directory each: per case, the lowest
/// of its medians (noise on a shared machine only ever adds time, and a burst of it
/// rarely hits the same case in every run), and each run's own medians.
pub(crate) fn criterion_runs(dirs: &[PathBuf]) -> Result<(Micro, Vec<Micro>)> {
    let runs = dirs
        .iter()
        .map(|dir| criterion(dir))
        .collect::<Result<Vec<_>>>()?;
    Ok((lowest(&runs), runs))
}

/// Per case, the lowest median of `runs` that have it; cases in the order they first
/// appear.
pub(crate) fn lowest(runs: &[Micro]) -> Micro {
    let mut best = Micro::new();
    for run in runs {
        for (group, cases) in run {
            let into = best.entry(group.clone()).or_default();
            for (case, ns) in cases {
                match into.iter_mut().find(|(c, _)| c == case) {
                    Some((_, low)) => *low = low.min(*ns),
                    None => into.push((case.clone(), *ns)),
                }
            }
        }
    }
    best
}

/// The file, in the data directory, that keeps each run's medians beside the lowest:
/// `group,case,lowest_ns,run1_ns,run2_ns,…` (empty where a run lacks the case).
pub(crate) const MICRO_RUNS_CSV: &str = "micro-runs.csv";

/// Writes every run's medians of each case of `lowest`.
pub(crate) fn write_micro_runs_csv(path: &Path, lowest: &Micro, runs: &[Micro]) -> Result<()> {
    let mut text = String::from("group,case,lowest_ns");
    for r in 1..=runs.len() {
        text.push_str(&format!(",run{r}_ns"));
    }
    text.push('\n');
    for (group, cases) in lowest {
        for (case, ns) in cases {
            text.push_str(&format!("{group},{case},{ns}"));
            for run in runs {
                let found = run
                    .get(group)
                    .and_then(|cases| cases.iter().find(|(c, _)| c == case));
                match found {
                    Some((_, ns)) => text.push_str(&format!(",{ns}")),
                    None => text.push(','),
                }
            }
            text.push('\n');
        }
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// The file, in the data directory, that keeps a run's criterion medians (criterion's
/// own directory is cleared at the start of each run).
pub(crate) const MICRO_CSV: &str = "micro.csv";

/// Writes `micro` as `group,case,median_ns` rows (with several runs, the lowest median).
pub(crate) fn write_micro_csv(path: &Path, micro: &Micro) -> Result<()> {
    let mut text = String::from("group,case,median_ns\n");
    for (group, cases) in micro {
        for (case, ns) in cases {
            text.push_str(&format!("{group},{case},{ns}\n"));
        }
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// Reads what [`write_micro_csv`] wrote.
pub(crate) fn micro_csv(path: &Path) -> Result<Micro> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut micro = Micro::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let bad = || format!("{}: bad row {line:?}", path.display());
        let (rest, ns) = line.rsplit_once(',').ok_or_else(bad)?;
        let (group, case) = rest.split_once(',').ok_or_else(bad)?;
        let ns: f64 = ns.trim().parse().map_err(|_| bad())?;
        micro
            .entry(group.to_owned())
            .or_default()
            .push((case.to_owned(), ns));
    }
    Ok(micro)
}

/// The direct call first, then staunch's cases, then the peers.
fn rank(name: &str) -> u8 {
    if name.starts_with("direct") {
        0
    } else if name.starts_with("staunch") {
        1
    } else {
        2
    }
}

/// The chart file of a criterion group.
pub(crate) fn micro_chart(group: &str) -> String {
    format!("micro-{}.svg", group.replace(['/', ' '], "_"))
}

fn case(new: &Path) -> Option<(String, String, f64)> {
    let read = |name: &str| -> Option<Value> {
        serde_json::from_str(&std::fs::read_to_string(new.join(name)).ok()?).ok()
    };
    let benchmark = read("benchmark.json")?;
    let estimates = read("estimates.json")?;
    let group = benchmark["group_id"].as_str()?.to_owned();
    // `BenchmarkId::new(function, parameter)` (the runtime benches: library, runtime)
    // gives both; either alone names the case.
    let function = match (
        benchmark["function_id"].as_str(),
        benchmark["value_str"].as_str(),
    ) {
        (Some(function), Some(value)) => format!("{function}/{value}"),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) => return None,
    };
    let ns = estimates["median"]["point_estimate"].as_f64()?;
    Some((group, function, ns))
}

/// Allocations per call (`benches/allocs.rs`'s JSON): (group, library) -> (allocations,
/// bytes); empty when the file is absent.
pub(crate) type Allocs = BTreeMap<(String, String), (f64, f64)>;

/// Reads `allocs.json` if there is one.
pub(crate) fn allocs(path: &Path) -> Result<Allocs> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Allocs::new());
    };
    let rows: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut allocs = Allocs::new();
    for row in rows.as_array().into_iter().flatten() {
        let (Some(group), Some(library), Some(a), Some(b)) = (
            row["group"].as_str(),
            row["library"].as_str(),
            row["allocs"].as_f64(),
            row["bytes"].as_f64(),
        ) else {
            return Err(format!("{}: bad row {row}", path.display()).into());
        };
        allocs.insert((group.to_owned(), library.to_owned()), (a, b));
    }
    Ok(allocs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_keeps_each_cases_smallest_median_and_every_case_of_any_run() {
        let run = |cases: &[(&str, f64)]| {
            let mut micro = Micro::new();
            micro.insert(
                "runtime/closed_success".to_owned(),
                cases.iter().map(|(c, ns)| ((*c).to_owned(), *ns)).collect(),
            );
            micro
        };
        let runs = [
            run(&[
                ("direct/current_thread", 5.0),
                ("staunch/current_thread", 9.0),
            ]),
            run(&[
                ("direct/current_thread", 6.0),
                ("staunch/current_thread", 7.5),
            ]),
            run(&[("failsafe/current_thread", 15.0)]),
        ];
        let best = lowest(&runs);
        assert_eq!(
            best["runtime/closed_success"],
            [
                ("direct/current_thread".to_owned(), 5.0),
                ("staunch/current_thread".to_owned(), 7.5),
                ("failsafe/current_thread".to_owned(), 15.0),
            ]
        );
        // A directory of this test's own: the other tests of the binary run beside it.
        let dir = std::env::temp_dir().join(format!("staunch-report-runs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(MICRO_RUNS_CSV);
        write_micro_runs_csv(&path, &best, &runs).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            text,
            "group,case,lowest_ns,run1_ns,run2_ns,run3_ns\n\
             runtime/closed_success,direct/current_thread,5,5,6,\n\
             runtime/closed_success,staunch/current_thread,7.5,9,7.5,\n\
             runtime/closed_success,failsafe/current_thread,15,,,15\n"
        );
    }
}
