//! [`PolicyBuilder`]: the four layers of a [`Policy`], validated once in `build()`.

use std::sync::Arc;
use std::time::Duration;

use super::{Inner, Policy};
use crate::engine::step::Shape;
use crate::{
    Backoff, CircuitBreaker, Clock, ConfigError, Jitter, RetryBudget, RetryBuilder, RetryPolicy,
};

/// Builds a [`Policy`]. Start from [`Policy::builder`].
///
/// Defaults are the seed's `@resilient`: 3 attempts with waits of 1 s doubling to 10 s,
/// a breaker that opens after 5 consecutive failures for 60 s, no budget, no attempt
/// timeout, no deadline.
///
/// - Retry: [`max_attempts`](Self::max_attempts), [`wait_min`](Self::wait_min),
///   [`wait_max`](Self::wait_max), [`jitter`](Self::jitter), [`seed`](Self::seed),
///   [`backoff`](Self::backoff), [`deadline`](Self::deadline),
///   [`max_delay_hint`](Self::max_delay_hint), or a whole [`retry`](Self::retry) policy.
/// - Breaker: [`failure_threshold`](Self::failure_threshold) and
///   [`recovery_timeout`](Self::recovery_timeout) for a new breaker named after the
///   policy, or an existing one ([`breaker`](Self::breaker): a preset, a registry entry,
///   a breaker built with every option).
/// - [`attempt_timeout`](Self::attempt_timeout), [`budget`](Self::budget),
///   [`max_probe_wait`](Self::max_probe_wait), [`clock`](Self::clock).
///
/// `build()` checks the layers together (an attempt timeout no longer than the deadline,
/// no breaker settings next to a given breaker) and names the first bad setting.
///
/// ```
/// use std::time::Duration;
/// use staunch::{test_util::FakeClock, Jitter, Policy, RetryBudget};
///
/// let fake = FakeClock::new();
/// let policy = Policy::builder("inventory")
///     .max_attempts(4)
///     .wait_min(Duration::from_millis(100))
///     .wait_max(Duration::from_secs(2))
///     .jitter(Jitter::Full)
///     .failure_threshold(3)
///     .recovery_timeout(Duration::from_secs(15))
///     .attempt_timeout(Duration::from_secs(2))
///     .deadline(Duration::from_secs(10))
///     .budget(RetryBudget::builder().clock(fake.clock()).build()?)
///     .clock(fake.clock())
///     .build()?;
/// assert_eq!(policy.name(), "inventory");
///
/// let err = Policy::builder("x")
///     .attempt_timeout(Duration::from_secs(30))
///     .deadline(Duration::from_secs(10))
///     .build()
///     .unwrap_err();
/// assert_eq!(err.to_string(), "invalid attempt_timeout `30s`: must not exceed the deadline (10s)");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct PolicyBuilder {
    name: String,
    retry: RetryBuilder,
    breaker: Option<CircuitBreaker>,
    failure_threshold: Option<u32>,
    recovery_timeout: Option<Duration>,
    budget: Option<RetryBudget>,
    attempt_timeout: Option<Duration>,
    max_probe_wait: Option<Duration>,
    clock: Clock,
}

impl PolicyBuilder {
    pub(crate) fn new(name: String) -> Self {
        Self {
            name,
            retry: RetryBuilder::retry_on_exception(),
            breaker: None,
            failure_threshold: None,
            recovery_timeout: None,
            budget: None,
            attempt_timeout: None,
            max_probe_wait: None,
            clock: Clock::system(),
        }
    }

    pub(crate) fn from_policy(policy: &Policy) -> Self {
        let inner = &policy.inner;
        Self {
            name: inner.breaker.name().to_owned(),
            retry: inner.retry.to_builder(),
            breaker: Some(inner.breaker.clone()),
            failure_threshold: None,
            recovery_timeout: None,
            budget: inner.budget.clone(),
            attempt_timeout: inner.attempt_timeout,
            max_probe_wait: inner.max_probe_wait,
            clock: inner.clock.clone(),
        }
    }

