//! One call of a plain function under `retry_on_exception` / `retry_with_jitter`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::clock::wait;
use crate::spec::{Progress, RetrySpec};

/// Calls `func` until it returns, raises an exception `spec` does not retry (unchanged),
/// or runs out of attempts (`RetryError`), waiting between attempts without the GIL.
pub(crate) fn call(
    spec: &RetrySpec,
    func: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let py = func.py();
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
