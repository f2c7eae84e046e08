//! The command line of the built binary.

use std::process::Command;

#[test]
fn help_explains_every_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_staunch-demo"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--port",
        "--duration",
        "--rate",
        "--seed",
        "--admin-token",
        "--no-table",
        "--help",
        "--version",
    ] {
        assert!(
            help.contains(flag),
            "--help does not mention {flag}:\n{help}"
        );
    }
    assert!(help.contains("127.0.0.1"));
}

#[test]
fn bad_flags_are_refused_with_a_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_staunch-demo"))
        .args(["--duration", "soon"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8(output.stderr).unwrap();
    assert!(message.contains("--duration"), "{message}");
}

#[test]
fn a_port_in_use_is_reported_with_the_way_out() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_staunch-demo"))
        .args(["--port", &port, "--duration", "1s"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8(output.stderr).unwrap();
    assert!(message.contains("--port 0"), "{message}");
}

#[test]
fn a_bad_setting_in_the_environment_stops_the_start_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_staunch-demo"))
        .args(["--port", "0", "--duration", "1s", "--no-table"])
        .env("RETRY_MAX_ATTEMPTS", "abc")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8(output.stderr).unwrap();
    assert!(
        message.contains("invalid RETRY_MAX_ATTEMPTS `abc`: not a whole number"),
        "{message}"
    );
}
