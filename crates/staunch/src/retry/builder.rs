//! The retry builder: `Copy`, `const fn` setters, validated once in `build()`.

use std::time::Duration;

use super::RetryPolicy;
use crate::backoff::Nanos;
use crate::{Backoff, ConfigError, Jitter};

/// A bad `f64` given to a `*_secs` setter, reported by `build()`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct BadSeconds {
    field: &'static str,
    value: f64,
}

/// Settings of a [`RetryPolicy`], checked once by [`build`](RetryBuilder::build).
///
/// Every setter is a `const fn` except the `*_secs` ones, which take seconds as `f64`
/// (as the seed's settings do) and leave a bad value for `build()` to report.
///
/// ```
/// use std::time::Duration;
/// use staunch::{Jitter, RetryBuilder};
///
/// let policy = RetryBuilder::retry_on_exception()
///     .max_attempts(4)
///     .wait_min(Duration::from_millis(200))
///     .wait_max(Duration::from_secs(2))
///     .jitter(Jitter::Full)
///     .deadline(Duration::from_secs(5))
///     .name("db")
///     .build()?;
/// assert_eq!(policy.max_attempts(), 4);
///
/// let err = RetryBuilder::retry_on_exception().wait_min_secs(f64::NAN).build().unwrap_err();
/// assert_eq!(err.field(), "wait_min");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct RetryBuilder {
    policy: RetryPolicy,
    bad: Option<BadSeconds>,
}

impl RetryBuilder {
    /// The seed's `retry_on_exception` defaults: 3 attempts, 1 s doubling to 10 s, no
    /// jitter.
    ///
    /// ```
    /// let policy = staunch::RetryBuilder::retry_on_exception().max_attempts(5).build().unwrap();
    /// assert_eq!(policy.max_attempts(), 5);
    /// ```
    pub const fn retry_on_exception() -> Self {
        Self::preset(
            3,
            Duration::from_secs(1),
            Duration::from_secs(10),
            Jitter::None,
        )
    }

    /// The seed's `retry_with_jitter` defaults: 5 attempts, base 2 s, max 10 s, full
    /// jitter.
    ///
    /// ```
    /// use staunch::Jitter;
    /// let policy = staunch::RetryBuilder::retry_with_jitter().jitter(Jitter::Equal).build().unwrap();
    /// assert_eq!(policy.backoff().jitter(), Jitter::Equal);
    /// ```
    pub const fn retry_with_jitter() -> Self {
        Self::preset(
            5,
            Duration::from_secs(2),
            Duration::from_secs(10),
            Jitter::Full,
        )
    }

    const fn preset(attempts: u32, wait_min: Duration, wait_max: Duration, jitter: Jitter) -> Self {
        let backoff = Backoff::exponential(wait_min)
            .with_min_delay(wait_min)
            .with_max_delay(wait_max)
            .with_jitter(jitter);
        Self::from_policy(RetryPolicy::new(attempts, backoff))
    }

    pub(crate) const fn from_policy(policy: RetryPolicy) -> Self {
        Self { policy, bad: None }
    }

    /// For presets whose settings are known to be valid.
    pub(crate) const fn assume_valid(self) -> RetryPolicy {
        self.policy
    }

    /// Attempts in total, the first call included (at least 1).
    ///
    /// ```
    /// let err = staunch::RetryBuilder::retry_on_exception().max_attempts(0).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid max_attempts `0`: must be at least 1");
    /// ```
    pub const fn max_attempts(mut self, attempts: u32) -> Self {
        self.policy.max_attempts = attempts;
        self
    }

    /// The shortest wait: the first delay without jitter and the floor of every delay.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let p = staunch::RetryBuilder::retry_on_exception().wait_min(Duration::from_millis(50)).build().unwrap();
    /// assert_eq!(p.backoff().iter().next(), Some(Duration::from_millis(50)));
    /// ```
    pub const fn wait_min(mut self, wait_min: Duration) -> Self {
        let b = self.policy.backoff();
        let wait_min = Nanos::from_duration(wait_min);
        self.policy = self.policy.with_backoff(Backoff {
            first: wait_min,
            floor: wait_min,
            ..b
        });
        self
    }

    /// The longest wait: the cap of every delay, jittered or not.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let p = staunch::RetryBuilder::retry_on_exception().wait_max(Duration::from_secs(3)).build().unwrap();
    /// assert_eq!(p.backoff().iter().nth(5), Some(Duration::from_secs(3)));
    /// ```
    pub const fn wait_max(mut self, wait_max: Duration) -> Self {
        self.policy = self
            .policy
            .with_backoff(self.policy.backoff().with_max_delay(wait_max));
        self
    }

    /// [`wait_min`](Self::wait_min) in seconds; NaN, negative or huge values make
    /// `build()` fail naming `wait_min`.
    ///
    /// ```
    /// let err = staunch::RetryBuilder::retry_on_exception().wait_min_secs(-1.0).build().unwrap_err();
    /// assert_eq!((err.field(), err.value()), ("wait_min", "-1.0"));
    /// ```
    pub fn wait_min_secs(self, secs: f64) -> Self {
        self.seconds("wait_min", secs, Self::wait_min)
    }

    /// [`wait_max`](Self::wait_max) in seconds, checked like
    /// [`wait_min_secs`](Self::wait_min_secs).
    ///
    /// ```
    /// let p = staunch::RetryBuilder::retry_on_exception().wait_max_secs(2.5).build().unwrap();
    /// assert_eq!(p.backoff().max_delay().as_millis(), 2500);
    /// ```
    pub fn wait_max_secs(self, secs: f64) -> Self {
        self.seconds("wait_max", secs, Self::wait_max)
    }

