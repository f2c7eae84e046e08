//! `GET /metrics`: the Prometheus text exposition (format 0.0.4) of the breakers.
//!
//! Every scrape gathers its families into a fresh [`prometheus::Registry`] and encodes them
//! with its `TextEncoder`: each family once, with `# HELP` and `# TYPE`, families sorted by
//! name and samples by labels, so two scrapes of the same state are the same text. The
//! families come from two sources:
//!
//! - **Snapshots**, read from the registry at each scrape. They give the gauges
//!   `staunch_circuit_state` (one-hot over the five states), `staunch_circuit_failure_rate`
//!   and `staunch_circuit_slow_call_rate` (omitted while the breaker has no rate), the
//!   counter `staunch_circuit_not_permitted_calls_total` (the snapshot's rejected calls),
//!   and `staunch_settings_fallback` (1 for a breaker running on defaults because its
//!   settings did not load, see [`staunch::settings::fallbacks`]). The dashboard's own
//!   registry listener adds `staunch_circuit_transitions_total`, counted from the moment
//!   the dashboard was built.
//! - **A `metrics` recorder**, optional: the counters that only the call path can count
//!   (`staunch_circuit_calls_total`, `staunch_retry_calls_total`,
//!   `staunch_retry_attempts_total`) exist only when staunch's `metrics` feature reports to
//!   a recorder. Hand its rendering to [`Dashboard::metrics_text`](crate::Dashboard::metrics_text):
//!   its counters and gauges (untyped samples count as gauges) are parsed and served among
//!   the others, with their own help text, staunch's for staunch's families, or the name;
//!   a family it holds is not rendered again from the snapshots. Histograms and summaries
//!   in it are not served.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus::{CounterVec, Encoder, GaugeVec, Opts, Registry, TextEncoder};
use staunch::{CircuitState, RegistrySnapshot};

use crate::state::AppState;

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

/// The help text of staunch's families, for a recorder's text that has none.
const HELP: [(&str, &str); 9] = [
    (
        "staunch_circuit_calls_total",
        "Calls through the circuit, by outcome.",
    ),
    (
        "staunch_circuit_failure_rate",
        "Failure rate of the calls in the window, 0 to 1.",
    ),
    (
        "staunch_circuit_not_permitted_calls_total",
        "Calls rejected because the circuit was open.",
    ),
    (
        "staunch_circuit_slow_call_rate",
        "Slow-call rate of the calls in the window, 0 to 1.",
    ),
    (
        "staunch_circuit_state",
        "1 for the current state of the circuit, 0 for the others.",
    ),
    (
        "staunch_circuit_transitions_total",
        "State transitions of the circuit.",
    ),
    (
        "staunch_retry_attempts_total",
        "Attempts made by retrying calls, the first included.",
    ),
    (
        "staunch_retry_calls_total",
        "Retrying calls, by how they ended.",
    ),
    (
        "staunch_settings_fallback",
        "1 for a circuit running on defaults because its settings did not load.",
    ),
];

/// `GET /metrics`.
pub(crate) async fn render(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], exposition(&state))
}

fn exposition(state: &AppState) -> String {
    let mut out = Families::default();
    if let Some(render) = state.metrics_text() {
        out.add_external(&render());
    }
    write_snapshot_families(&mut out, &state.registry().snapshot());
    write_transitions(&mut out, state);
    write_fallbacks(&mut out, &state.registry().snapshot());
    out.encode()
}

/// A family's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
}

/// One sample: label pairs (sorted by name) and a value.
type Labels = BTreeMap<String, String>;

/// The families of one scrape, before encoding.
#[derive(Debug, Default)]
struct Families {
    families: BTreeMap<String, Family>,
}

#[derive(Debug)]
struct Family {
    kind: Kind,
    help: String,
    samples: Vec<(Labels, f64)>,
}

