//! [`AttemptTimeout`]: the error of an attempt cut by its timeout, for code that returns
//! its own error type (the async `#[resilient]` attribute).

use std::error::Error;
use std::fmt;
use std::time::Duration;

/// An attempt ran out of time: its attempt timeout, or what the deadline left it.
///
/// An async function under `#[resilient]` whose last attempt is cut by its timeout
/// returns `E::from(AttemptTimeout)`, so its error type converts from this one (as
/// `anyhow::Error` and `Box<dyn Error + Send + Sync>` do).
///
/// ```
/// use std::time::Duration;
/// use staunch::AttemptTimeout;
///
/// let timeout = AttemptTimeout::new("llm", Duration::from_secs(120));
/// assert_eq!(timeout.to_string(), "attempt of llm timed out after 120000 ms");
/// assert_eq!(timeout.timeout(), Duration::from_secs(120));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptTimeout {
    name: &'static str,
    timeout: Duration,
}

impl AttemptTimeout {
    /// The timeout of an attempt of `name` that lasted `timeout`.
    ///
    /// ```
    /// let timeout = staunch::AttemptTimeout::new("db", std::time::Duration::from_millis(250));
    /// assert_eq!(timeout.name(), "db");
    /// ```
    pub const fn new(name: &'static str, timeout: Duration) -> Self {
        Self { name, timeout }
    }

    /// The name of the call that timed out.
    ///
    /// ```
    /// assert_eq!(staunch::AttemptTimeout::new("mcp", std::time::Duration::ZERO).name(), "mcp");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// How long the attempt was allowed to run.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(staunch::AttemptTimeout::new("mcp", Duration::from_secs(30)).timeout(), Duration::from_secs(30));
    /// ```
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl fmt::Display for AttemptTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.timeout.as_millis();
        write!(f, "attempt of {} timed out after {millis} ms", self.name)
    }
}

impl Error for AttemptTimeout {}
