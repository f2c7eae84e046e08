//! The read-only JSON API: every breaker, one breaker with its recent transitions.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use staunch::{RegistrySnapshot, Snapshot, Transition};

use crate::error::ApiError;
use crate::events::{millis, TransitionRecord};
use crate::state::AppState;

/// `GET /api/v1/circuits`: `{"llm": {"state": "closed", "failure_count": 0, ...}, ...}`.
pub(crate) async fn list(State(state): State<AppState>) -> Json<RegistrySnapshot> {
    Json(state.registry().snapshot())
}

/// One breaker and its recent transitions, oldest first.
#[derive(Debug, Serialize)]
pub(crate) struct Detail {
    #[serde(flatten)]
    snapshot: Snapshot,
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
