//! Python callbacks on a breaker's transitions.

use pyo3::prelude::*;
use staunch::{CircuitBreaker, Event};

/// Calls `callback(name, from, to)` (lower-case state names) on every transition of
/// `breaker`. Transitions happen inside calls and `reset()` made from Python, so the
/// callback runs on the calling thread, which holds the GIL; an exception it raises is
/// reported as unraisable and does not disturb the call.
pub(crate) fn on_transition(breaker: &CircuitBreaker, callback: Py<PyAny>) {
    breaker.add_listener(move |event| {
        if let Event::Transition(transition) = event {
            Python::attach(|py| {
                let args = (
                    transition.name.as_str(),
                    transition.from.as_str(),
                    transition.to.as_str(),
                );
                if let Err(error) = callback.call1(py, args) {
                    error.write_unraisable(py, Some(callback.bind(py)));
                }
            });
        }
    });
}

/// Logs the transitions of a breaker the package made (once per core breaker).
pub(crate) fn log(py: Python<'_>, breaker: &CircuitBreaker) {
    if let Some(log) = crate::errors::log_transition(py) {
        on_transition(breaker, log);
    }
}
