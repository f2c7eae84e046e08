//! `RetrySpec`: a decorator's retry settings, checked once when the decorator is made,
//! and `Progress`: one call's way through them.

use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString, PyTuple};
use staunch::backoff::Delays;
use staunch::{Backoff, CircuitOpen, Clock, Jitter, RetryPolicy};

use crate::clock::process_clock;
use crate::errors::{circuit_open, config, exception_types, retry_error};

/// The retry half of a decorator: attempts, backoff and the exception classes retried.
#[pyclass(module = "staunch._staunch", frozen)]
pub(crate) struct RetrySpec {
    pub(crate) max_attempts: u32,
    pub(crate) backoff: Backoff,
    pub(crate) retry_on: Py<PyTuple>,
}

/// `jitter=True`/`False`, or a mode's name.
fn jitter(value: &Bound<'_, PyAny>) -> PyResult<Jitter> {
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(if flag.is_true() {
            Jitter::Full
        } else {
            Jitter::None
        });
    }
    let shown = value.repr().map(|r| r.to_string()).unwrap_or_default();
    let name: String = value
        .cast::<PyString>()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "invalid jitter `{shown}`: must be True, False, \"full\", \"equal\", \"decorrelated\" or \"none\""
            ))
        })?
        .extract()?;
    match name.as_str() {
        "full" => Ok(Jitter::Full),
        "equal" => Ok(Jitter::Equal),
        "decorrelated" => Ok(Jitter::Decorrelated),
        "none" => Ok(Jitter::None),
        _ => Err(PyValueError::new_err(format!(
            "invalid jitter `{shown}`: must be True, False, \"full\", \"equal\", \"decorrelated\" or \"none\""
        ))),
    }
}

#[pymethods]
impl RetrySpec {
    /// `names` are the caller's spellings of the first wait and the cap
    /// (`("wait_min", "wait_max")` or `("base_wait", "max_wait")`), for error messages.
    #[new]
    #[pyo3(signature = (max_attempts, wait_min, wait_max, jitter_mode, retry_on, names=None))]
    fn new(
        max_attempts: i64,
        wait_min: f64,
        wait_max: f64,
        jitter_mode: &Bound<'_, PyAny>,
        retry_on: &Bound<'_, PyAny>,
        names: Option<(String, String)>,
    ) -> PyResult<Self> {
        let (first, cap) = names.unwrap_or(("wait_min".into(), "wait_max".into()));
        let attempts = u32::try_from(max_attempts).map_err(|_| {
            PyValueError::new_err(format!(
                "invalid max_attempts `{max_attempts}`: must be at least 1"
            ))
        })?;
        let renames = [("wait_min", first.as_str()), ("wait_max", cap.as_str())];
        let policy = RetryPolicy::builder()
            .max_attempts(attempts)
            .wait_min_secs(wait_min)
            .wait_max_secs(wait_max)
            .jitter(jitter(jitter_mode)?)
            .build()
            .map_err(|error| config(&error, &renames))?;
        let retry_on = exception_types("exception_types", retry_on)?;
        Ok(Self {
            max_attempts: policy.max_attempts(),
            backoff: policy.backoff(),
            retry_on,
        })
    }

    /// The state of one call through these settings (used by the async wrappers).
    fn start(slf: &Bound<'_, Self>) -> Run {
        Run {
            progress: Progress::start(slf.get()),
            spec: slf.clone().unbind(),
        }
    }

    #[getter]
    fn max_attempts(&self) -> u32 {
        self.max_attempts
    }
}

/// One call's progress: the attempt under way, the waits handed out, the last error.
pub(crate) struct Progress {
    max_attempts: u32,
    backoff: Backoff,
    clock: Clock,
    start: Duration,
    attempt: u32,
    delays: Option<Delays>,
    last: Option<PyErr>,
}

impl Progress {
    pub(crate) fn start(spec: &RetrySpec) -> Self {
        let clock = process_clock();
        Self {
            max_attempts: spec.max_attempts,
            backoff: spec.backoff,
            start: clock.now(),
            clock,
            attempt: 1,
            delays: None,
            last: None,
        }
    }

