//! Configuration errors shared by every builder and by the settings loader.

use std::borrow::Cow;
use std::fmt;

/// An invalid setting, naming the field (or environment variable), the bad value and the
/// rule it breaks.
///
/// Every `build()` in staunch and every settings loader returns this instead of
/// panicking.
///
/// ```
/// use staunch::ConfigError;
///
/// let err = ConfigError::new("wait_min", "12s", "must not exceed wait_max (10s)");
/// assert_eq!(err.field(), "wait_min");
/// assert_eq!(err.value(), "12s");
/// assert_eq!(err.to_string(), "invalid wait_min `12s`: must not exceed wait_max (10s)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    field: Cow<'static, str>,
    value: String,
    reason: Cow<'static, str>,
}

impl ConfigError {
    /// A new error for `field` holding `value`, which breaks `reason`.
    pub fn new(
        field: impl Into<Cow<'static, str>>,
        value: impl fmt::Display,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            field: field.into(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// The field or environment variable that holds the bad value.
    ///
    /// ```
    /// let err = staunch::ConfigError::new("RETRY_MAX_ATTEMPTS", "zero", "not a number");
    /// assert_eq!(err.field(), "RETRY_MAX_ATTEMPTS");
    /// ```
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The bad value, as given.
    ///
    /// ```
    /// let err = staunch::ConfigError::new("max_attempts", 0, "must be at least 1");
    /// assert_eq!(err.value(), "0");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The rule the value breaks.
    ///
    /// ```
    /// let err = staunch::ConfigError::new("max_attempts", 0, "must be at least 1");
    /// assert_eq!(err.reason(), "must be at least 1");
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} `{}`: {}",
            self.field, self.value, self.reason
        )
    }
}

impl std::error::Error for ConfigError {}
