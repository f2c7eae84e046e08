//! [`Error`]: what can go wrong when connecting a fleet.

use std::fmt;

/// A fleet that can't be set up: a bad URL or setting, or no tokio runtime to run on.
///
/// ```
/// let err = staunch_redis::Fleet::builder("http://nope").connect().unwrap_err();
/// assert_eq!(err.field(), "url");
/// assert!(err.to_string().contains("http://nope"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    field: &'static str,
    value: String,
    reason: String,
}

impl Error {
    pub(crate) fn new(
        field: &'static str,
        value: impl fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Error {
            field,
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// The setting at fault (`"url"`, `"key_prefix"`, `"runtime"` ...).
    ///
    /// ```
    /// let err = staunch_redis::Fleet::builder("redis://127.0.0.1:1").max_probes(0).connect().unwrap_err();
    /// assert_eq!(err.field(), "max_probes");
    /// ```
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The rejected value, as text.
    ///
    /// ```
    /// let err = staunch_redis::Fleet::builder("redis://127.0.0.1:1").max_probes(0).connect().unwrap_err();
    /// assert_eq!(err.value(), "0");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} `{}`: {}",
            self.field, self.value, self.reason
        )
    }
}

impl std::error::Error for Error {}