    fn elapsed(&self) -> Duration {
        self.clock.now().saturating_sub(self.start)
    }

    /// The wait before the next attempt, or `None` when this was the last one.
    fn next_wait(&mut self) -> Option<Duration> {
        if self.attempt >= self.max_attempts {
            return None;
        }
        let backoff = self.backoff;
        let delay = self
            .delays
            .get_or_insert_with(|| backoff.iter())
            .next()
            .unwrap_or(backoff.max_delay());
        self.attempt += 1;
        Some(delay)
    }

    /// After an attempt failed with a retryable `error`: the wait before the next
    /// attempt, or the `RetryError` (caused by `error`) once the attempts are spent, or
    /// when the circuit is open (`open_for`: until its next probe) past that wait.
    pub(crate) fn after_failure(
        &mut self,
        py: Python<'_>,
        error: PyErr,
        open_for: Option<Duration>,
    ) -> PyResult<Duration> {
        let attempts = self.attempt;
        match self.next_wait() {
            Some(wait) if !matches!(open_for, Some(until) if until > wait) => {
                self.last = Some(error);
                Ok(wait)
            }
            _ => Err(retry_error(py, attempts, self.elapsed(), error)),
        }
    }

    /// After an open circuit rejected an attempt: wait exactly until its next probe when
    /// that comes no later than the backoff's wait would end; otherwise stop at once
    /// (a retry never sleeps into a circuit that stays open). Stopping raises the
    /// `RetryError` of this call's last failure, or the rejection when none failed.
    pub(crate) fn after_rejection(
        &mut self,
        py: Python<'_>,
        retry_after: Option<Duration>,
        rejection: impl FnOnce() -> PyErr,
    ) -> PyResult<Duration> {
        let attempts = self.attempt;
        if let (Some(wait), Some(until_probe)) = (self.next_wait(), retry_after) {
            if until_probe <= wait {
                return Ok(until_probe);
            }
        }
        Err(match self.last.take() {
            Some(last) => retry_error(py, attempts, self.elapsed(), last),
            None => rejection(),
        })
    }
}

/// After a rejection by `open` (the sync wrappers' form of `after_rejection`).
pub(crate) fn rejected(
    py: Python<'_>,
    progress: &mut Progress,
    open: &CircuitOpen,
) -> PyResult<Duration> {
    progress.after_rejection(py, open.retry_after(), || circuit_open(py, open))
}

/// One async call's progress, driven from Python.
#[pyclass(module = "staunch._staunch")]
pub(crate) struct Run {
    progress: Progress,
    spec: Py<RetrySpec>,
}

#[pymethods]
impl Run {
    /// After the attempt raised `exception`: `None` when it is not retried (re-raise it),
    /// else the seconds to wait; raises `RetryError` once the attempts are spent, or when
    /// the circuit is open for longer than the wait (`open_for`, seconds until the probe).
    #[pyo3(signature = (exception, open_for=None))]
    fn on_error(
        &mut self,
        py: Python<'_>,
        exception: &Bound<'_, PyAny>,
        open_for: Option<f64>,
    ) -> PyResult<Option<f64>> {
        let retry_on = self.spec.get().retry_on.bind(py);
        if !exception.is_instance(retry_on.as_any())? {
            return Ok(None);
        }
        let error = PyErr::from_value(exception.clone());
        let open_for = open_for.and_then(|secs| Duration::try_from_secs_f64(secs).ok());
        self.progress
            .after_failure(py, error, open_for)
            .map(|wait| Some(wait.as_secs_f64()))
    }

    /// After a `CircuitBreakerError`: the seconds to wait until the probe, or raises (the
    /// rejection itself, or the `RetryError` of the last failure).
    fn on_rejected(&mut self, py: Python<'_>, rejection: &Bound<'_, PyAny>) -> PyResult<f64> {
        let retry_after: Option<f64> = rejection.getattr("retry_after")?.extract()?;
        let retry_after = retry_after.and_then(|secs| Duration::try_from_secs_f64(secs).ok());
        self.progress
            .after_rejection(py, retry_after, || PyErr::from_value(rejection.clone()))
            .map(|wait| wait.as_secs_f64())
    }
}
