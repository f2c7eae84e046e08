//! The exceptions a call can end with, and the log of transitions. The classes and the
//! log function are defined in Python (`staunch/__init__.py`), which hands them over at
//! import with `_bind`.

use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use staunch::{CircuitOpen, ConfigError};

static CIRCUIT_BREAKER_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static MAKE_RETRY_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static LOG_TRANSITION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Hands over `CircuitBreakerError`, the factory of `RetryError`s
/// (`make_retry_error(attempts, elapsed_seconds, last_exception)`) and the function that
/// logs every transition of every breaker (`log_transition(name, from, to)`).
#[pyfunction]
pub(crate) fn _bind(
    py: Python<'_>,
    circuit_breaker_error: Py<PyAny>,
    make_retry_error: Py<PyAny>,
    log_transition: Py<PyAny>,
) -> PyResult<()> {
    let first = CIRCUIT_BREAKER_ERROR.set(py, circuit_breaker_error).is_ok();
    let second = MAKE_RETRY_ERROR.set(py, make_retry_error).is_ok();
    let third = LOG_TRANSITION.set(py, log_transition).is_ok();
    if first && second && third {
        Ok(())
    } else {
        Err(PyRuntimeError::new_err(
            "staunch: exception classes bound twice",
        ))
    }
}

fn bound(py: Python<'_>, slot: &PyOnceLock<Py<PyAny>>) -> PyResult<Py<PyAny>> {
    slot.get(py)
        .map(|object| object.clone_ref(py))
        .ok_or_else(|| PyRuntimeError::new_err("staunch: import `staunch`, not `staunch._staunch`"))
}

/// The `CircuitBreakerError` for a rejection: the message of the core, with `name` and
/// `retry_after` (seconds until the next probe, or `None`) as attributes.
pub(crate) fn circuit_open(py: Python<'_>, open: &CircuitOpen) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = bound(py, &CIRCUIT_BREAKER_ERROR)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("name", open.name())?;
        kwargs.set_item("retry_after", open.retry_after().map(|d| d.as_secs_f64()))?;
        let error = class.bind(py).call((open.to_string(),), Some(&kwargs))?;
        Ok(PyErr::from_value(error))
    };
    build().unwrap_or_else(|error| error)
}

/// The `RetryError` that ends a call whose attempts ran out; `last` becomes its cause.
pub(crate) fn retry_error(py: Python<'_>, attempts: u32, elapsed: Duration, last: PyErr) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let make = bound(py, &MAKE_RETRY_ERROR)?;
        let error = make
            .bind(py)
            .call1((attempts, elapsed.as_secs_f64(), last.value(py)))?;
        Ok(PyErr::from_value(error))
    };
    build().unwrap_or_else(|error| error)
}

/// The transition log, once bound.
pub(crate) fn log_transition(py: Python<'_>) -> Option<Py<PyAny>> {
    LOG_TRANSITION.get(py).map(|log| log.clone_ref(py))
}

/// A `ValueError` for a bad setting, naming it as the Python caller spelled it.
pub(crate) fn config(error: &ConfigError, renames: &[(&str, &str)]) -> PyErr {
    let field = renames
        .iter()
        .find(|(core, _)| *core == error.field())
        .map_or(error.field(), |(_, python)| python);
    let reason = error
        .reason()
        .replace("wait_max", renames_get(renames, "wait_max"));
    PyValueError::new_err(format!("invalid {field} `{}`: {reason}", error.value()))
}

fn renames_get<'a>(renames: &[(&str, &'a str)], core: &'a str) -> &'a str {
    renames
        .iter()
        .find(|(from, _)| *from == core)
        .map_or(core, |(_, to)| to)
}

/// A duration in seconds from Python, or a `ValueError` naming the argument.
pub(crate) fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    if value.is_finite() && value >= 0.0 {
        if let Ok(duration) = Duration::try_from_secs_f64(value) {
            return Ok(duration);
        }
    }
    Err(PyValueError::new_err(format!(
        "invalid {name} `{value}`: must be a finite, non-negative number of seconds"
    )))
}

/// The seed's `exception_types` / `expected_exception`: one exception class or a tuple of
/// them, returned as a tuple for `isinstance`. Anything else is a `TypeError` naming the
/// argument.
pub(crate) fn exception_types(argument: &str, value: &Bound<'_, PyAny>) -> PyResult<Py<PyTuple>> {
    let py = value.py();
    let base = py.get_type::<pyo3::exceptions::PyBaseException>();
    let is_exception_class = |item: &Bound<'_, PyAny>| {
        item.cast::<PyType>()
            .is_ok_and(|class| class.is_subclass(&base).unwrap_or(false))
    };
    let tuple = match value.cast::<PyTuple>() {
        Ok(tuple) => tuple.clone(),
        Err(_) => PyTuple::new(py, [value])?,
    };
    if tuple.iter().all(|item| is_exception_class(&item)) {
        return Ok(tuple.unbind());
    }
    let shown = value.repr().map(|r| r.to_string()).unwrap_or_default();
    Err(PyTypeError::new_err(format!(
        "invalid {argument} `{shown}`: must be an exception class or a tuple of exception classes"
    )))
}
