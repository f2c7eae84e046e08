//! The `staunch_circuit_*` metrics of one breaker, through the `metrics` facade.
//!
//! Handles are registered once when the breaker is built, so counting a call is one
//! handle increment (a no-op without an installed recorder) and never builds a key.

use metrics::{counter, gauge, Counter, Gauge};

use super::state::CircuitState;
use super::window::{Counts, Thresholds};
use super::word::Kind;

#[derive(Debug)]
pub(crate) struct Metrics {
    name: String,
    successful: Counter,
    failed: Counter,
    slow: Counter,
    pub(crate) ignored: Counter,
    pub(crate) not_permitted: Counter,
    states: [Gauge; 5],
    failure_rate: Gauge,
    slow_call_rate: Gauge,
}

impl Metrics {
    pub(crate) fn new(name: &str) -> Self {
        let calls = |kind: &'static str| counter!("staunch_circuit_calls_total", "name" => name.to_owned(), "kind" => kind);
        let states = CircuitState::ALL.map(|state| {
            gauge!("staunch_circuit_state", "name" => name.to_owned(), "state" => state.as_str())
        });
        states[0].set(1.0);
        Self {
            name: name.to_owned(),
            successful: calls("successful"),
            failed: calls("failed"),
            slow: calls("slow"),
            ignored: calls("ignored"),
            not_permitted: counter!("staunch_circuit_not_permitted_calls_total", "name" => name.to_owned()),
            states,
            failure_rate: gauge!("staunch_circuit_failure_rate", "name" => name.to_owned()),
            slow_call_rate: gauge!("staunch_circuit_slow_call_rate", "name" => name.to_owned()),
        }
    }

    pub(crate) fn count(&self, kind: Kind) {
        match kind {
            Kind::Success => self.successful.increment(1),
            Kind::Slow => {
                self.successful.increment(1);
                self.slow.increment(1);
            }
            Kind::Failure => self.failed.increment(1),
            Kind::Released => self.ignored.increment(1),
        }
    }

    pub(crate) fn rates(&self, thresholds: &Thresholds, counts: Counts) {
        if let Some(rate) = thresholds.rate(counts.failures, counts) {
            self.failure_rate.set(rate);
        }
        if let Some(rate) = thresholds.rate(counts.slow, counts) {
            self.slow_call_rate.set(rate);
        }
    }

    pub(crate) fn transition(&self, from: CircuitState, to: CircuitState) {
        for (state, gauge) in CircuitState::ALL.iter().zip(&self.states) {
            gauge.set(if *state == to { 1.0 } else { 0.0 });
        }
        counter!(
            "staunch_circuit_transitions_total",
            "name" => self.name.clone(),
            "from" => from.as_str(),
            "to" => to.as_str()
        )
        .increment(1);
    }
}
