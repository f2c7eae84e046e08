//! [`ResilienceSettings`]: retry and breaker settings from code, the environment, `.env`
//! files and configuration files.
//!
//! # Variables
//!
//! | field | variable | default |
//! |---|---|---|
//! | `circuit_failure_threshold` | `CIRCUIT_BREAKER_FAILURE_THRESHOLD` | `10` |
//! | `circuit_recovery_timeout` | `CIRCUIT_BREAKER_RECOVERY_TIMEOUT` | `60` (seconds) |
//! | `retry_max_attempts` | `RETRY_MAX_ATTEMPTS` | `3` (attempts in total) |
//! | `retry_wait_min` | `RETRY_WAIT_MIN` | `1.0` (seconds) |
//! | `retry_wait_max` | `RETRY_WAIT_MAX` | `10.0` (seconds) |
//! | `attempt_timeout` (extension) | none | none |
//!
//! Durations are seconds (`60`, `1.5`) or numbers with units (`500ms`, `2m`, `1h 30m`),
//! read by [`parse_duration`] everywhere: variables, `.env` files and serde.
//!
//! # Precedence
//!
//! Each field is resolved on its own, the first source that has it wins:
//!
//! 1. a value set in code on the [`SettingsLoader`] (`.retry_max_attempts(5)`);
//! 2. the prefixed variable, when the loader has a [prefix](SettingsLoader::prefix):
//!    `LLM_RETRY_MAX_ATTEMPTS` for the prefix `LLM_`;
//! 3. the plain variable, `RETRY_MAX_ATTEMPTS`;
//! 4. the caller's [defaults](SettingsLoader::defaults) (a preset's own), else the seed's.
//!
//! So one `RETRY_MAX_ATTEMPTS=5` tunes every preset at once, `LLM_RETRY_MAX_ATTEMPTS=2`
//! tunes the LLM preset alone, and a value written in code cannot be changed from outside.
//! With the `dotenv` feature a `.env` file fills in variables the environment lacks
//! (the environment wins, variable by variable) before this order applies; the process
//! environment is never modified.
//!
//! A variable set to the empty string (or to blanks) is set: it is an error (`must not be
//! empty`), not a way to ask for the default. Unset the variable for that. An empty value
//! most often comes from a template whose own variable was missing, and quietly using the
//! default would hide it.
//!
//! Only the winning source is read: a malformed `RETRY_MAX_ATTEMPTS` is an error for a
//! loader that would use it, and is not looked at when `LLM_RETRY_MAX_ATTEMPTS` or code
//! decides. Every error is a [`ConfigError`] naming the variable (or the field, for values
//! from code, defaults or serde) and the value as written. When `retry_wait_min` exceeds
//! `retry_wait_max`, the error names the one set by a variable (the prefixed one first),
//! else the one set in code, else `retry_wait_min`, and mentions the other.
//!
//! ```
//! use std::collections::HashMap;
//! use std::time::Duration;
//! use staunch::ResilienceSettings;
//!
//! let env = HashMap::from([
//!     ("RETRY_MAX_ATTEMPTS", "5"),
//!     ("LLM_RETRY_WAIT_MAX", "30s"),
//!     ("CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "2m"),
//! ]);
//! let mut llm_defaults = ResilienceSettings::default();
//! llm_defaults.circuit_failure_threshold = 5;
//!
//! let llm = ResilienceSettings::loader()
//!     .prefix("LLM_")
//!     .defaults(llm_defaults)
//!     .circuit_recovery_timeout(Duration::from_secs(30)) // code wins over the environment
//!     .load_from(|name| env.get(name).map(|v| v.to_string()))?;
//!
//! assert_eq!(llm.circuit_failure_threshold, 5);                      // preset default
//! assert_eq!(llm.retry_max_attempts, 5);                             // RETRY_MAX_ATTEMPTS
//! assert_eq!(llm.retry_wait_max, Duration::from_secs(30));           // LLM_RETRY_WAIT_MAX
//! assert_eq!(llm.circuit_recovery_timeout, Duration::from_secs(30)); // code
//! # Ok::<(), staunch::ConfigError>(())
//! ```
//!
//! # Bad values at start-up
//!
//! The presets and the attributes read these variables at their first use, where they
//! cannot fail: on a bad value they log an `error` event (target `staunch`), run on their
//! defaults, and are listed by [`fallbacks`]. So that a value the operator set is never
//! replaced silently, call [`check_env`] at start-up and refuse to start on its error:
//!
//! ```
//! let bad = |name: &str| (name == "RETRY_MAX_ATTEMPTS").then(|| "abc".to_owned());
//! let err = staunch::settings::check_env_from(bad).unwrap_err();
//! assert_eq!(err.to_string(), "invalid RETRY_MAX_ATTEMPTS `abc`: not a whole number");
//! ```
//!
//! # `.env` files
//!
//! With the `dotenv` feature, `SettingsLoader::env_file` reads a given file and
//! `SettingsLoader::dotenv` (used by the presets, the attributes and [`check_env`])
//! looks for `.env` in the current directory and its parents, stopping at the project
//! root: the nearest directory holding `Cargo.toml` or `.git`, or the current directory
//! alone when there is none. A file above the project never configures it. A line that
//! does not parse is reported by the file's path and the line's number, never by its
//! text, which may hold a secret: `invalid env file `/srv/app/.env`: cannot parse line 4`.
//!
//! # Configuration files
//!
//! With the `serde` feature, `ResilienceSettings` deserializes from any self-describing
//! format, so it can sit inside an application's own configuration: missing fields take
//! the seed's defaults, durations are seconds or strings with units, counts are whole
//! numbers (`5`, `5.0` or `"5"`), and the same rules apply, naming the field.
//!
//! ```
//! # #[cfg(feature = "serde")] {
//! use std::time::Duration;
//! use staunch::ResilienceSettings;
//!
//! let json = r#"{"retry_max_attempts": 5, "retry_wait_min": 0.5, "retry_wait_max": "1m"}"#;
//! let settings: ResilienceSettings = serde_json::from_str(json).unwrap();
//! assert_eq!(settings.retry_wait_max, Duration::from_secs(60));
//! assert_eq!(settings.circuit_failure_threshold, 10);
//!
//! let err = serde_json::from_str::<ResilienceSettings>(r#"{"retry_wait_min": -1}"#);
//! assert!(err.unwrap_err().to_string().starts_with("invalid retry_wait_min `-1`"));
//! # }
//! ```

