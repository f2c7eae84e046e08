//! One call of a plain function under `resilient`: the retry outside, the breaker
//! inside, one decision after each attempt.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use staunch::CircuitBreaker;

use crate::clock::wait;
use crate::spec::{rejected, Progress, RetrySpec};

/// Calls `func` through `core`, retried by `spec`. The spec's exception classes are both
/// retried and counted by the breaker; others pass through at once, uncounted. An open
/// circuit is waited for only when its probe comes before the next wait would end.
pub(crate) fn call(
    spec: &RetrySpec,
    core: &CircuitBreaker,
    func: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let py = func.py();
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
