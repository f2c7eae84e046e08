//! Runs each example as its own process (as `cargo run --bin` would) and checks that it
//! exits 0 and prints what the script of its local server makes happen.

use std::process::Command;

/// Runs the example `name` and returns what it printed.
fn run(name: &str) -> String {
    let path = match name {
        "openai_chat" => env!("CARGO_BIN_EXE_openai_chat"),
        "mcp_tool_call" => env!("CARGO_BIN_EXE_mcp_tool_call"),
        "sql_query" => env!("CARGO_BIN_EXE_sql_query"),
        "tower_stack" => env!("CARGO_BIN_EXE_tower_stack"),
        "chat_service" => env!("CARGO_BIN_EXE_chat_service"),
        "cached_fallback" => env!("CARGO_BIN_EXE_cached_fallback"),
        "retry_schedule" => env!("CARGO_BIN_EXE_retry_schedule"),
        "monitor_settings" => env!("CARGO_BIN_EXE_monitor_settings"),
        _ => panic!("no example {name}"),
    };
    let output = Command::new(path)
        .env_remove("RUST_LOG")
        .output()
        .unwrap_or_else(|e| panic!("run {path}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{name} exited with {}\n--- stdout\n{stdout}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn assert_lines(name: &str, stdout: &str, expected: &[&str]) {
    for line in expected {
        assert!(
            stdout.lines().any(|l| l.trim() == *line),
            "{name} did not print `{line}`\n--- stdout\n{stdout}"
        );
    }
}

#[test]
fn openai_chat_retries_rate_limits_and_5xx_trips_and_recovers() {
    let out = run("openai_chat");
    assert_lines(
        "openai_chat",
        &out,
        &[
            "transition `llm`: closed -> open",
            "transition `llm`: open -> half_open",
            "transition `llm`: half_open -> closed",
            "summary: attempts=[2,3,2,1,1,3,0,1] trips=1 recoveries=1 final=closed",
        ],
    );
    // The 429's `Retry-After: 1` is honoured: the second attempt waits about a second.
    let wait = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("attempt 2 after "))
        .expect("a second attempt");
    assert!(
        wait.ends_with('s') && !wait.ends_with("ms"),
        "waited {wait}"
    );
    assert!(out.contains("401 Unauthorized"), "{out}");
    // The policy's message, then its cause: the client's error.
    assert!(
        out.contains("error is not retryable: 401 Unauthorized"),
        "{out}"
    );
    assert!(out.contains("breaker_open: cached answer #7"), "{out}");
}

#[test]
fn mcp_tool_call_times_out_hangs_trips_and_recovers() {
    let out = run("mcp_tool_call");
    assert_lines(
        "mcp_tool_call",
        &out,
        &[
            "transition `mcp`: closed -> open",
            "transition `mcp`: half_open -> closed",
            "summary: attempts=[1,2,2,1,2,1,0,1] trips=1 recoveries=1 final=closed",
        ],
    );
    assert!(out.contains("-32602: no city \"Atlantis\""), "{out}");
    assert!(
        out.contains("error is not retryable: Mcp error: -32602: no city"),
        "{out}"
    );
}

#[test]
fn sql_query_retries_the_lock_ignores_constraints_trips_and_recovers() {
    let out = run("sql_query");
    assert_lines(
        "sql_query",
        &out,
        &[
            "transition `database`: closed -> open",
            "transition `database`: half_open -> closed",
            "summary: attempts=[1,1,2,3,0,1] trips=1 recoveries=1 final=closed",
        ],
    );
    assert!(out.contains("UNIQUE constraint failed"), "{out}");
    assert!(out.contains("(code: 5) database is locked"), "{out}");
}

#[test]
fn chat_service_honours_retry_after_then_answers() {
    let out = run("chat_service");
    assert_lines(
        "chat_service",
        &out,
        &[
            "attempt 1: Err(Status { code: 429, retry_after: Some(1s) })",
            "attempt 2: Err(Status { code: 500, retry_after: None })",
            "attempt 3: Ok(\"Hello! How can I help?\")",
            "breaker `llm`: closed, 2 failures",
        ],
    );
}

#[test]
fn cached_fallback_answers_from_the_cache_when_open() {
    let out = run("cached_fallback");
    assert_lines(
        "cached_fallback",
        &out,
        &["round 2: sunny, 21 °C (cached)", "circuit: open"],
    );
    assert!(
        out.contains("round 1: gave up after 2 attempts in "),
        "{out}"
    );
    // The policy's message, then its cause: the model's own error.
    assert!(
        out.contains(": retries exhausted: the model is unavailable"),
        "{out}"
    );
}

#[test]
fn retry_schedule_waits_double_up_to_the_cap() {
    let out = run("retry_schedule");
    assert_lines(
        "retry_schedule",
        &out,
        &[
            "attempt 2 failed (call 2 timed out); waiting 100 ms",
            "attempt 5 failed (call 5 timed out); waiting 500 ms",
        ],
    );
    assert_eq!(out.matches("attempt 3 succeeded").count(), 1, "{out}");
}

#[test]
fn tower_stack_sheds_load_while_open_and_recovers() {
    let out = run("tower_stack");
    assert_lines(
        "tower_stack",
        &out,
        &[
            "transition `inventory`: closed -> open",
            "transition `inventory`: half_open -> closed",
            "summary: attempts=[1,2,3,0,1] trips=1 recoveries=1 final=closed",
        ],
    );
    assert!(
        out.contains("503 Service Unavailable (retry-after: \"1\") inventory circuit open"),
        "{out}"
    );
    assert!(
        out.contains("502 Bad Gateway exhausted: gave up after 3 attempts"),
        "{out}"
    );
    // The policy's message, then its cause, once: the inventory's answer.
    let failed = out
        .lines()
        .find(|l| l.contains("502 Bad Gateway exhausted"))
        .expect("a 502 line");
    assert!(failed.contains("retries exhausted: http://"), "{failed}");
    assert_eq!(failed.matches("answered 503").count(), 1, "{failed}");
}

#[test]
fn monitor_settings_reads_the_env_file_watches_and_falls_back() {
    let out = run("monitor_settings");
    assert_lines(
        "monitor_settings",
        &out,
        &[
            "settings from .env: failure_threshold=4 recovery_timeout=500ms max_attempts=2",
            "monitor: `llm` is now open",
            "monitor: `llm` is now half_open",
            "monitor: `llm` is now closed",
            "after the recovery timeout: fresh answer to \"weather?\"",
            "dashboard view: {\"llm\": {\"state\": \"closed\", \"failure_count\": 0}}",
        ],
    );
    assert!(
        out.contains("round 4: answer to \"weather?\" (cached: circuit `llm` is open"),
        "{out}"
    );
}
