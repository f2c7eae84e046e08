//! The native wrapper of a plain function under `retry_on_exception` / `retry_with_jitter`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::clock::wait;
use crate::method::bind;
use crate::spec::{Progress, RetrySpec};

/// A plain function retried by a [`RetrySpec`].
#[pyclass(module = "staunch._staunch", frozen, dict)]
pub(crate) struct RetryCall {
    func: Py<PyAny>,
    spec: Py<RetrySpec>,
}

#[pymethods]
impl RetryCall {
    #[new]
    fn new(func: Py<PyAny>, spec: Py<RetrySpec>) -> Self {
        Self { func, spec }
    }

    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let spec = self.spec.get();
        let func = self.func.bind(py);
        let mut progress = Progress::start(spec);
        loop {
            let error = match func.call(args, kwargs) {
                Ok(value) => return Ok(value.unbind()),
                Err(error) => error,
            };
            if !error.is_instance(py, spec.retry_on.bind(py).as_any()) {
                return Err(error);
            }
            let delay = progress.after_failure(py, error, None)?;
            wait(py, delay)?;
        }
    }

    fn __get__<'py>(
        slf: &Bound<'py, Self>,
        obj: Option<&Bound<'py, PyAny>>,
        _owner: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        bind(slf.as_any(), obj)
    }
}
