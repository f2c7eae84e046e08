//! Backoff strategies and jitter: how long to wait before each retry.
//!
//! A [`Backoff`] is a small `Copy` description (strategy, first delay, floor, cap, jitter,
//! optional seed). Its delays come out of an ordinary [`Iterator`] ([`Delays`]), so they
//! compose with `take`, `map` and `zip`, and any `Iterator<Item = Duration>` can stand in
//! where a schedule is expected.
//!
//! # The rules, exactly
//!
//! For the retry numbered `n` (1 on the first retry) the strategy gives a raw delay:
//!
//! | strategy | raw delay of retry `n` |
//! |---|---|
//! | [`constant(d)`](Backoff::constant) | `d` |
//! | [`linear(d)`](Backoff::linear) | `d + step·(n−1)` (step defaults to `d`) |
//! | [`exponential(d)`](Backoff::exponential) | `d · factor^(n−1)` (factor defaults to 2) |
//! | [`fibonacci(d)`](Backoff::fibonacci) | `d · F(n)`, F = 1, 1, 2, 3, 5 … |
//! | [`decorrelated(d)`](Backoff::decorrelated) | exponential with factor 3, floor `d`, decorrelated jitter |
//!
//! The *ceiling* of retry `n` is its raw delay clamped into `[floor, cap]`. Without jitter
//! the delay is the ceiling. With jitter the delay is drawn **inside** `[floor, cap]`,
//! never clamped afterwards, so long-waiting clients stay spread out once their delays
//! reach the cap. Jitter spreads retry `n` up to the ceiling of retry `n + 1`, which is
//! the exponent of the AWS article, and makes the very first retry random already:
//!
//! | [`Jitter`] | delay of retry `n`, with `hi` = ceiling of retry `n + 1` |
//! |---|---|
//! | `None` | ceiling of retry `n` |
//! | `Full` | `U(floor, hi)` |
//! | `Equal` | `U(max(floor, hi/2), hi)` |
//! | `Decorrelated` | `U(floor, min(hi, max(first, 3·previous)))`, `previous` starting at the first delay |
//!
//! So `exponential(2 s)` with floor 2 s, cap 10 s and full jitter draws
//! `U(2, 4)`, `U(2, 8)`, `U(2, 10)`, `U(2, 10)` … seconds: the seed's `retry_with_jitter`.
//!
//! All arithmetic saturates: retry `u32::MAX`, `Duration::MAX` or a factor of `1e300`
//! yield the cap; nothing panics or wraps.
//!
//! ```
//! use std::time::Duration;
//! use staunch::Backoff;
//!
//! let seed_schedule: Vec<u64> = Backoff::exponential(Duration::from_secs(1))
//!     .with_max_delay(Duration::from_secs(10))
//!     .iter()
//!     .take(6)
//!     .map(|d| d.as_secs())
//!     .collect();
//! assert_eq!(seed_schedule, [1, 2, 4, 8, 10, 10]);
//! ```

use std::time::Duration;

use crate::ConfigError;

mod delays;
mod jitter;

pub use delays::Delays;
pub use jitter::Jitter;

/// The cap of a growing strategy unless [`Backoff::with_max_delay`] says otherwise.
///
/// ```
/// # use std::time::Duration;
/// let b = staunch::Backoff::exponential(Duration::from_secs(1));
/// assert_eq!(b.max_delay(), staunch::backoff::DEFAULT_MAX_DELAY);
/// ```
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(60);

/// How a strategy grows from one retry to the next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Strategy {
    Constant,
    Linear { step: Duration },
    Exponential { factor: f64 },
    Fibonacci,
}

/// A backoff schedule: strategy, first delay, floor, cap, jitter and an optional seed.
///
/// `Copy`, built with `const fn` setters; [`iter`](Backoff::iter) hands out the delays.
/// See the [module docs](crate::backoff) for the exact formulas.
///
/// ```
/// use std::time::Duration;
/// use staunch::{Backoff, Jitter};
///
/// let backoff = Backoff::exponential(Duration::from_millis(100))
///     .with_max_delay(Duration::from_secs(2))
///     .with_jitter(Jitter::Full)
///     .with_seed(7);
/// assert!(backoff.validate().is_ok());
/// for delay in backoff.iter().take(20) {
///     assert!(delay <= Duration::from_secs(2));
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    pub(crate) strategy: Strategy,
    pub(crate) first: Duration,
    pub(crate) floor: Duration,
    pub(crate) cap: Duration,
    pub(crate) jitter: Jitter,
    pub(crate) seed: Option<u64>,
}

