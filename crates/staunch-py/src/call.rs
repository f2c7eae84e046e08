//! `Wrapped`: the native wrapper of a plain function behind a breaker, a retry or both.
//! Stored on a class, it becomes a bound method, as a plain function would.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use staunch::CircuitBreaker;

use crate::breaker::Breaker;
use crate::spec::RetrySpec;

/// What stands between the caller and the function.
enum Guard {
    Breaker {
        core: CircuitBreaker,
        expected: Py<PyTuple>,
    },
    Retry(Py<RetrySpec>),
    Resilient {
        spec: Py<RetrySpec>,
        breaker: Py<Breaker>,
    },
}

/// A plain function behind a [`Guard`].
#[pyclass(module = "staunch._staunch", frozen, dict)]
pub(crate) struct Wrapped {
    func: Py<PyAny>,
    guard: Guard,
}

impl Wrapped {
    pub(crate) fn breaker(func: Py<PyAny>, core: CircuitBreaker, expected: Py<PyTuple>) -> Self {
        let guard = Guard::Breaker { core, expected };
        Self { func, guard }
    }
}

#[pymethods]
impl Wrapped {
    /// `func` retried by `spec`.
    #[staticmethod]
    fn retry(func: Py<PyAny>, spec: Py<RetrySpec>) -> Self {
        let guard = Guard::Retry(spec);
        Self { func, guard }
    }

    /// `func` behind `breaker`, retried by `spec`.
    #[staticmethod]
    fn resilient(func: Py<PyAny>, spec: Py<RetrySpec>, breaker: Py<Breaker>) -> Self {
        let guard = Guard::Resilient { spec, breaker };
        Self { func, guard }
    }

    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let func = self.func.bind(py);
        match &self.guard {
            Guard::Breaker { core, expected } => {
                crate::breaker::call(core, expected.bind(py), func, args, kwargs)
            }
            Guard::Retry(spec) => crate::retry::call(spec.get(), func, args, kwargs),
            Guard::Resilient { spec, breaker } => {
                crate::resilient::call(spec.get(), &breaker.get().core, func, args, kwargs)
            }
        }
    }

    /// `wrapper.__get__(obj, owner)`: bound to `obj` when there is one.
    fn __get__<'py>(
        slf: &Bound<'py, Self>,
        obj: Option<&Bound<'py, PyAny>>,
        _owner: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        static METHOD_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        match obj {
            Some(obj) if !obj.is_none() => {
                let method_type = METHOD_TYPE.import(slf.py(), "types", "MethodType")?;
                method_type.call1((slf, obj))
            }
            _ => Ok(slf.clone().into_any()),
        }
    }
}
