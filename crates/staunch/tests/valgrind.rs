//! A program that uses staunch runs under valgrind.
//!
//! The system clock reads `CLOCK_MONOTONIC_COARSE` through the vDSO. Found by asking the
//! kernel for the vDSO's address (`PR_GET_AUXV`), it is a page valgrind does not map, and
//! the first clock read (building any breaker) crashed the program with SIGSEGV. The
//! clock now finds the vDSO through the C library's `getauxval`, which valgrind answers
//! with its own view, so under valgrind the clock falls back to the system call.
//!
//! The test runs its own binary under valgrind, filtered to the child test below. It
//! needs valgrind: `scripts/test.sh` installs it; without it the test is skipped, or
//! fails when `CI` or `STAUNCH_REQUIRE_VALGRIND` is set.
#![cfg(target_os = "linux")]

use std::process::Command;
use std::time::Duration;

use staunch::{CircuitBreaker, Clock, Policy};

const CHILD: &str = "STAUNCH_VALGRIND_CHILD";

#[test]
fn a_program_using_the_system_clock_runs_under_valgrind() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        let required = std::env::var_os("CI").is_some()
            || std::env::var_os("STAUNCH_REQUIRE_VALGRIND").is_some();
        assert!(
            !required,
            "valgrind is required here but not installed (apt-get install valgrind)"
        );
        eprintln!("valgrind not installed: skipped");
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = Command::new("valgrind")
        .args(["--quiet", "--error-exitcode=99"])
        .arg(&exe)
        .args([
            "--exact",
            "child_reads_the_system_clock",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("valgrind starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "under valgrind: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    // The child really ran (a filter that matched nothing would also succeed).
    assert!(stdout.contains("1 passed"), "stdout:\n{stdout}");
}

/// What the parent runs under valgrind: the clock, a breaker and a policy on the system
/// clock. Does nothing when run directly.
#[test]
fn child_reads_the_system_clock() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let clock = Clock::system();
    let before = clock.now();
    let breaker = CircuitBreaker::builder("valgrind").build().unwrap();
    assert_eq!(breaker.call_blocking(|| Ok::<_, ()>(1)).unwrap(), 1);
    let policy = Policy::builder("valgrind")
        .attempt_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    assert_eq!(policy.call_blocking(|| Ok::<_, ()>(2)).unwrap(), 2);
    assert!(clock.now() >= before);
}
