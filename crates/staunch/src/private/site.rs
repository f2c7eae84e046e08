//! One attributed function: its arguments, merged once with the settings.

use std::sync::OnceLock;
use std::time::Duration;

use super::call::RetryCall;
use super::config::Config;
use super::guard::{BreakerCall, ResilientCall};
use crate::presets::Preset;
use crate::settings::SettingsLoader;
use crate::{
    CircuitBreaker, Clock, Jitter, Registry, ResilienceSettings, RetryBudget, RetryBuilder,
    RetryPolicy,
};

/// The `static` each attributed function holds.
#[derive(Debug)]
pub struct Site {
    config: Config,
    resolved: OnceLock<Resolved>,
    breaker: OnceLock<CircuitBreaker>,
    budget: OnceLock<RetryBudget>,
    #[cfg(feature = "metrics")]
    metrics: OnceLock<crate::engine::events::Metrics>,
}

/// The arguments with the settings filled in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resolved {
    pub(crate) retry: RetryPolicy,
    pub(crate) failure_threshold: u32,
    pub(crate) recovery_timeout: Duration,
    pub(crate) attempt_timeout: Option<Duration>,
    /// The preset whose breaker was given, if any: its settings, jitter and budget apply.
    pub(crate) preset: Option<Preset>,
}

impl Site {
    /// A site for a function given `config`.
    pub const fn new(config: Config) -> Self {
        Self {
            config,
            resolved: OnceLock::new(),
            breaker: OnceLock::new(),
            budget: OnceLock::new(),
            #[cfg(feature = "metrics")]
            metrics: OnceLock::new(),
        }
    }

    /// The name breakers and metrics use.
    pub fn name(&self) -> &'static str {
        self.config.name
    }

    /// A retry-only call (`#[retry_on_exception]`, `#[retry_with_jitter]`).
    pub fn retry(&'static self, clock: Option<Clock>) -> RetryCall {
        RetryCall::new(self, clock.unwrap_or_default())
    }

    /// A call guarded by the function's own breaker (`#[circuit_breaker(...)]`).
    pub fn breaker(&'static self, clock: Option<Clock>) -> BreakerCall<'static> {
        BreakerCall::new(self, self.own_breaker(clock))
    }

    /// A call guarded by a given breaker (`#[circuit_breaker(BREAKER)]`).
    pub fn guard<'a>(&'static self, breaker: &'a CircuitBreaker) -> BreakerCall<'a> {
        BreakerCall::new(self, breaker)
    }

    /// A call under the combined policy, through the function's own breaker
    /// (`#[resilient(...)]`).
    pub fn resilient(&'static self, clock: Option<Clock>) -> ResilientCall<'static> {
        let breaker = self.own_breaker(clock.clone());
        ResilientCall::new(self, breaker, clock.unwrap_or_default())
    }

    /// A call under the combined policy, through a given breaker (`#[resilient(BREAKER)]`).
    /// When it is a preset's breaker, the preset's settings, jitter, attempt timeout and
    /// budget fill in the arguments not given.
    pub fn resilient_with<'a>(
        &'static self,
        breaker: &'a CircuitBreaker,
        clock: Option<Clock>,
    ) -> ResilientCall<'a> {
        ResilientCall::new(self, breaker, clock.unwrap_or_default())
    }

    /// The retry budget of `#[resilient]`: the preset's, or one of the function's own.
    pub(crate) fn budget(&'static self, resolved: &Resolved) -> &'static RetryBudget {
        match &resolved.preset {
            Some(preset) => preset.budget(),
            None => self.budget.get_or_init(RetryBudget::default),
        }
    }

    #[cfg(feature = "metrics")]
    pub(crate) fn metrics(&self) -> &crate::engine::events::Metrics {
        self.metrics
            .get_or_init(|| crate::engine::events::Metrics::new(self.name()))
    }

    /// The breaker of this function: created on the first call and registered under the
    /// function's name, or the one already registered under that name.
    fn own_breaker(&'static self, clock: Option<Clock>) -> &'static CircuitBreaker {
        self.breaker.get_or_init(|| {
            let resolved = *self.resolved();
            let name = self.name();
            let make = || {
                let mut builder = CircuitBreaker::builder(name)
                    .failure_threshold(resolved.failure_threshold)
                    .recovery_timeout(resolved.recovery_timeout);
                if let Some(clock) = clock.clone() {
                    builder = builder.clock(clock);
                }
                builder.build()
            };
            Registry::global().get_or_insert_with(name, make).unwrap_or_else(|error| {
                tracing::error!(target: "staunch", name, %error, "invalid breaker; using the defaults");
                crate::settings::record_fallback(name, &error);
                let builder = CircuitBreaker::builder(name);
                let builder = match clock {
                    Some(clock) => builder.clock(clock),
                    None => builder,
                };
                builder.build().unwrap_or_else(|_| unreachable!("the default breaker is valid"))
            })
        })
    }

    pub(crate) fn resolved(&self) -> &Resolved {
        self.resolved.get_or_init(|| resolve(&self.config))
    }

    /// The resolved arguments of a function given `breaker`, resolved at its first call.
    pub(crate) fn resolved_for(&self, breaker: &CircuitBreaker) -> &Resolved {
        self.resolved.get_or_init(|| match Preset::of(breaker) {
            Some(preset) => resolve_preset(&self.config, preset),
            None => resolve(&self.config),
        })
    }
}

/// The given arguments over the settings: set in code on the loader, so a variable they
/// override is not even read. A given `wait_min` above the settings' `wait_max` (or a
/// given `wait_max` below their `wait_min`) stretches the other bound instead of failing.
/// Settings that don't load are reported once (at error level, and in
/// [`fallbacks`](crate::settings::fallbacks)) and replaced by the seed's defaults: the
/// function still runs, with the arguments it was given.
fn resolve(config: &Config) -> Resolved {
    let settings = loader(config)
        .load()
        .or_else(|_| loader(&Config::new(config.name)).load())
        .unwrap_or_else(|error| {
            tracing::error!(
                target: "staunch",
                name = config.name,
                %error,
                "invalid resilience settings; using the defaults"
            );
            crate::settings::record_fallback(config.name, &error);
            ResilienceSettings::default()
        });
    merge(config, &settings, None)
}

/// The given arguments over the preset's process-wide policy: the one
/// [installed](Preset::install), else the one made from the environment. So a function
/// given `LLM_CIRCUIT_BREAKER` retries like `Policy::llm()` does, whichever way it was
/// configured.
fn resolve_preset(config: &Config, preset: Preset) -> Resolved {
    let policy = preset.policy();
    let retry = policy.retry();
    let backoff = retry.backoff();
    let base = ResilienceSettings {
        retry_max_attempts: retry.max_attempts(),
        retry_wait_min: backoff.first_delay(),
        retry_wait_max: backoff.max_delay(),
        attempt_timeout: policy.attempt_timeout(),
        ..preset.defaults()
    };
    merge(config, &base, Some(preset))
}

fn loader(config: &Config) -> SettingsLoader {
    let mut loader = ResilienceSettings::loader();
    #[cfg(feature = "dotenv")]
    {
        loader = loader.dotenv();
    }
    if let Some(n) = config.max_attempts {
        loader = loader.retry_max_attempts(n);
    }
    if let Some(d) = config.wait_min {
        loader = loader.retry_wait_min(d);
    }
    if let Some(d) = config.wait_max {
        loader = loader.retry_wait_max(d);
    }
    if let Some(n) = config.failure_threshold {
        loader = loader.circuit_failure_threshold(n);
    }
    if let Some(d) = config.recovery_timeout {
        loader = loader.circuit_recovery_timeout(d);
    }
    loader
}

/// The merged numbers, before the retry policy is built from them.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Merged {
    max_attempts: u32,
    wait_min: Duration,
    wait_max: Duration,
    failure_threshold: u32,
    recovery_timeout: Duration,
}