    /// Attempts in total, the first call included (default 3, at least 1).
    ///
    /// ```
    /// let policy = staunch::Policy::builder("db").max_attempts(5).build()?;
    /// assert_eq!(policy.retry().max_attempts(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.retry = self.retry.max_attempts(attempts);
        self
    }

    /// The first wait and the floor of every wait (default 1 s).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = staunch::Policy::builder("db").wait_min(Duration::from_millis(100)).build()?;
    /// assert_eq!(policy.retry().backoff().min_delay(), Duration::from_millis(100));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_min(mut self, wait: Duration) -> Self {
        self.retry = self.retry.wait_min(wait);
        self
    }

    /// The cap of every wait, jittered or not (default 10 s).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = staunch::Policy::builder("db").wait_max(Duration::from_secs(2)).build()?;
    /// assert_eq!(policy.retry().backoff().max_delay(), Duration::from_secs(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_max(mut self, wait: Duration) -> Self {
        self.retry = self.retry.wait_max(wait);
        self
    }

    /// The jitter of the waits (default none, as the seed's `@resilient`).
    ///
    /// ```
    /// use staunch::Jitter;
    /// let policy = staunch::Policy::builder("db").jitter(Jitter::Full).build()?;
    /// assert_eq!(policy.retry().backoff().jitter(), Jitter::Full);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.retry = self.retry.jitter(jitter);
        self
    }

    /// Seeds the jitter, for reproducible tests.
    ///
    /// ```
    /// use staunch::Jitter;
    /// let a = staunch::Policy::builder("a").jitter(Jitter::Full).seed(7).build()?;
    /// let b = staunch::Policy::builder("b").jitter(Jitter::Full).seed(7).build()?;
    /// assert!(a.retry().backoff().iter().take(3).eq(b.retry().backoff().iter().take(3)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.retry = self.retry.seed(seed);
        self
    }

    /// Replaces the whole backoff.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use staunch::Backoff;
    /// let policy = staunch::Policy::builder("db").backoff(Backoff::constant(Duration::from_millis(50))).build()?;
    /// assert_eq!(policy.retry().backoff().iter().nth(3), Some(Duration::from_millis(50)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.retry = self.retry.backoff(backoff);
        self
    }

    /// An overall deadline for the call, retries and waits included, on the clock.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = staunch::Policy::builder("db").deadline(Duration::from_secs(5)).build()?;
    /// assert_eq!(policy.retry().deadline(), Some(Duration::from_secs(5)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.retry = self.retry.deadline(deadline);
        self
    }

    /// The longest server delay hint the retry honours (default 60 s).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = staunch::Policy::builder("llm").max_delay_hint(Duration::from_secs(30)).build()?;
    /// assert_eq!(policy.retry().max_delay_hint(), Duration::from_secs(30));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_delay_hint(mut self, cap: Duration) -> Self {
        self.retry = self.retry.max_delay_hint(cap);
        self
    }

    /// Takes every retry setting from `policy` (its name is not used: a policy is named
    /// after its breaker).
    ///
    /// ```
    /// let policy = staunch::Policy::builder("db").retry(staunch::RetryPolicy::retry_with_jitter()).build()?;
    /// assert_eq!(policy.retry().max_attempts(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy.to_builder();
        self
    }

    /// Consecutive counted failures that open the new breaker (default 5).
    ///
    /// ```
    /// let policy = staunch::Policy::builder("db").failure_threshold(1).build()?;
    /// let _ = policy.breaker().try_acquire()?.failure();
    /// assert_eq!(policy.breaker().state(), staunch::CircuitState::Open);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn failure_threshold(mut self, failures: u32) -> Self {
        self.failure_threshold = Some(failures);
        self
    }

    /// How long the new breaker stays open before a probe (default 60 s).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let fake = staunch::test_util::FakeClock::new();
    /// let policy = staunch::Policy::builder("db")
    ///     .failure_threshold(1)
    ///     .recovery_timeout(Duration::from_secs(5))
    ///     .clock(fake.clock())
    ///     .build()?;
    /// policy.breaker().try_acquire()?.failure();
    /// assert_eq!(policy.breaker().try_acquire().unwrap_err().retry_after(), Some(Duration::from_secs(5)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recovery_timeout(mut self, timeout: Duration) -> Self {
        self.recovery_timeout = Some(timeout);
        self
    }

    /// Uses an existing breaker instead of building one; the policy takes its name.
    /// Shared breakers (presets, the registry) make every policy and function that uses
    /// them trip and recover together.
    ///
    /// ```
    /// use staunch::{Policy, LLM_CIRCUIT_BREAKER};
    /// let policy = Policy::builder("ignored").breaker(LLM_CIRCUIT_BREAKER.clone()).build()?;
    /// assert_eq!(policy.name(), "llm");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.breaker = Some(breaker);
        self
    }

    /// Spends retries from `budget` (one deposit per call, one withdrawal per retry).
    /// Clones of a budget share it, so several policies can draw on one.
    ///
    /// ```
    /// let budget = staunch::RetryBudget::default();
    /// let policy = staunch::Policy::builder("db").budget(budget.clone()).build()?;
    /// assert_eq!(policy.budget().unwrap().retry_ratio(), budget.retry_ratio());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// A time limit for each attempt. A timed-out attempt counts as a breaker failure and
    /// is retried like a transient error. See the [module docs](super) for blocking code.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = staunch::Policy::builder("mcp").attempt_timeout(Duration::from_secs(30)).build()?;
    /// assert_eq!(policy.attempt_timeout(), Some(Duration::from_secs(30)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The longest one call waits for open circuits' probes, in all: the waits for probes
    /// it makes (after a refusal, or after a failure that left the circuit open, each
    /// counted in full) add up to at most `wait`; a wait that would go past what is left
    /// ends the call with [`BreakerOpen`](crate::PolicyErrorKind::BreakerOpen). By
    /// default: the time left before the deadline, or without one what the backoff could
    /// wait over the whole call, `wait_max` × (`max_attempts` − 1), less the waits
    /// already made. Zero never waits: an open circuit ends the call at once. See
    /// [the retry knows the breaker](crate::policy#the-retry-knows-the-breaker).
    ///
    /// ```
    /// # use std::time::Duration;
    /// use staunch::{policy::PolicyErrorKind, test_util::FakeClock, Policy};
    /// let fake = FakeClock::new();
    /// let policy = Policy::builder("db")
    ///     .failure_threshold(1)
    ///     .recovery_timeout(Duration::from_secs(5))
    ///     .max_probe_wait(Duration::ZERO) // never wait for a probe
    ///     .clock(fake.clock())
    ///     .build()?;
    /// let err = policy.call_blocking(|| Err::<(), _>("down")).unwrap_err();
    /// assert_eq!((err.kind(), fake.sleeps().len()), (PolicyErrorKind::BreakerOpen, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_probe_wait(mut self, wait: Duration) -> Self {
        self.max_probe_wait = Some(wait);
        self
    }

    /// Reads time and sleeps on `clock`, for the retry, the timeouts and the breaker this
    /// builder makes (default: the system clock). A given breaker or budget keeps its own.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, Policy};
    /// let fake = FakeClock::new();
    /// let policy = Policy::builder("db").clock(fake.clock()).build()?;
    /// let _ = policy.call_blocking(|| Err::<(), _>("down"));
    /// assert_eq!(fake.total_slept(), std::time::Duration::from_secs(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// Checks the layers and builds the policy.
    ///
    /// ```
    /// let err = staunch::Policy::builder("db").failure_threshold(0).build().unwrap_err();
    /// assert_eq!(err.field(), "failure_threshold");
    /// ```
    pub fn build(self) -> Result<Policy, ConfigError> {
        let retry = self.retry.build()?;
        if let Some(timeout) = self.attempt_timeout {
            check_timeout(timeout, retry.deadline())?;
        }
        let breaker = match self.breaker {
            Some(breaker) => {
                given_breaker(&breaker, self.failure_threshold, self.recovery_timeout)?;
                breaker
            }
            None => {
                let mut builder = CircuitBreaker::builder(self.name).clock(self.clock.clone());
                if let Some(n) = self.failure_threshold {
                    builder = builder.failure_threshold(n);
                }
                if let Some(d) = self.recovery_timeout {
                    builder = builder.recovery_timeout(d);
                }
                builder.build()?
            }
        };
        Ok(Policy {
            inner: Arc::new(Inner {
                #[cfg(feature = "metrics")]
                metrics: crate::engine::events::Metrics::new(breaker.name()),
                retry,
                breaker,
                shape: Shape::new(
                    self.budget.is_some(),
                    retry.deadline(),
                    self.attempt_timeout,
                ),
                budget: self.budget,
                attempt_timeout: self.attempt_timeout,
                max_probe_wait: self.max_probe_wait,
                clock: self.clock,
            }),
        })
    }
}

fn check_timeout(timeout: Duration, deadline: Option<Duration>) -> Result<(), ConfigError> {
    let show = |d: Duration| humantime::format_duration(d).to_string();
    if timeout.is_zero() {
        return Err(ConfigError::new(
            "attempt_timeout",
            "0s",
            "must be greater than zero",
        ));
    }
    match deadline {
        Some(deadline) if timeout > deadline => Err(ConfigError::new(
            "attempt_timeout",
            show(timeout),
            format!("must not exceed the deadline ({})", show(deadline)),
        )),
        _ => Ok(()),
    }
}

fn given_breaker(
    breaker: &CircuitBreaker,
    failure_threshold: Option<u32>,
    recovery_timeout: Option<Duration>,
) -> Result<(), ConfigError> {
    let reason = format!("cannot be set with a given breaker (`{}`)", breaker.name());
    if let Some(n) = failure_threshold {
        return Err(ConfigError::new("failure_threshold", n, reason));
    }
    if let Some(d) = recovery_timeout {
        let value = humantime::format_duration(d);
        return Err(ConfigError::new("recovery_timeout", value, reason));
    }
    Ok(())
}
