//! The read-only JSON API: every breaker, one breaker with its recent transitions.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use staunch::{RegistrySnapshot, Snapshot, Transition};

use crate::error::ApiError;
use crate::events::{millis, TransitionRecord};
use crate::state::AppState;

/// `GET /api/v1/circuits`: `{"llm": {"state": "closed", "failure_count": 0, ...}, ...}`,
/// with `settings_error` on a breaker whose settings did not load.
pub(crate) async fn list(State(state): State<AppState>) -> Json<serde_json::Value> {
    let mut value = with_settings_errors(&state.registry().snapshot());
    if let Some(breakers) = value.as_object_mut() {
        for (name, breaker) in breakers.iter_mut() {
            let shared = state.registry().get(name).and_then(|b| shared(&b));
            if let (Some(shared), serde_json::Value::Object(breaker)) = (shared, breaker) {
                breaker.insert("shared".to_owned(), shared);
            }
        }
    }
    if let Some(render) = state.metrics_text() {
        add_call_counts(&mut value, &render());
    }
    Json(value)
}

/// `{"kind": "redis", "connected": true, "fleet_state": "open", "replicas": 3,
/// "generation": 7}` for a breaker that shares its state (an authority reports it).
fn shared(breaker: &staunch::CircuitBreaker) -> Option<serde_json::Value> {
    let status = breaker.authority_status()?;
    Some(serde_json::json!({
        "kind": status.kind,
        "connected": status.connected,
        "fleet_state": status.state.map(|s| s.as_str()),
        "replicas": status.members,
        "generation": status.generation,
    }))
}

/// Adds `calls_total` and `failures_total` (counted since the process started) to each
/// breaker that a `metrics` recorder's text counts in `staunch_circuit_calls_total`: calls
/// are the successful, failed and ignored ones, failures the failed ones. The page draws
/// its charts from their changes.
fn add_call_counts(value: &mut serde_json::Value, text: &str) {
    let lines = text.lines().map(|line| Ok(line.to_owned()));
    let Ok(scrape) = prometheus_parse::Scrape::parse(lines) else {
        return;
    };
    let Some(breakers) = value.as_object_mut() else {
        return;
    };
    for sample in scrape.samples {
        if sample.metric != "staunch_circuit_calls_total" {
            continue;
        }
        let prometheus_parse::Value::Counter(count) = sample.value else {
            continue;
        };
        let (Some(name), Some(kind)) = (sample.labels.get("name"), sample.labels.get("kind"))
        else {
            continue;
        };
        let Some(serde_json::Value::Object(breaker)) = breakers.get_mut(name) else {
            continue;
        };
        let mut add = |field: &str| {
            let total = breaker.get(field).and_then(serde_json::Value::as_f64);
            breaker.insert(field.to_owned(), (total.unwrap_or(0.0) + count).into());
        };
        match kind {
            "successful" | "ignored" => add("calls_total"),
            "failed" => {
                add("calls_total");
                add("failures_total");
            }
            _ => {}
        }
    }
}

/// The registry's snapshot as JSON, with `"settings_error": "<message>"` added to each
/// breaker that runs on defaults because its settings did not load (see
/// [`staunch::settings::fallbacks`]), matched by name.
pub(crate) fn with_settings_errors(snapshot: &RegistrySnapshot) -> serde_json::Value {
    let mut value = serde_json::to_value(snapshot).unwrap_or_default();
    if let Some(breakers) = value.as_object_mut() {
        for fallback in staunch::settings::fallbacks() {
            if let Some(serde_json::Value::Object(breaker)) = breakers.get_mut(&fallback.name) {
                breaker.insert(
                    "settings_error".to_owned(),
                    fallback.error.to_string().into(),
                );
            }
        }
    }
    value
}

/// The message of the settings fallback of the breaker `name`, if it has one.
fn settings_error(name: &str) -> Option<String> {
    staunch::settings::fallbacks()
        .into_iter()
        .find(|fallback| fallback.name == name)
        .map(|fallback| fallback.error.to_string())
}

/// One breaker and its recent transitions, oldest first.
#[derive(Debug, Serialize)]
pub(crate) struct Detail {
    #[serde(flatten)]
    snapshot: Snapshot,
    /// Why the breaker runs on defaults, when its settings did not load.
    #[serde(skip_serializing_if = "Option::is_none")]
    settings_error: Option<String>,
    /// The fleet's view, for a breaker that shares its state.
    #[serde(skip_serializing_if = "Option::is_none")]
    shared: Option<serde_json::Value>,
    recent_transitions: Vec<RecentTransition>,
}

/// A past transition with its age, so that clients need not know the breaker's clock.
#[derive(Debug, Serialize)]
struct RecentTransition {
    #[serde(flatten)]
    transition: TransitionRecord,
    /// Milliseconds between the transition and the snapshot.
    ago_ms: u64,
}

/// `GET /api/v1/circuits/{name}`.
pub(crate) async fn one(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Detail>, ApiError> {
    let breaker = state.registry().get(&name).ok_or(ApiError::NotFound)?;
    let snapshot = breaker.snapshot();
    let transitions = breaker.recent_transitions();
    let recent_transitions = with_ages(&snapshot, &transitions);
    Ok(Json(Detail {
        settings_error: settings_error(&name),
        shared: shared(&breaker),
        snapshot,
        recent_transitions,
    }))
}

/// The breaker's "now" is the last transition plus the time spent in the state it entered;
/// every age is measured from there. Without transitions there is nothing to date.
fn with_ages(snapshot: &Snapshot, transitions: &[Transition]) -> Vec<RecentTransition> {
    let now = transitions.last().map_or(Duration::ZERO, |last| {
        last.at.saturating_add(snapshot.time_in_state)
    });
    transitions
        .iter()
        .map(|t| RecentTransition {
            transition: TransitionRecord::new(t),
            ago_ms: millis(now.saturating_sub(t.at)),
        })
        .collect()
}