fn merge(config: &Config, settings: &ResilienceSettings, preset: Option<Preset>) -> Resolved {
    let merged = numbers(config, settings);
    let jitter = config
        .jitter
        .or(preset.map(|p| p.jitter()))
        .unwrap_or(Jitter::None);
    let mut builder = RetryBuilder::retry_on_exception()
        .max_attempts(merged.max_attempts)
        .wait_min(merged.wait_min)
        .wait_max(merged.wait_max)
        .jitter(jitter)
        .name(config.name);
    if let Some(seed) = config.seed {
        builder = builder.seed(seed);
    }
    let retry = builder.build().unwrap_or_else(|error| {
        tracing::error!(target: "staunch", name = config.name, %error, "invalid retry; using the defaults");
        crate::settings::record_fallback(config.name, &error);
        RetryPolicy::retry_on_exception()
    });
    Resolved {
        retry,
        failure_threshold: merged.failure_threshold,
        recovery_timeout: merged.recovery_timeout,
        attempt_timeout: settings.attempt_timeout,
        preset,
    }
}

fn numbers(config: &Config, settings: &ResilienceSettings) -> Merged {
    let mut wait_min = config.wait_min.unwrap_or(settings.retry_wait_min);
    let mut wait_max = config.wait_max.unwrap_or(settings.retry_wait_max);
    if wait_min > wait_max {
        match config.wait_min {
            Some(_) => wait_max = wait_min,
            None => wait_min = wait_max,
        }
    }
    Merged {
        max_attempts: config.max_attempts.unwrap_or(settings.retry_max_attempts),
        wait_min,
        wait_max,
        failure_threshold: config
            .failure_threshold
            .unwrap_or(settings.circuit_failure_threshold),
        recovery_timeout: config
            .recovery_timeout
            .unwrap_or(settings.circuit_recovery_timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn given_arguments_win_over_settings() {
        let settings = ResilienceSettings {
            retry_max_attempts: 7,
            circuit_failure_threshold: 2,
            ..ResilienceSettings::default()
        };
        let config = Config::new("f").max_attempts(4).recovery_timeout(SECOND);
        let merged = numbers(&config, &settings);
        assert_eq!(merged.max_attempts, 4);
        assert_eq!(merged.failure_threshold, 2);
        assert_eq!(merged.recovery_timeout, SECOND);
        assert_eq!(merged.wait_min, settings.retry_wait_min);
        assert_eq!(merge(&config, &settings, None).retry.max_attempts(), 4);
    }

    #[test]
    fn a_given_bound_stretches_the_other() {
        let settings = ResilienceSettings::default(); // waits 1 s ..= 10 s
        let above = numbers(&Config::new("f").wait_min(SECOND * 20), &settings);
        assert_eq!((above.wait_min, above.wait_max), (SECOND * 20, SECOND * 20));
        let below = numbers(&Config::new("f").wait_max(SECOND / 2), &settings);
        assert_eq!((below.wait_min, below.wait_max), (SECOND / 2, SECOND / 2));
    }
}
