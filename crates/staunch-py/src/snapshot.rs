//! The state of every registered breaker, in the shape of the seed's dashboard.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use staunch::{Registry, Snapshot};

use crate::breaker::state_name;

/// One breaker: the seed's `state` and `failure_count`, then the core's counters
/// (durations in seconds).
pub(crate) fn breaker_dict<'py>(py: Python<'py>, snap: &Snapshot) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("state", state_name(snap.state, snap.retry_in))?;
    dict.set_item("failure_count", snap.failure_count)?;
    dict.set_item("failure_rate", snap.failure_rate)?;
    dict.set_item("rejected_calls", snap.rejected_calls)?;
    dict.set_item("time_in_state", snap.time_in_state.as_secs_f64())?;
    dict.set_item("retry_in", snap.retry_in.map(|d| d.as_secs_f64()))?;
    dict.set_item("consecutive_trips", snap.consecutive_trips)?;
    Ok(dict)
}

/// `{"llm": {"state": "closed", "failure_count": 0, ...}, ...}` for every breaker in the
/// process-wide registry: the presets and every breaker given a name.
#[pyfunction]
pub(crate) fn snapshot(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let all = PyDict::new(py);
    for (name, snap) in &Registry::global().snapshot().0 {
        all.set_item(name, breaker_dict(py, snap)?)?;
    }
    Ok(all)
}
