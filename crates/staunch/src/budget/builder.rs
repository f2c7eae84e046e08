//! [`RetryBudgetBuilder`]: validated construction of a [`RetryBudget`].

use std::time::Duration;

use super::RetryBudget;
use crate::{Clock, ConfigError};

const MIN_TTL: Duration = Duration::from_secs(1);
const MAX_TTL: Duration = Duration::from_secs(60);
const MAX_RATIO: f64 = 1000.0;

/// Configures a [`RetryBudget`]; made by [`RetryBudget::builder`], checked by
/// [`build`](Self::build).
///
/// ```
/// use std::time::Duration;
/// use staunch::RetryBudget;
/// use staunch::test_util::FakeClock;
///
/// let budget = RetryBudget::builder()
///     .ttl(Duration::from_secs(30))
///     .min_retries_per_sec(1)
///     .retry_ratio(1.5)
///     .clock(FakeClock::new().clock())
///     .build()?;
/// assert_eq!(budget.balance(), 30);
/// budget.deposit();
/// assert_eq!(budget.balance(), 31); // 1.5 retries earned, 1 whole one so far
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct RetryBudgetBuilder {
    ttl: Duration,
    min_retries_per_sec: u32,
    retry_ratio: f64,
    clock: Clock,
}

impl RetryBudgetBuilder {
    pub(crate) const fn new() -> Self {
        Self {
            ttl: RetryBudget::DEFAULT_TTL,
            min_retries_per_sec: RetryBudget::DEFAULT_MIN_RETRIES_PER_SEC,
            retry_ratio: RetryBudget::DEFAULT_RETRY_RATIO,
            clock: Clock::system(),
        }
    }

    /// How long deposits and withdrawals count: 1 s to 60 s, default 10 s. Expiry is exact
    /// to a tenth of it.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let err = staunch::RetryBudget::builder().ttl(Duration::from_secs(90)).build().unwrap_err();
    /// assert_eq!(err.field(), "ttl");
    /// assert_eq!(err.value(), "90s");
    /// ```
    pub const fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Retries per second allowed whatever the traffic, default 10; the standing reserve is
    /// this times the ttl. Zero leaves the ratio alone.
    ///
    /// ```
    /// let budget = staunch::RetryBudget::builder().min_retries_per_sec(0).build()?;
    /// assert_eq!(budget.balance(), 0);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub const fn min_retries_per_sec(mut self, retries: u32) -> Self {
        self.min_retries_per_sec = retries;
        self
    }

    /// Retries earned per call, from 0 (reserve only) to 1000, default 0.2. Applied exactly
    /// to one millionth (rounded down).
    ///
    /// ```
    /// let err = staunch::RetryBudget::builder().retry_ratio(f64::NAN).build().unwrap_err();
    /// assert_eq!(err.field(), "retry_ratio");
    /// assert_eq!(err.value(), "NaN");
    /// ```
    pub const fn retry_ratio(mut self, ratio: f64) -> Self {
        self.retry_ratio = ratio;
        self
    }

    /// The clock that ages deposits (default: the system clock).
    ///
    /// ```
    /// let fake = staunch::test_util::FakeClock::new();
    /// let budget = staunch::RetryBudget::builder().clock(fake.clock()).build()?;
    /// assert!(budget.try_withdraw());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the settings and makes the budget.
    ///
    /// ```
    /// let err = staunch::RetryBudget::builder().retry_ratio(-0.5).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid retry_ratio `-0.5`: must be between 0 and 1000");
    /// ```
    pub fn build(self) -> Result<RetryBudget, ConfigError> {
        if !(MIN_TTL..=MAX_TTL).contains(&self.ttl) {
            return Err(ConfigError::new(
                "ttl",
                format_args!("{:?}", self.ttl),
                "must be between 1s and 60s",
            ));
        }
        if !self.retry_ratio.is_finite() {
            return Err(ConfigError::new(
                "retry_ratio",
                self.retry_ratio,
                "must be finite",
            ));
        }
        if !(0.0..=MAX_RATIO).contains(&self.retry_ratio) {
            return Err(ConfigError::new(
                "retry_ratio",
                self.retry_ratio,
                "must be between 0 and 1000",
            ));
        }
        Ok(RetryBudget::from_parts(
            self.clock,
            self.ttl,
            self.min_retries_per_sec,
            self.retry_ratio,
        ))
    }
}

impl Default for RetryBudgetBuilder {
    /// The same as [`RetryBudget::builder`].
    ///
    /// ```
    /// let budget = staunch::budget::RetryBudgetBuilder::default().build()?;
    /// assert_eq!(budget.retry_ratio(), 0.2);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    fn default() -> Self {
        Self::new()
    }
}
