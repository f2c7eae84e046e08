//! Fleet mode: three replicas as processes of their own on one Redis, started by the
//! demo itself. Needs `redis-server` (skipped without it, unless `STAUNCH_REQUIRE_REDIS=1`).

use std::process::{Command, Stdio};
use std::time::Duration;

fn redis_server_installed() -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        assert!(
            std::env::var("STAUNCH_REQUIRE_REDIS").as_deref() != Ok("1"),
            "redis-server not found and STAUNCH_REQUIRE_REDIS=1"
        );
        eprintln!("SKIPPED: redis-server not found");
    }
    found
}

/// The lines replica `index` printed, in order, without the time stamp and prefix.
fn lines_of(output: &str, index: u32) -> Vec<(usize, &str)> {
    let prefix = format!("] replica {index} | ");
    output
        .lines()
        .enumerate()
        .filter_map(|(n, line)| line.split_once(&prefix).map(|(_, rest)| (n, rest)))
        .collect()
}

#[tokio::test]
async fn a_trip_at_replica_0_opens_the_breakers_of_the_others() {
    if !redis_server_installed() {
        return;
    }
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_staunch-demo"))
        .args(["--replicas", "3", "--port", "0", "--duration", "6s"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the fleet ends with its --duration")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    // Replica 0's services have the outages: each of its breakers opens on its own calls
    // while the fleet is still closed, and the fleet then opens the others' breakers,
    // whose services are healthy.
    let mut seen = 0;
    for name in ["llm", "mcp", "database"] {
        let own = format!("{name}: closed -> open (fleet: closed");
        let Some(&(trip, _)) = lines_of(&stdout, 0)
            .iter()
            .find(|(_, line)| line.starts_with(&own))
        else {
            continue;
        };
        let shared = format!("{name}: closed -> open (fleet: open");
        for other in [1, 2] {
            assert!(
                lines_of(&stdout, other)
                    .iter()
                    .any(|&(n, line)| n > trip && line.starts_with(&shared)),
                "replica {other} did not open {name} with the fleet:\n{stdout}"
            );
        }
        seen += 1;
    }
    assert!(seen > 0, "replica 0 never tripped on its own:\n{stdout}");
    for index in 0..3 {
        assert!(
            lines_of(&stdout, index)
                .iter()
                .any(|(_, line)| line.starts_with("summary after")),
            "replica {index} printed no summary:\n{stdout}"
        );
    }
}

#[test]
fn help_shows_the_fleet_mode_and_hides_the_replicas_own_flags() {
    let output = Command::new(env!("CARGO_BIN_EXE_staunch-demo"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(
        help.contains("--replicas") && help.contains("--redis"),
        "{help}"
    );
    assert!(!help.contains("--replica-of"), "{help}");
}

#[test]
fn a_malformed_redis_url_is_refused_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_staunch-demo"))
        .args([
            "--replicas",
            "2",
            "--redis",
            "http://nowhere",
            "--port",
            "0",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("--redis") && stderr.contains("http://nowhere"),
        "{stderr}"
    );
}
