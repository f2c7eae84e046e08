//! The native half of the `staunch` Python package (`staunch._staunch`): breakers,
//! retries and settings of the Rust core, and native wrappers for plain functions. The
//! decorators themselves, the exception classes and the async wrappers are in
//! `python/staunch/__init__.py`.

use pyo3::prelude::*;

mod breaker;
mod call;
mod clock;
mod errors;
mod listen;
mod resilient;
mod retry;
mod settings;
mod snapshot;
mod spec;

#[pymodule]
fn _staunch(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<breaker::Breaker>()?;
    m.add_class::<breaker::Permit>()?;
    m.add_class::<call::Wrapped>()?;
    m.add_class::<spec::RetrySpec>()?;
    m.add_class::<spec::Run>()?;
    m.add_class::<clock::FakeClock>()?;
    m.add_function(wrap_pyfunction!(errors::_bind, m)?)?;
    m.add_function(wrap_pyfunction!(clock::_take_wait, m)?)?;
    m.add_function(wrap_pyfunction!(settings::_settings, m)?)?;
    m.add_function(wrap_pyfunction!(snapshot::snapshot, m)?)?;
    Ok(())
}
