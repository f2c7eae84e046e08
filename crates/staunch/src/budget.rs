//! [`RetryBudget`]: a shared allowance of retries, earned by calls and spent by retries.
//!
//! # Why a budget
//!
//! Retries multiply load exactly when the called system can least take it. A limit of
//! attempts per call does not bound the total: three attempts at each of five layers reach
//! the bottom 3⁵ = 243 times for one user request, and during an outage every request
//! fails, so every request is retried. A budget bounds the total instead: retries may add
//! at most a fixed fraction to the calls actually made. With the default ratio of 0.2 an
//! outage adds at most 20 % load, where three attempts per call would add 200 %.
//!
//! # Why a ratio and a reserve
//!
//! Each call deposits `retry_ratio` of a retry; each retry withdraws one. A ratio alone
//! would starve quiet clients: a client making one call a minute earns a fifth of a retry
//! and could never retry the odd blip. So a standing reserve of `min_retries_per_sec × ttl`
//! retries sits on top, which a quiet client can always spend; under heavy traffic the
//! ratio dominates. Deposits and withdrawals expire after `ttl`, so a long quiet spell of
//! successes cannot bank an allowance that the next outage would spend at once, and the
//! reserve refills as its withdrawals expire: at most `min_retries_per_sec` per second on
//! average, plus the ratio of recent traffic.
//!
//! This is Finagle's `RetryBudget` and tower's `TpsBudget` (same defaults), with two
//! differences. Fractional ratios are exact: tower withdraws `⌊1/ratio⌋` tokens per retry,
//! so a ratio of 0.7 allowed one retry per call and 0.3 one per three calls; here a retry
//! costs a million units and a call deposits `ratio × 1 000 000` of them (rounded down), so
//! 100 calls at 0.3 allow exactly 30 retries. And no call takes a lock: a deposit is a clock
//! read and two atomic adds, a withdrawal one compare-exchange on the running balance and
//! one add, so two callers can never both spend the last retry.
//!
//! Ratios hold per client even in a fleet: each replica's retries stay within the ratio of
//! its own traffic, so the fleet's stay within the ratio of the fleet's.
//!
//! # Use
//!
//! Call [`deposit`](RetryBudget::deposit) once per original call (not per attempt), and
//! [`try_withdraw`](RetryBudget::try_withdraw) before each retry; when it says no, give up
//! with the last error. Clones share one bucket, so one budget can cover several policies.
//!
//! ```
//! use std::time::Duration;
//! use staunch::RetryBudget;
//! use staunch::test_util::FakeClock;
//!
//! let fake = FakeClock::new();
//! let budget = RetryBudget::builder()
//!     .retry_ratio(0.1)
//!     .min_retries_per_sec(0)
//!     .clock(fake.clock())
//!     .build()?;
//!
//! // An outage: 100 calls, each retried for as long as the budget allows.
//! let mut retries = 0;
//! for _ in 0..100 {
//!     budget.deposit();
//!     while retries < 1_000 && budget.try_withdraw() {
//!         retries += 1;
//!     }
//! }
//! assert_eq!(retries, 10); // 10 % of 100 calls, not 100 × (attempts - 1)
//!
//! fake.advance(Duration::from_secs(10)); // everything expires after the ttl
//! assert_eq!(budget.balance(), 0);
//! # Ok::<(), staunch::ConfigError>(())
//! ```

use std::fmt;
use std::time::Duration;

use crate::sync::Arc;
use crate::Clock;

mod bucket;
mod builder;

pub use builder::RetryBudgetBuilder;

use bucket::{Bucket, UNITS_PER_RETRY};

/// A token bucket of retries shared by every clone: calls deposit a fraction of a retry,
/// retries withdraw one, and both expire after a time-to-live. See the
/// [module docs](self).
///
/// ```
/// use staunch::RetryBudget;
/// use staunch::test_util::FakeClock;
///
/// let fake = FakeClock::new();
/// let budget = RetryBudget::builder().clock(fake.clock()).build()?;
/// let shared = budget.clone();
///
/// assert_eq!(budget.balance(), 100); // the reserve: 10 retries/s over a 10 s ttl
/// assert!(shared.try_withdraw());
/// assert_eq!(budget.balance(), 99);
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    inner: Arc<Inner>,
}

struct Inner {
    bucket: Bucket,
    clock: Clock,
    ttl: Duration,
    min_retries_per_sec: u32,
    retry_ratio: f64,
}

impl RetryBudget {
    /// Finagle's time-to-live: long enough to smooth bursts, short enough that an outage
    /// drains what calls earned within seconds.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(10);

    /// Finagle's reserve: ten retries a second whatever the traffic, so quiet clients can
    /// still retry a blip.
    pub const DEFAULT_MIN_RETRIES_PER_SEC: u32 = 10;

    /// Finagle's ratio: retries add at most 20 % to the calls made.
    pub const DEFAULT_RETRY_RATIO: f64 = 0.2;

