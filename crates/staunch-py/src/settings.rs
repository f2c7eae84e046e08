//! `ResilienceSettings` from `os.environ` (and a `.env` file), with the seed's variables
//! and defaults; a bad value is a `ValueError` naming the variable.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping};
use staunch::ResilienceSettings;

use crate::errors::{config, seconds};

/// The seed's attribute names (its variables in lower case) and the core's field names.
const RENAMES: [(&str, &str); 2] = [
    (
        "circuit_failure_threshold",
        "circuit_breaker_failure_threshold",
    ),
    (
        "circuit_recovery_timeout",
        "circuit_breaker_recovery_timeout",
    ),
];

pub(crate) fn environ(py: Python<'_>) -> PyResult<Bound<'_, PyMapping>> {
    Ok(py
        .import("os")?
        .getattr("environ")?
        .cast_into::<PyMapping>()?)
}

/// `os.environ.get(name)`; anything that is not a string reads as unset.
pub(crate) fn lookup(environ: &Bound<'_, PyMapping>, name: &str) -> Option<String> {
    environ
        .get_item(name)
        .ok()
        .and_then(|value| value.extract::<String>().ok())
}

/// Values given in code, as `ResilienceSettings(retry_max_attempts=5, ...)`.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct InCode {
    circuit_breaker_failure_threshold: Option<i64>,
    circuit_breaker_recovery_timeout: Option<f64>,
    retry_max_attempts: Option<i64>,
    retry_wait_min: Option<f64>,
    retry_wait_max: Option<f64>,
}

fn count(name: &str, value: i64) -> PyResult<u32> {
    u32::try_from(value).map_err(|_| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "invalid {name} `{value}`: must be at least 1"
        ))
    })
}

/// The settings: values in code, then the variables (`os.environ`, then `env_file`), then
/// the seed's defaults, as a dict of the seed's attribute names.
#[pyfunction]
#[pyo3(signature = (in_code, env_file=None))]
pub(crate) fn _settings<'py>(
    py: Python<'py>,
    in_code: InCode,
    env_file: Option<std::path::PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut loader = ResilienceSettings::loader();
    if let Some(value) = in_code.circuit_breaker_failure_threshold {
        loader =
            loader.circuit_failure_threshold(count("circuit_breaker_failure_threshold", value)?);
    }
    if let Some(value) = in_code.circuit_breaker_recovery_timeout {
        loader =
            loader.circuit_recovery_timeout(seconds("circuit_breaker_recovery_timeout", value)?);
    }
    if let Some(value) = in_code.retry_max_attempts {
        loader = loader.retry_max_attempts(count("retry_max_attempts", value)?);
    }
    if let Some(value) = in_code.retry_wait_min {
        loader = loader.retry_wait_min(seconds("retry_wait_min", value)?);
    }
    if let Some(value) = in_code.retry_wait_max {
        loader = loader.retry_wait_max(seconds("retry_wait_max", value)?);
    }
    if let Some(path) = env_file {
        loader = loader.env_file(path);
    }
    let environ = environ(py)?;
    let settings = loader
        .load_from(|name| lookup(&environ, name))
        .map_err(|error| config(&error, &RENAMES))?;
    let secs = Duration::as_secs_f64;
    let dict = PyDict::new(py);
    dict.set_item(
        "circuit_breaker_failure_threshold",
        settings.circuit_failure_threshold,
    )?;
    dict.set_item(
        "circuit_breaker_recovery_timeout",
        secs(&settings.circuit_recovery_timeout),
    )?;
    dict.set_item("retry_max_attempts", settings.retry_max_attempts)?;
    dict.set_item("retry_wait_min", secs(&settings.retry_wait_min))?;
    dict.set_item("retry_wait_max", secs(&settings.retry_wait_max))?;
    Ok(dict)
}
