//! A flaky function retried by the seed's `retry_on_exception` policy on the real clock,
//! with short waits so it finishes in well under a second. Prints each attempt and wait.
//!
//! Run: `cargo run -p staunch-examples --bin retry_schedule`

use std::io;
use std::time::Duration;

use staunch::{BlockingRetryable, Clock, RetryBuilder, RetryPolicy};

/// Fails with a timeout on its first `failures` calls, then succeeds.
fn flaky(calls: &mut u32, failures: u32) -> io::Result<&'static str> {
    *calls += 1;
    if *calls <= failures {
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("call {calls} timed out"),
        ))
    } else {
        Ok("answer")
    }
}

fn run(title: &str, policy: RetryPolicy, failures: u32) {
    println!("{title}");
    let clock = Clock::system();
    let started = clock.now();
    let mut calls = 0;
    let result = (|| flaky(&mut calls, failures))
        .retry_blocking(policy)
        .when(staunch::classify::io::is_transient)
        .notify(|r| {
            let error = r.error().map(ToString::to_string).unwrap_or_default();
            println!(
                "  attempt {} failed ({error}); waiting {} ms",
                r.attempt(),
                r.delay().as_millis()
            );
        })
        .call();
    let took = (clock.now() - started).as_millis();
    match result {
        Ok(value) => println!("  attempt {calls} succeeded: {value} (after {took} ms)"),
        // The retry's message, then its cause: the last attempt's error.
        Err(err) => println!("  {} (after {took} ms)", staunch_examples::report(&err)),
    }
}

fn main() -> Result<(), staunch::ConfigError> {
    // The seed's shape and defaults (3 attempts, doubling waits, capped), scaled from
    // 1 s / 10 s down to 50 ms / 500 ms.
    let quick = RetryBuilder::retry_on_exception()
        .wait_min(Duration::from_millis(50))
        .wait_max(Duration::from_millis(500))
        .build()?;
    run(
        "retry_on_exception, succeeds on the third attempt:",
        quick,
        2,
    );
    run("retry_on_exception, always times out:", quick, u32::MAX);

    let longer = quick.to_builder().max_attempts(6).build()?;
    run(
        "6 attempts: waits double, then stay at wait_max:",
        longer,
        u32::MAX,
    );

    let jittered = RetryBuilder::retry_with_jitter()
        .wait_min(Duration::from_millis(50))
        .wait_max(Duration::from_millis(250))
        .build()?;
    run(
        "retry_with_jitter (full jitter inside [wait_min, wait_max]):",
        jittered,
        4,
    );
    Ok(())
}
