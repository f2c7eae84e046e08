//! The native wrapper of a plain function under `resilient`: the retry outside, the
//! breaker inside, one decision after each attempt.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::breaker::Breaker;
use crate::clock::wait;
use crate::method::bind;
use crate::spec::{rejected, Progress, RetrySpec};

/// A plain function behind a breaker, retried by a [`RetrySpec`]. The spec's exception
/// classes are both retried and counted by the breaker; others pass through uncounted.
#[pyclass(module = "staunch._staunch", frozen, dict)]
pub(crate) struct ResilientCall {
    func: Py<PyAny>,
    spec: Py<RetrySpec>,
    breaker: Py<Breaker>,
}

#[pymethods]
impl ResilientCall {
    #[new]
    fn new(func: Py<PyAny>, spec: Py<RetrySpec>, breaker: Py<Breaker>) -> Self {
        Self {
            func,
            spec,
            breaker,
        }
    }

    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let spec = self.spec.get();
        let core = &self.breaker.get().core;
        let func = self.func.bind(py);
        let mut progress = Progress::start(spec);
        loop {
            let delay = match core.try_acquire() {
                Err(open) => rejected(py, &mut progress, &open)?,
                Ok(permit) => match func.call(args, kwargs) {
                    Ok(value) => {
                        permit.success();
                        return Ok(value.unbind());
                    }
                    Err(error) => {
                        if !error.is_instance(py, spec.retry_on.bind(py).as_any()) {
                            permit.ignore();
                            return Err(error);
                        }
                        permit.failure();
                        progress.after_failure(py, error, core.retry_in())?
                    }
                },
            };
            wait(py, delay)?;
        }
    }

    /// The breaker of this function.
    #[getter]
    fn breaker(&self, py: Python<'_>) -> Py<Breaker> {
        self.breaker.clone_ref(py)
    }

    fn __get__<'py>(
        slf: &Bound<'py, Self>,
        obj: Option<&Bound<'py, PyAny>>,
        _owner: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        bind(slf.as_any(), obj)
    }
}
