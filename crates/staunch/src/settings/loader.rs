//! [`SettingsLoader`]: layered sources for [`ResilienceSettings`].

use std::borrow::Cow;
use std::time::Duration;

use super::field::Field;
use super::validate::{self, Origin, Origins, Rank};
use super::ResilienceSettings;
use crate::ConfigError;

#[cfg(feature = "dotenv")]
use super::dotenv::{EnvFile, EnvFileSource};

/// Loads [`ResilienceSettings`] from caller defaults, the environment (plain, then
/// prefixed variables) and values set in code, in rising precedence.
///
/// Made by [`ResilienceSettings::loader`]; see the [module docs](super) for the scheme.
///
/// ```
/// use std::time::Duration;
/// use staunch::ResilienceSettings;
///
/// let env = |name: &str| match name {
///     "CIRCUIT_BREAKER_FAILURE_THRESHOLD" => Some("20".to_owned()),
///     "MCP_CIRCUIT_BREAKER_FAILURE_THRESHOLD" => Some("3".to_owned()),
///     _ => None,
/// };
/// let mcp = ResilienceSettings::loader().prefix("MCP_").load_from(env)?;
/// let other = ResilienceSettings::loader().load_from(env)?;
/// assert_eq!(mcp.circuit_failure_threshold, 3);
/// assert_eq!(other.circuit_failure_threshold, 20);
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SettingsLoader {
    prefix: String,
    defaults: ResilienceSettings,
    /// Values set in code; only the fields flagged in `set_in_code` count.
    in_code: ResilienceSettings,
    set_in_code: [bool; 6],
    #[cfg(feature = "dotenv")]
    env_file: Option<EnvFileSource>,
}

