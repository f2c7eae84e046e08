//! Turns the benchmarks' own output into the performance report: SVG charts next to it
//! and its tables, rewritten in place between `<!-- BEGIN name -->` and
//! `<!-- END name -->` markers.
//!
//! Inputs (in `--data`, default `docs/perf`): `contention.csv` (the contention
//! simulation's `--csv`), `aws-simulator-seed1.csv` (the published simulator's own
//! results), `outage.json` (the outage benchmark's `--json`), `allocs.json` (the allocation
//! count's, if any), `machine.txt`; and
//! criterion's results under `--criterion` (default `target/criterion`), if any: a
//! comma-separated list of directories for several runs of the same benches, of which
//! each case's lowest median is reported.
//!
//! Run: `cargo run --release -p staunch-benches --bin report -- [--data docs/perf]
//! [--criterion target/criterion] [--doc docs/PERFORMANCE.md]`; `scripts/perf-report.sh`
//! runs the benchmarks first. The criterion medians are also kept as
//! `micro.csv` in the data directory, and with several runs each run's as
//! `micro-runs.csv`.
//!
//! `report --compare OLD_DIR NEW_DIR` instead prints every figure two runs' data
//! directories share, with the relative difference, and the median and largest
//! difference per section (`scripts/perf-report.sh` does it against the previous run);
//! `--only outage,contention` keeps those sections (`contention`, `outage`, `micro`,
//! `allocs`).

mod charts;
mod compare;
mod inputs;
mod tables;

use std::path::{Path, PathBuf};

fn arg(args: &[String], name: &str) -> Option<String> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).cloned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--compare") {
        let (Some(old), Some(new)) = (args.get(at + 1), args.get(at + 2)) else {
            eprintln!("error: --compare needs two directories, the old run's and the new one's");
            std::process::exit(2);
        };
        match compare::figures(Path::new(old))
            .and_then(|a| Ok((a, compare::figures(Path::new(new))?)))
        {
            Ok((mut a, mut b)) => {
                // `--only outage,contention`: the sections this run measured again.
                if let Some(only) = arg(&args, "--only") {
                    let keep = |name: &String| {
                        let section = name.split('/').next().unwrap_or(name);
                        only.split(',').any(|s| s.trim() == section)
                    };
                    a.retain(|k, _| keep(k));
                    b.retain(|k, _| keep(k));
                }
                print!("{}", compare::report(&a, &b));
            }
            Err(error) => {
                eprintln!("error: --compare: {error}");
                std::process::exit(1);
            }
        }
        return;
    }
    let data = PathBuf::from(arg(&args, "--data").unwrap_or_else(|| "docs/perf".into()));
    let criterion: Vec<PathBuf> = arg(&args, "--criterion")
        .unwrap_or_else(|| "target/criterion".into())
        .split(',')
        .map(PathBuf::from)
        .collect();
    let doc = PathBuf::from(arg(&args, "--doc").unwrap_or_else(|| "docs/PERFORMANCE.md".into()));
    if let Err(error) = run(&data, &criterion, &doc) {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn run(data: &Path, criterion: &[PathBuf], doc: &Path) -> Result<()> {
    let mut sections = Vec::new();

    let port = inputs::contention(&data.join("contention.csv"))?;
    let published = inputs::contention(&data.join("aws-simulator-seed1.csv"))?;
    charts::contention(&data.join("contention-calls.svg"), &port, &published, false)?;
    charts::contention(&data.join("contention-time.svg"), &port, &published, true)?;
    sections.push(("contention", tables::contention(&port, &published)));

    let outage = inputs::outage(&data.join("outage.json"))?;
    charts::outage_load(&data.join("outage-load.svg"), &outage)?;
    charts::outage_latency(&data.join("outage-latency.svg"), &outage)?;
    sections.push(("outage", tables::outage(&outage)));

    let (micro, runs) = inputs::criterion_runs(criterion)?;
    if micro.is_empty() {
        eprintln!(
            "note: no criterion results under {}; micro-benchmark section left as it is",
            criterion
                .iter()
                .map(|dir| dir.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    } else {
        inputs::write_micro_csv(&data.join(inputs::MICRO_CSV), &micro)?;
        let runs_csv = data.join(inputs::MICRO_RUNS_CSV);
        if runs.len() > 1 {
            inputs::write_micro_runs_csv(&runs_csv, &micro, &runs)?;
        } else if runs_csv.exists() {
            // One run: a table of several earlier runs' medians would not match it.
            std::fs::remove_file(&runs_csv)
                .map_err(|e| format!("cannot remove {}: {e}", runs_csv.display()))?;
        }
        for (group, cases) in &micro {
            charts::micro(&data.join(inputs::micro_chart(group)), group, cases)?;
        }
        let allocs = inputs::allocs(&data.join("allocs.json"))?;
        if !allocs.is_empty() {
            charts::allocs(&data.join("allocs.svg"), &allocs)?;
        }
        sections.push(("micro", tables::micro(&micro, &allocs)));
    }

    if let Ok(machine) = std::fs::read_to_string(data.join("machine.txt")) {
        sections.push(("machine", format!("```\n{}\n```", machine.trim_end())));
    }
    rewrite(doc, &sections)
}

/// Replaces the text between each section's markers in `doc`.
fn rewrite(doc: &Path, sections: &[(&str, String)]) -> Result<()> {
    let mut text =
        std::fs::read_to_string(doc).map_err(|e| format!("cannot read {}: {e}", doc.display()))?;
    for (name, body) in sections {
        let (begin, end) = (
            format!("<!-- BEGIN {name} -->"),
            format!("<!-- END {name} -->"),
        );
        let (Some(b), Some(e)) = (text.find(&begin), text.find(&end)) else {
            eprintln!("note: {} has no {begin} … {end} markers", doc.display());
            continue;
        };
        if e < b {
            return Err(format!("{}: {end} comes before {begin}", doc.display()).into());
        }
        text.replace_range(b + begin.len()..e, &format!("\n{}\n", body.trim_end()));
    }
    std::fs::write(doc, text).map_err(|e| format!("cannot write {}: {e}", doc.display()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_replaces_only_between_the_markers() {
        let dir = std::env::temp_dir().join(format!("staunch-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let doc = dir.join("doc.md");
        let before = "intro\n<!-- BEGIN t -->\nold\n<!-- END t -->\nrest\n";
        std::fs::write(&doc, before).unwrap();
        rewrite(&doc, &[("t", "| new |\n".into()), ("absent", "x".into())]).unwrap();
        let after = std::fs::read_to_string(&doc).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            after,
            "intro\n<!-- BEGIN t -->\n| new |\n<!-- END t -->\nrest\n"
        );
    }
}
