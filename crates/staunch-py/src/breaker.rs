//! `CircuitBreaker`'s native half: a core breaker built on the process clock, its state,
//! permits for async wrappers and the native wrapper of plain functions.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use staunch::presets::{Preset, DATABASE, LLM, MCP};
use staunch::{CircuitBreaker, CircuitState, OwnedPermit, Registry};

use crate::call::Wrapped;
use crate::clock::process_clock;
use crate::errors::{circuit_open, config, exception_types, seconds};

/// Names of breakers made without one: `circuit-breaker-1`, `-2` …
static UNNAMED: AtomicU64 = AtomicU64::new(1);

/// The seed's state names, with HALF_OPEN once the open period has passed (the core
/// moves to HALF_OPEN lazily, on the next call; the seed reports it at once).
pub(crate) fn state_name(state: CircuitState, retry_in: Option<Duration>) -> &'static str {
    match (state, retry_in) {
        (CircuitState::Open, Some(left)) if left.is_zero() => CircuitState::HalfOpen.as_str(),
        (state, _) => state.as_str(),
    }
}

/// The native base of `staunch.CircuitBreaker`.
#[pyclass(module = "staunch._staunch", name = "Breaker", subclass, frozen)]
pub(crate) struct Breaker {
    pub(crate) core: CircuitBreaker,
    pub(crate) expected: Py<PyTuple>,
    failure_threshold: u32,
    recovery_timeout: f64,
}

impl Breaker {
    /// A breaker named `name` (registered, so it shows in `snapshot()`), or an anonymous one.
    pub(crate) fn build(
        py: Python<'_>,
        failure_threshold: i64,
        recovery_timeout: f64,
        expected: Py<PyTuple>,
        name: Option<String>,
    ) -> PyResult<Self> {
        let threshold = u32::try_from(failure_threshold).map_err(|_| {
            PyValueError::new_err(format!(
                "invalid failure_threshold `{failure_threshold}`: must be at least 1"
            ))
        })?;
        let timeout = seconds("recovery_timeout", recovery_timeout)?;
        let registered = name.is_some();
        let name = name.unwrap_or_else(|| {
            // Relaxed: the counter only needs to hand out distinct numbers.
            format!(
                "circuit-breaker-{}",
                UNNAMED.fetch_add(1, Ordering::Relaxed)
            )
        });
        let core = CircuitBreaker::builder(name)
            .failure_threshold(threshold)
            .recovery_timeout(timeout)
            .clock(process_clock())
            .build()
            .map_err(|error| config(&error, &[]))?;
        crate::listen::log(py, &core);
        if registered {
            Registry::global().insert(core.clone());
        }
        Ok(Self {
            core,
            expected,
            failure_threshold: threshold,
            recovery_timeout,
        })
    }

    fn preset(py: Python<'_>, preset: &str) -> PyResult<Self> {
        let preset = match preset {
            "llm" => LLM,
            "mcp" => MCP,
            "database" => DATABASE,
            other => {
                return Err(PyValueError::new_err(format!(
                    "invalid preset `{other}`: must be \"llm\", \"mcp\" or \"database\""
                )))
            }
        };
        let settings = preset_settings(py, &preset)?;
        let core = Registry::global()
            .get_or_insert_with(preset.name(), || {
                let core = preset
                    .breaker_builder(&settings)
                    .clock(process_clock())
                    .build()?;
                crate::listen::log(py, &core);
                Ok(core)
            })
            .map_err(|error| config(&error, &[]))?;
        let expected = PyTuple::new(py, [py.get_type::<pyo3::exceptions::PyException>()])?;
        Ok(Self {
            core,
            expected: expected.unbind(),
            failure_threshold: settings.circuit_failure_threshold,
            recovery_timeout: settings.circuit_recovery_timeout.as_secs_f64(),
        })
    }
}

/// A preset's settings from `os.environ`; invalid ones are reported as a `RuntimeWarning`
/// naming the variable, and replaced by the preset's defaults.
fn preset_settings(py: Python<'_>, preset: &Preset) -> PyResult<staunch::ResilienceSettings> {
    let environ = crate::settings::environ(py)?;
    match preset.settings_from(|name| crate::settings::lookup(&environ, name)) {
        Ok(settings) => Ok(settings),
        Err(error) => {
            let message = format!(
                "invalid settings for the `{}` preset: {error}; using its defaults",
                preset.name()
            );
            let category = py.get_type::<pyo3::exceptions::PyRuntimeWarning>();
            PyErr::warn(py, &category, &std::ffi::CString::new(message)?, 1)?;
            Ok(preset.defaults())
        }
    }
}