impl Backoff {
    const fn with_strategy(strategy: Strategy, first: Duration, cap: Duration) -> Self {
        Self {
            strategy,
            first,
            floor: Duration::ZERO,
            cap,
            jitter: Jitter::None,
            seed: None,
        }
    }

    /// The same delay before every retry; no cap unless one is set.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let mut delays = staunch::Backoff::constant(Duration::from_millis(250)).iter();
    /// assert_eq!(delays.next(), Some(Duration::from_millis(250)));
    /// assert_eq!(delays.nth(1000), Some(Duration::from_millis(250)));
    /// ```
    pub const fn constant(delay: Duration) -> Self {
        Self::with_strategy(Strategy::Constant, delay, Duration::MAX)
    }

    /// `first`, then one `step` more each retry (the step defaults to `first`); cap 60 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let secs: Vec<u64> = staunch::Backoff::linear(Duration::from_secs(1))
    ///     .iter().take(4).map(|d| d.as_secs()).collect();
    /// assert_eq!(secs, [1, 2, 3, 4]);
    /// ```
    pub const fn linear(first: Duration) -> Self {
        Self::with_strategy(Strategy::Linear { step: first }, first, DEFAULT_MAX_DELAY)
    }

    /// `first`, multiplied by the factor (default 2) each retry; cap 60 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let secs: Vec<u64> = staunch::Backoff::exponential(Duration::from_secs(1))
    ///     .iter().take(8).map(|d| d.as_secs()).collect();
    /// assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60]);
    /// ```
    pub const fn exponential(first: Duration) -> Self {
        Self::with_strategy(
            Strategy::Exponential { factor: 2.0 },
            first,
            DEFAULT_MAX_DELAY,
        )
    }

    /// `first` times the Fibonacci numbers 1, 1, 2, 3, 5 …; cap 60 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let secs: Vec<u64> = staunch::Backoff::fibonacci(Duration::from_secs(1))
    ///     .iter().take(6).map(|d| d.as_secs()).collect();
    /// assert_eq!(secs, [1, 1, 2, 3, 5, 8]);
    /// ```
    pub const fn fibonacci(first: Duration) -> Self {
        Self::with_strategy(Strategy::Fibonacci, first, DEFAULT_MAX_DELAY)
    }

    /// Decorrelated jitter (AWS): `U(base, min(cap, 3·previous))`, never below `base`,
    /// never above the cap (60 s by default), random even at the cap.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let base = Duration::from_millis(100);
    /// let cap = Duration::from_secs(1);
    /// for d in staunch::Backoff::decorrelated(base).with_max_delay(cap).with_seed(1).iter().take(50) {
    ///     assert!(base <= d && d <= cap);
    /// }
    /// ```
    pub const fn decorrelated(base: Duration) -> Self {
        Self::exponential(base)
            .with_factor(3.0)
            .with_min_delay(base)
            .with_jitter(Jitter::Decorrelated)
    }

    /// The growth factor of an exponential backoff; ignored by other strategies.
    ///
    /// Must be at least 1 and finite ([`validate`](Backoff::validate) checks); huge
    /// factors simply reach the cap.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let secs: Vec<u64> = staunch::Backoff::exponential(Duration::from_secs(1))
    ///     .with_factor(3.0).iter().take(3).map(|d| d.as_secs()).collect();
    /// assert_eq!(secs, [1, 3, 9]);
    /// ```
    pub const fn with_factor(mut self, factor: f64) -> Self {
        if let Strategy::Exponential { .. } = self.strategy {
            self.strategy = Strategy::Exponential { factor };
        }
        self
    }

    /// The step of a linear backoff; ignored by other strategies.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let ms: Vec<u128> = staunch::Backoff::linear(Duration::from_millis(100))
    ///     .with_step(Duration::from_millis(50)).iter().take(3).map(|d| d.as_millis()).collect();
    /// assert_eq!(ms, [100, 150, 200]);
    /// ```
    pub const fn with_step(mut self, step: Duration) -> Self {
        if let Strategy::Linear { .. } = self.strategy {
            self.strategy = Strategy::Linear { step };
        }
        self
    }

