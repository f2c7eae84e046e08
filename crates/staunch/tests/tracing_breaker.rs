//! The `tracing` events of a breaker: a `warn` when it opens, an `info` on every other
//! transition, each with the fields name, from, to and failure_count.
//!
//! A binary of its own: `tracing` keeps a process-wide level hint, and subscribers of
//! other tests running in parallel could otherwise lower it under this one.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::CircuitBreaker;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

type Captured = (Level, BTreeMap<String, String>);

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if !event.metadata().target().starts_with("staunch::breaker") {
            return;
        }
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0
            .lock()
            .unwrap()
            .push((*event.metadata().level(), fields));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn every_transition_logs_warn_on_open_and_info_otherwise() {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
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
    let events = capture.0.lock().unwrap().clone();
    let summary: Vec<_> = events
        .iter()
        .map(|(level, f)| {
            (
                *level,
                f["name"].as_str(),
                f["from"].as_str(),
                f["to"].as_str(),
                f["failure_count"].as_str(),
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
    assert!(events.iter().all(|(_, f)| f.contains_key("message")));
}