    /// A builder with the defaults (ttl 10 s, 10 retries/s, ratio 0.2, system clock).
    ///
    /// ```
    /// use std::time::Duration;
    /// use staunch::RetryBudget;
    ///
    /// let budget = RetryBudget::builder()
    ///     .ttl(Duration::from_secs(5))
    ///     .min_retries_per_sec(2)
    ///     .retry_ratio(0.5)
    ///     .build()?;
    /// assert_eq!(budget.balance(), 10);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn builder() -> RetryBudgetBuilder {
        RetryBudgetBuilder::new()
    }

    pub(crate) fn from_parts(
        clock: Clock,
        ttl: Duration,
        min_retries_per_sec: u32,
        retry_ratio: f64,
    ) -> Self {
        // The builder bounds the ratio to 0..=1000, so this is at most 10⁹ units. The small
        // offset absorbs binary rounding (0.3 × 10⁶ = 299 999.999…) and never adds a unit.
        let deposit = (retry_ratio * UNITS_PER_RETRY as f64 + 1e-3).floor() as u64;
        // At most 4.3 × 10⁹ retries/s × 60 s × 10⁶ units: fits a u64 with room to spare.
        let reserve_retries = u128::from(min_retries_per_sec) * ttl.as_millis() / 1000;
        let reserve =
            u64::try_from(reserve_retries * u128::from(UNITS_PER_RETRY)).unwrap_or(u64::MAX);
        let bucket = Bucket::new(ttl, deposit, reserve, clock.now());
        Self {
            inner: Arc::new(Inner {
                bucket,
                clock,
                ttl,
                min_retries_per_sec,
                retry_ratio,
            }),
        }
    }

    /// Credits one call: `retry_ratio` of a retry, for `ttl`. Call it once per original
    /// call, not per attempt. Costs a clock read and two atomic adds (nothing at ratio 0).
    ///
    /// ```
    /// use staunch::RetryBudget;
    ///
    /// let budget = RetryBudget::builder().min_retries_per_sec(0).retry_ratio(0.5).build()?;
    /// budget.deposit();
    /// budget.deposit();
    /// assert_eq!(budget.balance(), 1);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn deposit(&self) {
        self.inner.bucket.deposit(self.inner.clock.now());
    }

    /// Takes one retry from the budget if it has one; call it before each retry and give up
    /// when it returns `false`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use staunch::RetryBudget;
    ///
    /// let budget = RetryBudget::builder()
    ///     .min_retries_per_sec(1)
    ///     .ttl(Duration::from_secs(1))
    ///     .build()?;
    /// assert!(budget.try_withdraw()); // the reserve: 1 retry/s × 1 s
    /// assert!(!budget.try_withdraw());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn try_withdraw(&self) -> bool {
        self.inner.bucket.try_withdraw(self.inner.clock.now())
    }

    /// Whole retries available now, reserve included: how many times in a row
    /// [`try_withdraw`](Self::try_withdraw) would succeed if nothing else happened.
    ///
    /// ```
    /// use staunch::RetryBudget;
    /// use staunch::test_util::FakeClock;
    ///
    /// let fake = FakeClock::new();
    /// let budget = RetryBudget::builder()
    ///     .min_retries_per_sec(0)
    ///     .retry_ratio(0.25)
    ///     .clock(fake.clock())
    ///     .build()?;
    /// for _ in 0..10 {
    ///     budget.deposit();
    /// }
    /// assert_eq!(budget.balance(), 2); // 2.5 retries earned, 2 whole ones
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn balance(&self) -> u64 {
        let units = self.inner.bucket.balance(self.inner.clock.now());
        u64::try_from(units / i128::from(UNITS_PER_RETRY)).unwrap_or(0)
    }

    /// How long deposits and withdrawals count.
    ///
    /// ```
    /// assert_eq!(staunch::RetryBudget::default().ttl(), staunch::RetryBudget::DEFAULT_TTL);
    /// ```
    pub fn ttl(&self) -> Duration {
        self.inner.ttl
    }

    /// The retries per second allowed whatever the traffic.
    ///
    /// ```
    /// assert_eq!(staunch::RetryBudget::default().min_retries_per_sec(), 10);
    /// ```
    pub fn min_retries_per_sec(&self) -> u32 {
        self.inner.min_retries_per_sec
    }

    /// Retries allowed per call, on top of the reserve.
    ///
    /// ```
    /// assert_eq!(staunch::RetryBudget::default().retry_ratio(), 0.2);
    /// ```
    pub fn retry_ratio(&self) -> f64 {
        self.inner.retry_ratio
    }
}

impl Default for RetryBudget {
    /// Finagle's defaults on the system clock: ttl 10 s, 10 retries/s, ratio 0.2.
    ///
    /// ```
    /// let budget = staunch::RetryBudget::default();
    /// assert_eq!(budget.balance(), 100);
    /// ```
    fn default() -> Self {
        Self::from_parts(
            Clock::system(),
            Self::DEFAULT_TTL,
            Self::DEFAULT_MIN_RETRIES_PER_SEC,
            Self::DEFAULT_RETRY_RATIO,
        )
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("ttl", &self.inner.ttl)
            .field("min_retries_per_sec", &self.inner.min_retries_per_sec)
            .field("retry_ratio", &self.inner.retry_ratio)
            .field("balance", &self.balance())
            .finish()
    }
}