impl SettingsLoader {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Reads `{prefix}{VARIABLE}` before `{VARIABLE}`: with `"LLM_"`,
    /// `LLM_RETRY_MAX_ATTEMPTS` wins over `RETRY_MAX_ATTEMPTS`. The prefix is used as
    /// given (include the separator); empty means none.
    ///
    /// ```
    /// let settings = staunch::ResilienceSettings::loader()
    ///     .prefix("LLM_")
    ///     .load_from(|name| (name == "LLM_RETRY_MAX_ATTEMPTS").then(|| "4".to_owned()))?;
    /// assert_eq!(settings.retry_max_attempts, 4);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The values used when no variable and no code sets a field (by default the seed's).
    /// Presets pass their own here.
    ///
    /// ```
    /// use staunch::ResilienceSettings;
    ///
    /// let mut defaults = ResilienceSettings::default();
    /// defaults.retry_max_attempts = 5;
    /// let settings = ResilienceSettings::loader().defaults(defaults).load_from(|_| None)?;
    /// assert_eq!(settings, defaults);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn defaults(mut self, defaults: ResilienceSettings) -> Self {
        self.defaults = defaults;
        self
    }

    /// Sets `circuit_failure_threshold` in code, over any variable.
    ///
    /// ```
    /// let settings = staunch::ResilienceSettings::loader()
    ///     .circuit_failure_threshold(3)
    ///     .load_from(|_| Some("99".to_owned()))?;
    /// assert_eq!(settings.circuit_failure_threshold, 3);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn circuit_failure_threshold(mut self, threshold: u32) -> Self {
        self.in_code.circuit_failure_threshold = threshold;
        self.mark(Field::CircuitFailureThreshold)
    }

    /// Sets `circuit_recovery_timeout` in code, over any variable.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let settings = staunch::ResilienceSettings::loader()
    ///     .circuit_recovery_timeout(Duration::from_secs(5))
    ///     .load_from(|_| None)?;
    /// assert_eq!(settings.circuit_recovery_timeout, Duration::from_secs(5));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn circuit_recovery_timeout(mut self, timeout: Duration) -> Self {
        self.in_code.circuit_recovery_timeout = timeout;
        self.mark(Field::CircuitRecoveryTimeout)
    }

    /// Sets `retry_max_attempts` in code, over any variable.
    ///
    /// ```
    /// let settings = staunch::ResilienceSettings::loader()
    ///     .retry_max_attempts(1)
    ///     .load_from(|_| None)?;
    /// assert_eq!(settings.retry_max_attempts, 1);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn retry_max_attempts(mut self, attempts: u32) -> Self {
        self.in_code.retry_max_attempts = attempts;
        self.mark(Field::RetryMaxAttempts)
    }

    /// Sets `retry_wait_min` in code, over any variable.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let settings = staunch::ResilienceSettings::loader()
    ///     .retry_wait_min(Duration::from_millis(100))
    ///     .load_from(|_| None)?;
    /// assert_eq!(settings.retry_wait_min, Duration::from_millis(100));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn retry_wait_min(mut self, wait: Duration) -> Self {
        self.in_code.retry_wait_min = wait;
        self.mark(Field::RetryWaitMin)
    }

    /// Sets `retry_wait_max` in code, over any variable.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let settings = staunch::ResilienceSettings::loader()
    ///     .retry_wait_max(Duration::from_secs(2))
    ///     .load_from(|_| None)?;
    /// assert_eq!(settings.retry_wait_max, Duration::from_secs(2));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn retry_wait_max(mut self, wait: Duration) -> Self {
        self.in_code.retry_wait_max = wait;
        self.mark(Field::RetryWaitMax)
    }

    /// Sets the `attempt_timeout` extension in code (`None` for no limit).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let settings = staunch::ResilienceSettings::loader()
    ///     .attempt_timeout(Duration::from_secs(30))
    ///     .load_from(|_| None)?;
    /// assert_eq!(settings.attempt_timeout, Some(Duration::from_secs(30)));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn attempt_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.in_code.attempt_timeout = timeout.into();
        self.mark(Field::AttemptTimeout)
    }

    /// Reads the `.env` file at `path` at each load: its variables fill in those the
    /// environment (or the lookup) lacks. The file must exist. The process environment is
    /// not modified.
    ///
    /// ```
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/resilience.env");
    /// let settings = staunch::ResilienceSettings::loader()
    ///     .env_file(path)
    ///     .load_from(|_| None)?;
    /// assert_eq!(settings.retry_max_attempts, 7);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    #[cfg(feature = "dotenv")]
    #[cfg_attr(docsrs, doc(cfg(feature = "dotenv")))]
    pub fn env_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.env_file = Some(EnvFileSource::Path(path.into()));
        self
    }

    /// Reads `.env` from the current directory or its nearest ancestor that has one, up to
    /// the project root (the nearest directory with `Cargo.toml` or `.git`; the current
    /// directory alone without one), at each load, like [`env_file`](Self::env_file);
    /// finding none is not an error.
    ///
    /// ```
    /// let settings = staunch::ResilienceSettings::loader()
    ///     .dotenv()
    ///     .retry_max_attempts(2)
    ///     .load_from(|_| None);
    /// assert_eq!(settings.map(|s| s.retry_max_attempts).ok(), Some(2));
    /// ```
    #[cfg(feature = "dotenv")]
    #[cfg_attr(docsrs, doc(cfg(feature = "dotenv")))]
    pub fn dotenv(mut self) -> Self {
        self.env_file = Some(EnvFileSource::Search);
        self
    }

    fn mark(mut self, field: Field) -> Self {
        self.set_in_code[field.index()] = true;
        self
    }

    /// Reads the process environment (and the `.env` file, if one was given), resolves
    /// every field and validates the result.
    ///
    /// Values that are not valid Unicode are read lossily, so they fail to parse and are
    /// reported rather than skipped.
    ///
    /// ```
    /// let settings = staunch::ResilienceSettings::loader()
    ///     .prefix("STAUNCH_DOC_EXAMPLE_")
    ///     .retry_max_attempts(2)
    ///     .load();
    /// assert_eq!(settings.map(|s| s.retry_max_attempts).ok(), Some(2));
    /// ```
    pub fn load(&self) -> Result<ResilienceSettings, ConfigError> {
        self.load_from(|name| {
            std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
        })
    }

    /// Like [`load`](Self::load), with `lookup` in place of the process environment.
    ///
    /// ```
    /// let err = staunch::ResilienceSettings::loader()
    ///     .prefix("LLM_")
    ///     .load_from(|name| (name == "LLM_RETRY_MAX_ATTEMPTS").then(|| "0".to_owned()))
    ///     .unwrap_err();
    /// assert_eq!(err.field(), "LLM_RETRY_MAX_ATTEMPTS");
    /// assert_eq!(err.value(), "0");
    /// ```
    pub fn load_from(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ResilienceSettings, ConfigError> {
        #[cfg(feature = "dotenv")]
        {
            let file = EnvFile::read(self.env_file.as_ref())?;
            self.resolve(&|name: &str| lookup(name).or_else(|| file.get(name)))
        }
        #[cfg(not(feature = "dotenv"))]
        self.resolve(&lookup)
    }

    fn resolve(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ResilienceSettings, ConfigError> {
        let mut out = self.defaults;
        let mut origins = Origins::fields(Rank::Default);
        for field in Field::ALL {
            if self.set_in_code[field.index()] {
                field.copy(&self.in_code, &mut out);
                origins.set(field, Origin::field(field, Rank::Code));
            } else if let Some(origin) = self.lookup_variable(field, lookup) {
                let raw = origin.raw.as_deref().unwrap_or_default();
                field
                    .parse_into(raw, &mut out)
                    .map_err(|reason| ConfigError::new(origin.name.clone(), raw, reason))?;
                origins.set(field, origin);
            }
        }
        validate::validate(&out, &origins)?;
        Ok(out)
    }

    /// The winning variable for `field`: prefixed first, then plain.
    fn lookup_variable(
        &self,
        field: Field,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Origin> {
        let variable = field.variable()?;
        if !self.prefix.is_empty() {
            let name = format!("{}{variable}", self.prefix);
            if let Some(raw) = lookup(&name) {
                return Some(Origin {
                    name: Cow::Owned(name),
                    raw: Some(raw),
                    rank: Rank::PrefixedEnvironment,
                });
            }
        }
        lookup(variable).map(|raw| Origin {
            name: Cow::Borrowed(variable),
            raw: Some(raw),
            rank: Rank::Environment,
        })
    }
}
