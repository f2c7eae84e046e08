//! The `tracing` events of a breaker: a `warn` when it opens, an `info` on every other
//! transition, each with the fields name, from, to and failure_count.
//!
//! A binary of its own: `tracing` keeps a process-wide level hint, and subscribers of
//! other tests running in parallel could otherwise lower it under this one.

use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::CircuitBreaker;
use tracing::Level;

#[path = "support/capture.rs"]
mod support;

#[test]
fn every_transition_logs_warn_on_open_and_info_otherwise() {
    let events = support::capture("staunch::breaker", || {
        let fake = FakeClock::new();
        let b = CircuitBreaker::builder("llm")
            .failure_threshold(2)
            .clock(fake.clock())
            .build()
            .unwrap();
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().failure();
        fake.advance(Duration::from_secs(60));
        b.try_acquire().unwrap().success();
    });
    let summary: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.level,
                e.field("name"),
                e.field("from"),
                e.field("to"),
                e.field("failure_count"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Level::WARN, "llm", "closed", "open", "2"),
            (Level::INFO, "llm", "open", "half_open", "2"),
            (Level::INFO, "llm", "half_open", "closed", "0"),
        ]
    );
    assert!(events.iter().all(|e| e.fields.contains_key("message")));
}