    /// The floor: no delay is shorter, jittered or not (default zero).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = staunch::Backoff::constant(Duration::ZERO).with_min_delay(Duration::from_secs(1));
    /// assert_eq!(b.iter().next(), Some(Duration::from_secs(1)));
    /// ```
    pub const fn with_min_delay(mut self, floor: Duration) -> Self {
        self.floor = floor;
        self
    }

    /// The cap: no delay is longer, jittered or not.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = staunch::Backoff::exponential(Duration::from_secs(1)).with_max_delay(Duration::from_secs(3));
    /// assert_eq!(b.iter().nth(2), Some(Duration::from_secs(3)));
    /// ```
    pub const fn with_max_delay(mut self, cap: Duration) -> Self {
        self.cap = cap;
        self
    }

    /// The jitter mode (default [`Jitter::None`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// use staunch::{Backoff, Jitter};
    /// let b = Backoff::constant(Duration::from_secs(1)).with_jitter(Jitter::Full);
    /// assert!(b.iter().take(10).all(|d| d <= Duration::from_secs(1)));
    /// ```
    pub const fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Seeds the random source, so every [`iter`](Backoff::iter) draws the same delays.
    ///
    /// Meant for tests and simulations: in production, unseeded backoffs keep clients
    /// apart.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use staunch::{Backoff, Jitter};
    /// let b = Backoff::exponential(Duration::from_secs(1)).with_jitter(Jitter::Full).with_seed(42);
    /// assert!(b.iter().take(5).eq(b.iter().take(5)));
    /// ```
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The first delay (before the floor, cap and jitter apply).
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(staunch::Backoff::linear(Duration::from_secs(2)).first_delay(), Duration::from_secs(2));
    /// ```
    pub const fn first_delay(&self) -> Duration {
        self.first
    }

    /// The floor set by [`with_min_delay`](Backoff::with_min_delay).
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(staunch::Backoff::linear(Duration::from_secs(2)).min_delay(), Duration::ZERO);
    /// ```
    pub const fn min_delay(&self) -> Duration {
        self.floor
    }

    /// The cap set by [`with_max_delay`](Backoff::with_max_delay).
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(staunch::Backoff::linear(Duration::from_secs(2)).max_delay(), Duration::from_secs(60));
    /// ```
    pub const fn max_delay(&self) -> Duration {
        self.cap
    }

    /// The jitter mode.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use staunch::{Backoff, Jitter};
    /// assert_eq!(Backoff::decorrelated(Duration::from_secs(1)).jitter(), Jitter::Decorrelated);
    /// ```
    pub const fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The delays, one per retry, forever (use `take` or a retry policy to bound them).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let total: Duration = staunch::Backoff::constant(Duration::from_secs(1)).iter().take(3).sum();
    /// assert_eq!(total, Duration::from_secs(3));
    /// ```
    pub fn iter(&self) -> Delays {
        Delays::new(*self)
    }

    /// Checks the settings: floor not above the cap, factor finite and at least 1.
    ///
    /// Iterating an invalid backoff never panics (the floor yields to the cap), but
    /// policies refuse it in `build()`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = staunch::Backoff::exponential(Duration::from_secs(1)).with_factor(f64::NAN);
    /// assert_eq!(b.validate().unwrap_err().field(), "factor");
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.floor > self.cap {
            return Err(ConfigError::new(
                "min_delay",
                format!("{:?}", self.floor),
                format!("must not exceed max_delay ({:?})", self.cap),
            ));
        }
        if let Strategy::Exponential { factor } = self.strategy {
            if !(factor.is_finite() && factor >= 1.0) {
                return Err(ConfigError::new(
                    "factor",
                    factor,
                    "must be a finite number of at least 1",
                ));
            }
        }
        Ok(())
    }
}

impl IntoIterator for Backoff {
    type Item = Duration;
    type IntoIter = Delays;

    fn into_iter(self) -> Delays {
        Delays::new(self)
    }
}

impl IntoIterator for &Backoff {
    type Item = Duration;
    type IntoIter = Delays;

    fn into_iter(self) -> Delays {
        Delays::new(*self)
    }
}
