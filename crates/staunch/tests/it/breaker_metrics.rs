//! The `staunch_circuit_*` metrics (feature `metrics`), read back from a test recorder.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, Key, KeyName, Metadata, Recorder, SharedString,
    Unit,
};
use staunch::test_util::FakeClock;
use staunch::CircuitBreaker;

#[derive(Debug, Default)]
struct Cell(AtomicU64);

impl CounterFn for Cell {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::Relaxed);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }
}

impl GaugeFn for Cell {
    fn increment(&self, value: f64) {
        self.set(f64::from_bits(self.0.load(Ordering::Relaxed)) + value);
    }
    fn decrement(&self, value: f64) {
        self.set(f64::from_bits(self.0.load(Ordering::Relaxed)) - value);
    }
    fn set(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }
}

/// Every metric by `name{label=value,...}`.
#[derive(Debug, Default)]
struct Book(Mutex<BTreeMap<String, Arc<Cell>>>);

impl Book {
    fn cell(&self, key: &Key) -> Arc<Cell> {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        let id = format!("{}{{{}}}", key.name(), labels.join(","));
        self.0.lock().unwrap().entry(id).or_default().clone()
    }
    fn counter(&self, id: &str) -> u64 {
        self.0
            .lock()
            .unwrap()
            .get(id)
            .map_or(0, |c| c.0.load(Ordering::Relaxed))
    }
    fn gauge(&self, id: &str) -> f64 {
        self.0
            .lock()
            .unwrap()
            .get(id)
            .map_or(f64::NAN, |c| f64::from_bits(c.0.load(Ordering::Relaxed)))
    }
}

impl Recorder for Book {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.cell(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.cell(key))
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

#[test]
fn calls_rejections_transitions_states_and_rates_are_exported() {
    let book = Book::default();
    metrics::with_local_recorder(&book, || {
        let fake = FakeClock::new();
        let b = CircuitBreaker::builder("llm")
            .count_window(4)
            .slow_calls(Duration::from_secs(1), 1.0)
            .clock(fake.clock())
            .build()
            .unwrap();
        b.try_acquire().unwrap().success();
        let slow = b.try_acquire().unwrap();
        fake.advance(Duration::from_secs(2));
        slow.success();
        b.try_acquire().unwrap().ignore();
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().failure();
        assert!(b.try_acquire().is_err());

        let calls = |kind: &str| {
            book.counter(&format!(
                "staunch_circuit_calls_total{{name=llm,kind={kind}}}"
            ))
        };
        assert_eq!(
            (
                calls("successful"),
                calls("slow"),
                calls("failed"),
                calls("ignored")
            ),
            (2, 1, 2, 1)
        );
        assert_eq!(
            book.counter("staunch_circuit_not_permitted_calls_total{name=llm}"),
            1
        );
        assert_eq!(
            book.counter("staunch_circuit_transitions_total{name=llm,from=closed,to=open}"),
            1
        );
        assert_eq!(
            book.gauge("staunch_circuit_state{name=llm,state=open}"),
            1.0
        );
        assert_eq!(
            book.gauge("staunch_circuit_state{name=llm,state=closed}"),
            0.0
        );
        assert_eq!(book.gauge("staunch_circuit_failure_rate{name=llm}"), 0.5);
        assert_eq!(book.gauge("staunch_circuit_slow_call_rate{name=llm}"), 0.25);
    });
}
