//! What the native call wrappers share: binding as methods, and checking exception types.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyTuple, PyType};

/// `wrapper.__get__(obj, owner)`: a wrapper stored on a class becomes a bound method, as a
/// plain function would.
pub(crate) fn bind<'py>(
    wrapper: &Bound<'py, PyAny>,
    obj: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    static METHOD_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    match obj {
        Some(obj) if !obj.is_none() => {
            let py = wrapper.py();
            let method_type = METHOD_TYPE.import(py, "types", "MethodType")?;
            method_type.call1((wrapper, obj))
        }
        _ => Ok(wrapper.clone()),
    }
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
