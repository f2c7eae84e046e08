//! [`Preset`]: one service's defaults, settings prefix, breaker and policy recipes.

use std::time::Duration;

use crate::settings::SettingsLoader;
use crate::{
    CircuitBreaker, CircuitBreakerBuilder, ConfigError, Jitter, Policy, PolicyBuilder,
    ResilienceSettings, RetryBudget,
};

/// A failure-rate breaker over a count window, with slow-call detection.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Windowed {
    calls: u32,
    slow_call: Duration,
    slow_rate: f64,
}

/// The recipe of one service's breaker and policy: its name, settings prefix, defaults
/// and the few settings beyond [`ResilienceSettings`] (window, slow calls, hint cap).
///
/// The three presets are [`LLM`](super::LLM), [`MCP`](super::MCP) and
/// [`DATABASE`](super::DATABASE). Besides the process-wide breaker and policy, a preset
/// builds fresh ones from given settings, for tests on a fake clock or for a second,
/// separately tripping instance.
///
/// ```
/// use std::time::Duration;
/// use staunch::presets::DATABASE;
/// use staunch::test_util::FakeClock;
///
/// let fake = FakeClock::new();
/// let settings = DATABASE.settings_from(|name| (name == "DATABASE_RETRY_MAX_ATTEMPTS").then(|| "5".into()))?;
/// assert_eq!(settings.retry_max_attempts, 5);
/// let breaker = DATABASE.breaker_builder(&settings).clock(fake.clock()).build()?;
/// let policy = DATABASE.policy_builder(&settings, breaker).clock(fake.clock()).build()?;
/// assert_eq!(policy.retry().max_attempts(), 5);
/// assert_eq!(policy.attempt_timeout(), Some(Duration::from_secs(5)));
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preset {
    name: &'static str,
    prefix: &'static str,
    defaults: ResilienceSettings,
    jitter: Jitter,
    windowed: Option<Windowed>,
    hold_open_cap: Option<Duration>,
}

const fn settings(
    failure_threshold: u32,
    recovery_timeout: Duration,
    max_attempts: u32,
    wait_min: Duration,
    wait_max: Duration,
    attempt_timeout: Duration,
) -> ResilienceSettings {
    ResilienceSettings {
        circuit_failure_threshold: failure_threshold,
        circuit_recovery_timeout: recovery_timeout,
        retry_max_attempts: max_attempts,
        retry_wait_min: wait_min,
        retry_wait_max: wait_max,
        attempt_timeout: Some(attempt_timeout),
    }
}

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

const fn millis(n: u64) -> Duration {
    Duration::from_millis(n)
}

impl Preset {
    pub(crate) const LLM: Preset = Preset {
        name: "llm",
        prefix: "LLM_",
        defaults: settings(5, secs(60), 3, secs(2), secs(30), secs(120)),
        jitter: Jitter::Full,
        windowed: Some(Windowed {
            calls: 20,
            slow_call: secs(60),
            slow_rate: 0.5,
        }),
        hold_open_cap: Some(secs(120)),
    };

    pub(crate) const MCP: Preset = Preset {
        name: "mcp",
        prefix: "MCP_",
        defaults: settings(3, secs(30), 2, millis(500), secs(5), secs(30)),
        jitter: Jitter::Full,
        windowed: None,
        hold_open_cap: None,
    };

    pub(crate) const DATABASE: Preset = Preset {
        name: "database",
        prefix: "DATABASE_",
        defaults: settings(5, secs(10), 3, millis(100), secs(1), secs(5)),
        jitter: Jitter::Full,
        windowed: None,
        hold_open_cap: None,
    };

