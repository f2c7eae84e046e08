//! The `tracing` events of a retry: one `debug` per retry, one `warn` on giving up.

use staunch::test_util::FakeClock;
use staunch::{BlockingRetryable, RetryPolicy};
use tracing::Level;

#[path = "../support/capture.rs"]
pub(crate) mod support;

use support::Captured;

fn capture(f: impl FnOnce()) -> Vec<Captured> {
    support::capture("staunch::retry", f)
}

fn field<'a>(event: &'a Captured, name: &str) -> &'a str {
    event.field(name)
}

#[test]
fn each_retry_is_a_debug_event_and_giving_up_a_warning() {
    let policy = RetryPolicy::builder().name("db").build().unwrap();
    let fake = FakeClock::new();
    let events = capture(|| {
        let _ = (|| Err::<(), _>("refused"))
            .retry_blocking(policy)
            .clock(fake.clock())
            .call();
    });
    assert_eq!(events.len(), 3, "{events:#?}");
    for (event, (attempt, delay_ms)) in events.iter().zip([("1", "1000"), ("2", "2000")]) {
        assert_eq!(event.level, Level::DEBUG);
        assert_eq!(field(event, "message"), "retrying");
        assert_eq!(field(event, "name"), "db");
        assert_eq!(field(event, "attempt"), attempt);
        assert_eq!(field(event, "delay_ms"), delay_ms);
        assert_eq!(field(event, "error"), "Some(\"refused\")");
        assert_eq!(field(event, "reason"), "error");
    }
    let last = &events[2];
    assert_eq!(last.level, Level::WARN);
    assert_eq!(field(last, "message"), "gave up");
    assert_eq!(field(last, "layer"), "retry");
    assert_eq!(field(last, "attempts"), "3");
    assert_eq!(field(last, "elapsed_ms"), "3000");
    assert_eq!(field(last, "reason"), "exhausted");
}

#[test]
fn a_non_retryable_error_is_only_a_debug_event() {
    let events = capture(|| {
        let _ = (|| Err::<(), _>("bad request"))
            .retry_blocking(RetryPolicy::default())
            .when(|_: &&str| false)
            .call();
    });
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].level, Level::DEBUG);
    assert_eq!(field(&events[0], "reason"), "not_retryable");
}

#[test]
fn success_after_retries_is_reported_and_a_first_success_is_silent() {
    let fake = FakeClock::new();
    let mut calls = 0;
    let events = capture(|| {
        let _ = (|| {
            calls += 1;
            if calls < 2 {
                Err("busy")
            } else {
                Ok(())
            }
        })
        .retry_blocking(RetryPolicy::default())
        .clock(fake.clock())
        .call();
    });
    let messages: Vec<_> = events.iter().map(|e| field(e, "message")).collect();
    assert_eq!(messages, ["retrying", "call succeeded after retrying"]);
    assert_eq!(field(&events[1], "attempts"), "2");

    let events = capture(|| {
        let _ = RetryPolicy::default().call_blocking(|| Ok::<_, ()>(()));
    });
    assert!(events.is_empty(), "{events:#?}");
}
