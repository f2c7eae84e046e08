//! `GET /metrics`: the Prometheus text exposition of the breakers.
//!
//! Two sources feed it:
//!
//! - **Snapshots**, read from the registry at each scrape. They give the gauges
//!   `staunch_circuit_state` (one-hot over the five states), `staunch_circuit_failure_rate`
//!   and `staunch_circuit_slow_call_rate` (omitted while the breaker has no rate), and the
//!   counter `staunch_circuit_not_permitted_calls_total` (the snapshot's rejected calls).
//!   The dashboard's own registry listener adds `staunch_circuit_transitions_total`, counted
//!   from the moment the dashboard was built.
//! - **A `metrics` recorder**, optional: the counters that only the call path can count
//!   (`staunch_circuit_calls_total`, `staunch_retry_calls_total`,
//!   `staunch_retry_attempts_total`) exist only when staunch's `metrics` feature reports to
//!   a recorder. Hand its rendering to [`Dashboard::metrics_text`](crate::Dashboard::metrics_text)
//!   and it is served first; any family it already holds is not rendered again from the
//!   snapshots, so each family appears once.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use staunch::{CircuitState, RegistrySnapshot};

use crate::state::AppState;

mod text;

use text::{Exposition, Kind, Sample};

/// The content type of the text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Every state a breaker can be in, for the one-hot state gauge.
const ALL_STATES: [CircuitState; 5] = [
    CircuitState::Closed,
    CircuitState::Open,
    CircuitState::HalfOpen,
    CircuitState::ForcedOpen,
    CircuitState::Disabled,
];

/// `GET /metrics`.
pub(crate) async fn render(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], exposition(&state))
}

fn exposition(state: &AppState) -> String {
    let external = state
        .metrics_text()
        .map(|render| render())
        .unwrap_or_default();
    let mut out = Exposition::with_external(external);
    let snapshot = state.registry().snapshot();
    write_snapshot_families(&mut out, &snapshot);
    write_transitions(&mut out, state);
    out.finish()
}

fn write_snapshot_families(out: &mut Exposition, snapshot: &RegistrySnapshot) {
    let breakers = &snapshot.0;
    let states: Vec<Sample> = breakers
        .iter()
        .flat_map(|(name, s)| {
            ALL_STATES.iter().map(move |state| {
                let labels = vec![("name", name.clone()), ("state", state.as_str().to_owned())];
                Sample::new(labels, f64::from(u8::from(s.state == *state)))
            })
        })
        .collect();
    out.family(
        "staunch_circuit_state",
        Kind::Gauge,
        "1 for the current state of the circuit, 0 for the others.",
        &states,
    );
    let rate = |f: fn(&staunch::Snapshot) -> Option<f64>| -> Vec<Sample> {
        breakers
            .iter()
            .filter_map(|(name, s)| Some(Sample::new(vec![("name", name.clone())], f(s)?)))
            .collect()
    };
    out.family(
        "staunch_circuit_failure_rate",
        Kind::Gauge,
        "Failure rate of the calls in the window, 0 to 1.",
        &rate(|s| s.failure_rate),
    );
    out.family(
        "staunch_circuit_slow_call_rate",
        Kind::Gauge,
        "Slow-call rate of the calls in the window, 0 to 1.",
        &rate(|s| s.slow_call_rate),
    );
    let rejected: Vec<Sample> = breakers
        .iter()
        // Counts beyond 2^53 lose precision as f64, as in every Prometheus client.
        .map(|(name, s)| Sample::new(vec![("name", name.clone())], s.rejected_calls as f64))
        .collect();
    out.family(
        "staunch_circuit_not_permitted_calls_total",
        Kind::Counter,
        "Calls rejected because the circuit was open.",
        &rejected,
    );
}

fn write_transitions(out: &mut Exposition, state: &AppState) {
    let samples: Vec<Sample> = state
        .hub()
        .transition_counts()
        .into_iter()
        .map(|((name, from, to), count)| {
            let labels = vec![
                ("name", name),
                ("from", from.to_owned()),
                ("to", to.to_owned()),
            ];
            Sample::new(labels, count as f64)
        })
        .collect();
    out.family(
        "staunch_circuit_transitions_total",
        Kind::Counter,
        "State transitions of the circuit.",
        &samples,
    );
}