    /// The name of the breaker and policy: `"llm"`, `"mcp"` or `"database"`.
    ///
    /// ```
    /// assert_eq!(staunch::presets::LLM.name(), "llm");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The prefix of the variables read before the plain ones: `"LLM_"`, `"MCP_"` or
    /// `"DATABASE_"`.
    ///
    /// ```
    /// assert_eq!(staunch::presets::DATABASE.prefix(), "DATABASE_");
    /// ```
    pub const fn prefix(&self) -> &'static str {
        self.prefix
    }

    /// The service's defaults, used for every field no variable sets.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mcp = staunch::presets::MCP.defaults();
    /// assert_eq!((mcp.circuit_failure_threshold, mcp.retry_max_attempts), (3, 2));
    /// assert_eq!(mcp.attempt_timeout, Some(Duration::from_secs(30)));
    /// ```
    pub const fn defaults(&self) -> ResilienceSettings {
        self.defaults
    }

    fn loader(&self) -> SettingsLoader {
        let loader = ResilienceSettings::loader()
            .prefix(self.prefix)
            .defaults(self.defaults);
        #[cfg(feature = "dotenv")]
        let loader = loader.dotenv();
        loader
    }

    /// The service's settings from the environment (and `.env` with feature `dotenv`):
    /// prefixed variables, then plain ones, then the defaults.
    ///
    /// ```
    /// match staunch::presets::LLM.settings() {
    ///     Ok(settings) => assert!(settings.retry_max_attempts >= 1),
    ///     Err(err) => eprintln!("{err}"), // names the variable and its value
    /// }
    /// ```
    pub fn settings(&self) -> Result<ResilienceSettings, ConfigError> {
        self.loader().load()
    }

    /// Like [`settings`](Self::settings), with `lookup` in place of the environment.
    ///
    /// ```
    /// let err = staunch::presets::MCP
    ///     .settings_from(|name| (name == "MCP_CIRCUIT_BREAKER_FAILURE_THRESHOLD").then(|| "zero".into()))
    ///     .unwrap_err();
    /// assert_eq!(err.field(), "MCP_CIRCUIT_BREAKER_FAILURE_THRESHOLD");
    /// ```
    pub fn settings_from(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ResilienceSettings, ConfigError> {
        self.loader().load_from(lookup)
    }

    /// A builder for a new, unregistered breaker of this service from `settings`, named
    /// after the service; set a clock on it for tests.
    ///
    /// ```
    /// use staunch::{presets::MCP, test_util::FakeClock, CircuitState};
    /// let breaker = MCP.breaker_builder(&MCP.defaults()).clock(FakeClock::new().clock()).build()?;
    /// for _ in 0..3 {
    ///     let _ = breaker.call_blocking(|| Err::<(), _>("hung"));
    /// }
    /// assert_eq!(breaker.state(), CircuitState::Open);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn breaker_builder(&self, settings: &ResilienceSettings) -> CircuitBreakerBuilder {
        let threshold = settings.circuit_failure_threshold;
        let builder =
            CircuitBreaker::builder(self.name).recovery_timeout(settings.circuit_recovery_timeout);
        let builder = match self.windowed {
            // A fresh breaker still opens after `threshold` failures in a row.
            Some(w) => builder
                .count_window(w.calls.max(threshold))
                .minimum_calls(threshold)
                .failure_rate_threshold(0.5)
                .slow_calls(w.slow_call, w.slow_rate),
            None => builder.failure_threshold(threshold),
        };
        match self.hold_open_cap {
            Some(cap) => builder.hold_open_on_delay_hint(cap),
            None => builder,
        }
    }

    /// A builder for a policy of this service from `settings`, around `breaker`: the
    /// retry, jitter and attempt timeout of the service. No budget: add one with
    /// [`PolicyBuilder::budget`].
    ///
    /// ```
    /// use staunch::presets::LLM;
    /// use staunch::{CircuitBreaker, Jitter};
    /// let policy = LLM.policy_builder(&LLM.defaults(), CircuitBreaker::builder("llm-eu").build()?).build()?;
    /// assert_eq!((policy.name(), policy.retry().backoff().jitter()), ("llm-eu", Jitter::Full));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn policy_builder(
        &self,
        settings: &ResilienceSettings,
        breaker: CircuitBreaker,
    ) -> PolicyBuilder {
        let builder = Policy::builder(self.name)
            .breaker(breaker)
            .max_attempts(settings.retry_max_attempts)
            .wait_min(settings.retry_wait_min)
            .wait_max(settings.retry_wait_max)
            .jitter(self.jitter);
        match settings.attempt_timeout {
            Some(timeout) => builder.attempt_timeout(timeout),
            None => builder,
        }
    }

    /// The process-wide breaker of this service (the same as
    /// [`LLM_CIRCUIT_BREAKER`](super::LLM_CIRCUIT_BREAKER) and its siblings).
    ///
    /// ```
    /// use staunch::presets::{DATABASE, DATABASE_CIRCUIT_BREAKER};
    /// assert!(DATABASE.breaker().ptr_eq(&DATABASE_CIRCUIT_BREAKER));
    /// ```
    pub fn breaker(&self) -> &'static CircuitBreaker {
        super::process_breaker(self)
    }

    /// The settings from the environment, or the error naming the bad variable; on
    /// success, the process-wide breaker.
    ///
    /// ```
    /// assert!(staunch::presets::MCP.try_breaker().is_ok() || staunch::presets::MCP.settings().is_err());
    /// ```
    pub fn try_breaker(&self) -> Result<CircuitBreaker, ConfigError> {
        self.settings()?;
        Ok(self.breaker().clone())
    }

    /// The process-wide policy of this service ([`Policy::llm`] and its siblings): the
    /// [installed](Self::install) one, else one from the environment.
    ///
    /// ```
    /// assert_eq!(staunch::presets::MCP.policy().retry().max_attempts(), 2);
    /// ```
    pub fn policy(&self) -> &'static Policy {
        super::process_policy(self).get_or_init(|| self.make_policy())
    }

    /// The process-wide retry budget of this service, shared by its policy and by the
    /// attributes that use its breaker: Finagle's defaults (20 % of calls plus 10
    /// retries a second, over 10 s).
    ///
    /// ```
    /// let budget = staunch::presets::LLM.budget();
    /// assert!(staunch::Policy::llm().budget().is_some());
    /// assert_eq!(budget.retry_ratio(), 0.2);
    /// ```
    pub fn budget(&self) -> &'static RetryBudget {
        super::process_budget(self)
    }

    #[cfg(feature = "macros")]
    pub(crate) const fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The preset whose process-wide breaker `breaker` is, if any (checked without
    /// creating a preset breaker that does not exist yet).
    #[cfg(any(feature = "macros", test))]
    pub(crate) fn of(breaker: &CircuitBreaker) -> Option<Preset> {
        [Self::LLM, Self::MCP, Self::DATABASE]
            .into_iter()
            .find(|preset| {
                preset.name == breaker.name()
                    && crate::Registry::global()
                        .get(preset.name)
                        .is_some_and(|registered| registered.ptr_eq(breaker))
            })
    }
}