impl Families {
    /// Adds a family unless one of that name is present or it has no samples.
    fn add(&mut self, name: &str, kind: Kind, help: Option<&str>, samples: Vec<(Labels, f64)>) {
        if samples.is_empty() || self.families.contains_key(name) {
            return;
        }
        let help = help
            .filter(|h| !h.trim().is_empty())
            .map(str::to_owned)
            .or_else(|| {
                HELP.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, h)| (*h).to_owned())
            })
            .unwrap_or_else(|| name.to_owned());
        self.families.insert(
            name.to_owned(),
            Family {
                kind,
                help,
                samples,
            },
        );
    }

    /// Adds the counters and gauges of a recorder's text exposition.
    fn add_external(&mut self, text: &str) {
        let lines = text.lines().map(|line| Ok(line.to_owned()));
        let Ok(scrape) = prometheus_parse::Scrape::parse(lines) else {
            return;
        };
        let mut parsed: BTreeMap<String, (Kind, Vec<(Labels, f64)>)> = BTreeMap::new();
        for sample in scrape.samples {
            let (kind, value) = match sample.value {
                prometheus_parse::Value::Counter(v) => (Kind::Counter, v),
                prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => {
                    (Kind::Gauge, v)
                }
                _ => continue,
            };
            let labels: Labels = sample
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let entry = parsed.entry(sample.metric).or_insert((kind, Vec::new()));
            if entry.0 == kind {
                entry.1.push((labels, value));
            }
        }
        for (name, (kind, samples)) in parsed {
            let help = scrape.docs.get(&name).map(String::as_str);
            self.add(&name, kind, help, samples);
        }
    }

    /// The text exposition: families sorted by name, each with HELP and TYPE.
    fn encode(self) -> String {
        let registry = Registry::new();
        for (name, family) in self.families {
            // A family the encoder refuses (an invalid name from a recorder's text) is left
            // out rather than failing the scrape.
            let _ = register(&registry, &name, family);
        }
        let mut out = Vec::new();
        // Encoding valid families into memory cannot fail; an empty answer if it ever did.
        if TextEncoder::new()
            .encode(&registry.gather(), &mut out)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

fn register(registry: &Registry, name: &str, family: Family) -> prometheus::Result<()> {
    let label_names: BTreeSet<&str> = family
        .samples
        .iter()
        .flat_map(|(labels, _)| labels.keys().map(String::as_str))
        .collect();
    let label_names: Vec<&str> = label_names.into_iter().collect();
    let opts = Opts::new(name, family.help);
    let values = |labels: &Labels| -> Vec<String> {
        label_names
            .iter()
            .map(|n| labels.get(*n).cloned().unwrap_or_default())
            .collect()
    };
    match family.kind {
        Kind::Counter => {
            let vec = CounterVec::new(opts, &label_names)?;
            for (labels, value) in &family.samples {
                let values = values(labels);
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                if value.is_finite() && *value >= 0.0 {
                    vec.get_metric_with_label_values(&values)?.inc_by(*value);
                }
            }
            registry.register(Box::new(vec))
        }
        Kind::Gauge => {
            let vec = GaugeVec::new(opts, &label_names)?;
            for (labels, value) in &family.samples {
                let values = values(labels);
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                vec.get_metric_with_label_values(&values)?.set(*value);
            }
            registry.register(Box::new(vec))
        }
    }
}

fn labels<const N: usize>(pairs: [(&str, &str); N]) -> Labels {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn write_snapshot_families(out: &mut Families, snapshot: &RegistrySnapshot) {
    let breakers = &snapshot.0;
    let states = breakers
        .iter()
        .flat_map(|(name, s)| {
            ALL_STATES.iter().map(move |state| {
                let labels = labels([("name", name), ("state", state.as_str())]);
                (labels, f64::from(u8::from(s.state == *state)))
            })
        })
        .collect();
    out.add("staunch_circuit_state", Kind::Gauge, None, states);
    let rate = |f: fn(&staunch::Snapshot) -> Option<f64>| {
        breakers
            .iter()
            .filter_map(|(name, s)| Some((labels([("name", name)]), f(s)?)))
            .collect()
    };
    out.add(
        "staunch_circuit_failure_rate",
        Kind::Gauge,
        None,
        rate(|s| s.failure_rate),
    );
    out.add(
        "staunch_circuit_slow_call_rate",
        Kind::Gauge,
        None,
        rate(|s| s.slow_call_rate),
    );
    let rejected = breakers
        .iter()
        // Counts beyond 2^53 lose precision as f64, as in every Prometheus client.
        .map(|(name, s)| (labels([("name", name)]), s.rejected_calls as f64))
        .collect();
    out.add(
        "staunch_circuit_not_permitted_calls_total",
        Kind::Counter,
        None,
        rejected,
    );
}

fn write_transitions(out: &mut Families, state: &AppState) {
    let samples = state
        .hub()
        .transition_counts()
        .into_iter()
        .map(|((name, from, to), count)| {
            let labels = labels([("name", &name), ("from", from), ("to", to)]);
            (labels, count as f64)
        })
        .collect();
    out.add(
        "staunch_circuit_transitions_total",
        Kind::Counter,
        None,
        samples,
    );
}

fn write_fallbacks(out: &mut Families, snapshot: &RegistrySnapshot) {
    let samples = staunch::settings::fallbacks()
        .into_iter()
        .filter(|fallback| snapshot.0.contains_key(&fallback.name))
        .map(|fallback| (labels([("name", &fallback.name)]), 1.0))
        .collect();
    out.add("staunch_settings_fallback", Kind::Gauge, None, samples);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_sorted_with_help_and_type_and_escaped_labels() {
        let mut families = Families::default();
        families.add(
            "z_total",
            Kind::Counter,
            Some("Zs."),
            vec![(labels([("name", "a\"b\\c\nd")]), 2.0)],
        );
        families.add("a", Kind::Gauge, None, vec![(Labels::new(), 0.25)]);
        families.add("empty", Kind::Gauge, None, vec![]);
        assert_eq!(
            families.encode(),
            "# HELP a a\n# TYPE a gauge\na 0.25\n\
             # HELP z_total Zs.\n# TYPE z_total counter\nz_total{name=\"a\\\"b\\\\c\\nd\"} 2\n"
        );
    }

    #[test]
    fn a_recorders_families_win_and_get_staunchs_help() {
        let mut families = Families::default();
        families.add_external(
            "# TYPE staunch_circuit_calls_total counter\n\
             staunch_circuit_calls_total{name=\"x\",kind=\"failed\"} 3\n\
             # TYPE staunch_circuit_state gauge\nstaunch_circuit_state{name=\"x\",state=\"open\"} 1\n",
        );
        families.add(
            "staunch_circuit_state",
            Kind::Gauge,
            None,
            vec![(Labels::new(), 0.0)],
        );
        let text = families.encode();
        assert!(
            text.contains(
                "# HELP staunch_circuit_calls_total Calls through the circuit, by outcome.\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("staunch_circuit_calls_total{kind=\"failed\",name=\"x\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("staunch_circuit_state{name=\"x\",state=\"open\"} 1\n"),
            "{text}"
        );
        assert!(!text.contains("staunch_circuit_state 0"), "{text}");
    }
}
