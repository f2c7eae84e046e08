//! Fleet mode: three replicas as processes of their own on one Redis, started by the
//! demo itself. Needs `redis-server` (skipped without it, unless `STAUNCH_REQUIRE_REDIS=1`).
//!
//! The replicas' lines reach the demo through one pipe each, so their order across
//! replicas is not the order of the events: each line says instead whether its
//! transition was decided by the replica on its own calls or applied from the fleet.

use std::process::{Command, Stdio};
use std::time::Duration;

/// The lines replica `index` printed, in order, without the time stamp and prefix.
fn lines_of(output: &str, index: u32) -> Vec<&str> {
    let prefix = format!("] replica {index} | ");
    output
        .lines()
        .filter_map(|line| line.split_once(&prefix).map(|(_, rest)| rest))
        .collect()
}

#[tokio::test]
async fn a_trip_at_replica_0_opens_the_breakers_of_the_others() {
    if !staunch_redis::testing::available() {
        return;
    }
    let _alone = super::WHOLE_DEMO.lock().await;
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

    // Replica 0's services have the outages: each of its breakers trips on its own calls,
    // and the fleet then opens the others' breakers, whose services are healthy.
    for name in ["llm", "mcp", "database"] {
        let here = format!("{name}: closed -> open on its own calls (");
        assert!(
            lines_of(&stdout, 0)
                .iter()
                .any(|line| line.starts_with(&here)),
            "replica 0 never tripped {name} on its own:\n{stdout}"
        );
        let by_the_fleet = format!("{name}: closed -> open by the fleet (");
        for other in [1, 2] {
            assert!(
                lines_of(&stdout, other)
                    .iter()
                    .any(|line| line.starts_with(&by_the_fleet)),
                "replica {other} did not open {name} with the fleet:\n{stdout}"
            );
        }
    }
    // Healthy, replicas 1 and 2 never trip on their own: with a quorum of one, every
    // open of the fleet, the one seen there included, comes from replica 0's trips.
    for other in [1, 2] {
        assert!(
            !lines_of(&stdout, other)
                .iter()
                .any(|line| line.contains("closed -> open on its own calls")),
            "replica {other} tripped on its own:\n{stdout}"
        );
    }
    for index in 0..3 {
        assert!(
            lines_of(&stdout, index)
                .iter()
                .any(|line| line.starts_with("summary after")),
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
