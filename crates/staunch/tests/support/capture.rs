//! A `tracing` subscriber that records every event with its level, target and fields,
//! for tests of the events the library emits.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One event: its level, its target and its fields as text (`message` included).
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    pub(crate) level: Level,
    pub(crate) target: String,
    pub(crate) fields: BTreeMap<String, String>,
}

impl Captured {
    /// The text of field `name`, or `<missing>`.
    pub(crate) fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("<missing>", String::as_str)
    }
}

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
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let meta = event.metadata();
        self.0.lock().unwrap().push(Captured {
            level: *meta.level(),
            target: meta.target().to_string(),
            fields,
        });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Runs `f` under a capturing subscriber and returns the events whose target starts
/// with `target`.
pub(crate) fn capture(target: &str, f: impl FnOnce()) -> Vec<Captured> {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        // Other tests in the same binary may have cached callsite interest without a
        // subscriber; recompute it under this one.
        tracing::callsite::rebuild_interest_cache();
        f();
    });
    let events = capture.0.lock().unwrap().clone();
    events
        .into_iter()
        .filter(|e| e.target.starts_with(target))
        .collect()
}