use std::time::Duration;

use crate::ConfigError;

mod check;
#[cfg(feature = "dotenv")]
mod dotenv;
mod duration;
mod field;
mod loader;
#[cfg(feature = "serde")]
mod serde;
mod validate;

pub use duration::{parse_duration, ParseDurationError};
pub use loader::SettingsLoader;

use validate::{Origins, Rank};

pub(crate) use check::record_fallback;
pub use check::{check_env, check_env_from, fallbacks, SettingsFallback};

/// Retry and circuit breaker settings, with the seed's fields, variables and defaults.
///
/// Build one with [`Default`] (the seed's defaults), from the environment with
/// [`from_env`](Self::from_env), or with layered sources through [`loader`](Self::loader).
/// The fields are public (the struct is `#[non_exhaustive]`: start from `default()` and
/// assign); [`validate`](Self::validate) checks values set by hand.
///
/// ```
/// use std::time::Duration;
/// use staunch::ResilienceSettings;
///
/// let settings = ResilienceSettings::default();
/// assert_eq!(settings.circuit_failure_threshold, 10);
/// assert_eq!(settings.circuit_recovery_timeout, Duration::from_secs(60));
/// assert_eq!(settings.retry_max_attempts, 3);
/// assert_eq!(settings.retry_wait_min, Duration::from_secs(1));
/// assert_eq!(settings.retry_wait_max, Duration::from_secs(10));
/// assert_eq!(settings.attempt_timeout, None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ResilienceSettings {
    /// Consecutive counted failures that open a circuit (`CIRCUIT_BREAKER_FAILURE_THRESHOLD`,
    /// default 10, at least 1).
    pub circuit_failure_threshold: u32,
    /// How long an open circuit rejects calls before it lets a probe through
    /// (`CIRCUIT_BREAKER_RECOVERY_TIMEOUT`, default 60 s, more than zero).
    pub circuit_recovery_timeout: Duration,
    /// Attempts in total, the first call included (`RETRY_MAX_ATTEMPTS`, default 3, at
    /// least 1).
    pub retry_max_attempts: u32,
    /// The first wait of the exponential backoff (`RETRY_WAIT_MIN`, default 1 s, at most
    /// `retry_wait_max`; zero retries at once).
    pub retry_wait_min: Duration,
    /// The cap of the backoff (`RETRY_WAIT_MAX`, default 10 s).
    pub retry_wait_max: Duration,

    // ---- staunch extensions: not in the seed, read from no variable -----------------
    /// **staunch extension.** A time limit for each attempt, `None` (the default) for no
    /// limit; more than zero when set. Presets set it in their defaults; it can be set in
    /// code or in a configuration file, but no environment variable reads it.
    pub attempt_timeout: Option<Duration>,
}