    /// The growth factor of the exponential wait (default 2).
    ///
    /// ```
    /// let err = staunch::RetryBuilder::retry_on_exception().factor(0.5).build().unwrap_err();
    /// assert_eq!(err.field(), "factor");
    /// ```
    pub const fn factor(mut self, factor: f64) -> Self {
        self.policy = self
            .policy
            .with_backoff(self.policy.backoff().with_factor(factor));
        self
    }

    /// The jitter mode of the wait.
    ///
    /// ```
    /// use staunch::Jitter;
    /// let p = staunch::RetryBuilder::retry_on_exception().jitter(Jitter::Full).build().unwrap();
    /// assert_eq!(p.backoff().jitter(), Jitter::Full);
    /// ```
    pub const fn jitter(mut self, jitter: Jitter) -> Self {
        self.policy = self
            .policy
            .with_backoff(self.policy.backoff().with_jitter(jitter));
        self
    }

    /// Seeds the jitter, so every call of the policy draws the same delays (for tests).
    ///
    /// ```
    /// let p = staunch::RetryPolicy::retry_with_jitter().to_builder().seed(1).build().unwrap();
    /// assert!(p.backoff().iter().take(4).eq(p.backoff().iter().take(4)));
    /// ```
    pub const fn seed(mut self, seed: u64) -> Self {
        self.policy = self
            .policy
            .with_backoff(self.policy.backoff().with_seed(seed));
        self
    }

    /// Replaces the whole backoff (strategy, floor, cap, jitter).
    ///
    /// ```
    /// # use std::time::Duration;
    /// use staunch::Backoff;
    /// let p = staunch::RetryPolicy::builder()
    ///     .backoff(Backoff::constant(Duration::from_millis(100)))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(p.backoff().iter().nth(9), Some(Duration::from_millis(100)));
    /// ```
    pub const fn backoff(mut self, backoff: Backoff) -> Self {
        self.policy = self.policy.with_backoff(backoff);
        self
    }

    /// An overall deadline on the clock, from the start of the call: no attempt starts
    /// after it, and the last wait is trimmed to end at it.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let p = staunch::RetryPolicy::builder().deadline(Duration::from_secs(5)).build().unwrap();
    /// assert_eq!(p.deadline(), Some(Duration::from_secs(5)));
    /// ```
    pub const fn deadline(mut self, deadline: Duration) -> Self {
        self.policy = self.policy.with_deadline(deadline);
        self
    }

    /// [`deadline`](Self::deadline) in seconds, checked like
    /// [`wait_min_secs`](Self::wait_min_secs).
    ///
    /// ```
    /// let err = staunch::RetryPolicy::builder().deadline_secs(1e300).build().unwrap_err();
    /// assert_eq!(err.field(), "deadline");
    /// ```
    pub fn deadline_secs(self, secs: f64) -> Self {
        self.seconds("deadline", secs, Self::deadline)
    }

    /// The longest server delay hint to honour (default 60 s); a longer hint stops the
    /// retry at once with `RetryErrorKind::HintTooLong`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let p = staunch::RetryPolicy::builder().max_delay_hint(Duration::from_secs(30)).build().unwrap();
    /// assert_eq!(p.max_delay_hint(), Duration::from_secs(30));
    /// ```
    pub const fn max_delay_hint(mut self, cap: Duration) -> Self {
        self.policy.max_delay_hint = Nanos::from_duration(cap);
        self
    }

    /// [`max_delay_hint`](Self::max_delay_hint) in seconds, checked like
    /// [`wait_min_secs`](Self::wait_min_secs).
    ///
    /// ```
    /// let p = staunch::RetryPolicy::builder().max_delay_hint_secs(0.5).build().unwrap();
    /// assert_eq!(p.max_delay_hint().as_millis(), 500);
    /// ```
    pub fn max_delay_hint_secs(self, secs: f64) -> Self {
        self.seconds("max_delay_hint", secs, Self::max_delay_hint)
    }

    /// The name used in `tracing` events and metric labels.
    ///
    /// ```
    /// let p = staunch::RetryPolicy::builder().name("llm").build().unwrap();
    /// assert_eq!(p.name(), Some("llm"));
    /// ```
    pub const fn name(mut self, name: &'static str) -> Self {
        self.policy.name = Some(name);
        self
    }

    fn seconds(self, field: &'static str, secs: f64, set: fn(Self, Duration) -> Self) -> Self {
        match Duration::try_from_secs_f64(secs) {
            Ok(duration) => set(self, duration),
            Err(_) => Self {
                bad: self.bad.or(Some(BadSeconds { field, value: secs })),
                ..self
            },
        }
    }

    /// Checks every setting and returns the policy, or an error naming the first bad
    /// field and its value.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let err = staunch::RetryPolicy::builder().wait_min(Duration::from_secs(12)).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid wait_min `12s`: must not exceed wait_max (10s)");
    /// ```
    pub fn build(self) -> Result<RetryPolicy, ConfigError> {
        if let Some(bad) = self.bad {
            let reason = "must be a finite, non-negative number of seconds within range";
            return Err(ConfigError::new(
                bad.field,
                format!("{:?}", bad.value),
                reason,
            ));
        }
        let policy = self.policy;
        if policy.max_attempts == 0 {
            return Err(ConfigError::new("max_attempts", 0, "must be at least 1"));
        }
        let backoff = policy.backoff();
        if backoff.min_delay() > backoff.max_delay() {
            return Err(ConfigError::new(
                "wait_min",
                format!("{:?}", backoff.min_delay()),
                format!("must not exceed wait_max ({:?})", backoff.max_delay()),
            ));
        }
        backoff.validate()?;
        Ok(policy)
    }
}

impl Default for RetryBuilder {
    /// The [`retry_on_exception`](Self::retry_on_exception) defaults.
    fn default() -> Self {
        Self::retry_on_exception()
    }
}