#[pymethods]
impl Breaker {
    #[new]
    #[pyo3(signature = (failure_threshold=5, recovery_timeout=60.0, expected_exception=None, *, name=None, preset=None))]
    fn new(
        py: Python<'_>,
        failure_threshold: i64,
        recovery_timeout: f64,
        expected_exception: Option<&Bound<'_, PyAny>>,
        name: Option<String>,
        preset: Option<&str>,
    ) -> PyResult<Self> {
        if let Some(preset) = preset {
            return Self::preset(py, preset);
        }
        let expected = match expected_exception {
            Some(types) => exception_types("expected_exception", types)?,
            None => PyTuple::new(py, [py.get_type::<pyo3::exceptions::PyException>()])?.unbind(),
        };
        Self::build(py, failure_threshold, recovery_timeout, expected, name)
    }

    /// The state's lower-case name (`"closed"`, `"open"`, `"half_open"` …).
    fn _state(&self) -> &'static str {
        state_name(self.core.state(), self.core.retry_in())
    }

    /// Consecutive counted failures.
    #[getter]
    fn failure_count(&self) -> u32 {
        self.core.failure_count()
    }

    /// The breaker's name (`circuit-breaker-N` for a breaker made without one).
    #[getter]
    fn name(&self) -> &str {
        self.core.name()
    }

    /// Consecutive failures that open the circuit.
    #[getter]
    fn failure_threshold(&self) -> u32 {
        self.failure_threshold
    }

    /// Seconds the circuit stays open before a probe.
    #[getter]
    fn recovery_timeout(&self) -> f64 {
        self.recovery_timeout
    }

    /// The exception classes that count as failures, as a tuple.
    #[getter]
    fn expected_exception(&self, py: Python<'_>) -> Py<PyTuple> {
        self.expected.clone_ref(py)
    }

    /// While open, seconds until the next probe (0.0 once it may be tried); else `None`.
    #[getter]
    fn retry_after(&self) -> Option<f64> {
        self.core.retry_in().map(|d| d.as_secs_f64())
    }

    /// Calls `callback(name, from, to)` with the states' lower-case names on every
    /// transition of this breaker (of the shared one, for a preset).
    fn _add_listener(&self, callback: Py<PyAny>) {
        crate::listen::on_transition(&self.core, callback);
    }

    /// Back to CLOSED with every count cleared.
    fn reset(&self) {
        self.core.reset();
    }

    /// Rejects every call until `reset()`.
    fn force_open(&self) {
        self.core.force_open();
    }

    /// Lets every call through, still counting, until `reset()`.
    fn disable(&self) {
        self.core.disable();
    }

    /// This breaker's state and counters, as in `staunch.snapshot()`.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        crate::snapshot::breaker_dict(py, &self.core.snapshot())
    }

    /// A permit for one call, or `CircuitBreakerError` (used by the async wrappers).
    fn _acquire(&self, py: Python<'_>) -> PyResult<Permit> {
        match self.core.try_acquire_owned() {
            Ok(permit) => Ok(Permit {
                slot: Mutex::new(Some(permit)),
                expected: self.expected.clone_ref(py),
            }),
            Err(open) => Err(circuit_open(py, &open)),
        }
    }

    /// The native wrapper of a plain function.
    fn _wrap(&self, py: Python<'_>, func: Py<PyAny>) -> Wrapped {
        Wrapped::breaker(func, self.core.clone(), self.expected.clone_ref(py))
    }
}

/// Admission to make one call; reports how it went. Dropped without a report, it counts
/// nothing and frees its half-open slot.
#[pyclass(module = "staunch._staunch", frozen)]
pub(crate) struct Permit {
    slot: Mutex<Option<OwnedPermit>>,
    expected: Py<PyTuple>,
}

impl Permit {
    fn take(&self) -> Option<OwnedPermit> {
        self.slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

#[pymethods]
impl Permit {
    /// Reports a success.
    fn success(&self) {
        if let Some(permit) = self.take() {
            permit.success();
        }
    }

    /// Reports an exception: counted when it is one of the breaker's expected classes,
    /// ignored otherwise. Returns whether it counted.
    fn record(&self, py: Python<'_>, exception: &Bound<'_, PyAny>) -> PyResult<bool> {
        let counts = exception.is_instance(self.expected.bind(py).as_any())?;
        if let Some(permit) = self.take() {
            if counts {
                permit.failure();
            } else {
                permit.ignore();
            }
        }
        Ok(counts)
    }
}

/// One call of `func` through `core`: `expected` exceptions count, others pass uncounted.
pub(crate) fn call(
    core: &CircuitBreaker,
    expected: &Bound<'_, PyTuple>,
    func: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let py = func.py();
    let permit = core.try_acquire().map_err(|open| circuit_open(py, &open))?;
    match func.call(args, kwargs) {
        Ok(value) => {
            permit.success();
            Ok(value.unbind())
        }
        Err(error) => {
            if error.is_instance(py, expected.as_any()) {
                permit.failure();
            } else {
                permit.ignore();
            }
            Err(error)
        }
    }
}