impl Default for ResilienceSettings {
    /// The seed's defaults: 10 failures, 60 s, 3 attempts, waits from 1 s to 10 s, no
    /// attempt timeout.
    ///
    /// ```
    /// let settings = staunch::ResilienceSettings::default();
    /// assert!(settings.validate().is_ok());
    /// ```
    fn default() -> Self {
        Self {
            circuit_failure_threshold: 10,
            circuit_recovery_timeout: Duration::from_secs(60),
            retry_max_attempts: 3,
            retry_wait_min: Duration::from_secs(1),
            retry_wait_max: Duration::from_secs(10),
            attempt_timeout: None,
        }
    }
}

impl ResilienceSettings {
    /// The variables read from the environment, in field order.
    ///
    /// ```
    /// use staunch::ResilienceSettings;
    ///
    /// assert_eq!(ResilienceSettings::ENV_VARS[2], "RETRY_MAX_ATTEMPTS");
    /// ```
    pub const ENV_VARS: [&'static str; 5] = [
        "CIRCUIT_BREAKER_FAILURE_THRESHOLD",
        "CIRCUIT_BREAKER_RECOVERY_TIMEOUT",
        "RETRY_MAX_ATTEMPTS",
        "RETRY_WAIT_MIN",
        "RETRY_WAIT_MAX",
    ];

    /// A loader for layered sources: caller defaults, then the plain variables, then the
    /// prefixed ones, then values set in code. See the [module docs](self).
    ///
    /// ```
    /// use staunch::ResilienceSettings;
    ///
    /// let settings = ResilienceSettings::loader()
    ///     .prefix("DB_")
    ///     .retry_max_attempts(2)
    ///     .load_from(|name| (name == "DB_RETRY_WAIT_MIN").then(|| "250ms".to_owned()))?;
    /// assert_eq!(settings.retry_max_attempts, 2);
    /// assert_eq!(settings.retry_wait_min.as_millis(), 250);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn loader() -> SettingsLoader {
        SettingsLoader::new()
    }

    /// The seed's defaults overridden by the process environment.
    ///
    /// ```
    /// match staunch::ResilienceSettings::from_env() {
    ///     Ok(settings) => assert!(settings.retry_max_attempts >= 1),
    ///     Err(err) => eprintln!("bad setting: {err}"), // names the variable and its value
    /// }
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::loader().load()
    }

    /// The seed's defaults overridden by whatever `lookup` returns for each variable
    /// name, in place of the process environment (for tests, or other secret stores).
    ///
    /// ```
    /// use staunch::ResilienceSettings;
    ///
    /// let err = ResilienceSettings::from_lookup(|name| {
    ///     (name == "RETRY_WAIT_MIN").then(|| "12".to_owned())
    /// })
    /// .unwrap_err();
    /// assert_eq!(err.field(), "RETRY_WAIT_MIN");
    /// assert_eq!(err.value(), "12");
    /// assert_eq!(err.reason(), "must not exceed retry_wait_max (10s)");
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::loader().load_from(lookup)
    }

    /// The seed's defaults overridden by the `.env` file at `path`, itself overridden by the
    /// process environment, which is left untouched.
    ///
    /// ```
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/resilience.env");
    /// let settings = staunch::ResilienceSettings::from_env_file(path)?;
    /// assert!(settings.retry_max_attempts >= 1);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    #[cfg(feature = "dotenv")]
    #[cfg_attr(docsrs, doc(cfg(feature = "dotenv")))]
    pub fn from_env_file(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        Self::loader().env_file(path.as_ref()).load()
    }

    /// Checks every rule (thresholds and attempts at least 1, timeouts above zero,
    /// `retry_wait_min <= retry_wait_max`, durations at most about 584 years), naming the
    /// offending field.
    ///
    /// ```
    /// use std::time::Duration;
    /// use staunch::ResilienceSettings;
    ///
    /// let mut settings = ResilienceSettings::default();
    /// settings.retry_max_attempts = 0;
    /// let err = settings.validate().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid retry_max_attempts `0`: must be at least 1");
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate::validate(self, &Origins::fields(Rank::Code))
    }
}

#[cfg(test)]
mod tests {
    use super::field::Field;
    use super::*;

    #[test]
    fn env_vars_follow_the_fields() {
        let vars: Vec<_> = Field::ALL.iter().filter_map(|f| f.variable()).collect();
        assert_eq!(vars, ResilienceSettings::ENV_VARS);
    }
}
