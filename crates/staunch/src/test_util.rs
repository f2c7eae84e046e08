//! Test kit for users' own tests: a fake clock whose sleeps advance time instantly.
//!
//! ```
//! use std::time::Duration;
//! use staunch::test_util::FakeClock;
//!
//! let fake = FakeClock::new();
//! let clock = fake.clock();
//! clock.sleep_blocking(Duration::from_secs(60)); // returns at once
//! assert_eq!(fake.now(), Duration::from_secs(60));
//! assert_eq!(fake.total_slept(), Duration::from_secs(60));
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::{Clock, Sleep, TimeSource};

/// A manually driven clock. Sleeping on it (sync or async) advances it by the sleep's
/// length and returns at once; every sleep is recorded.
///
/// Timers are sleeps too: an attempt timeout on this clock fires the first time it is
/// polled, so it cuts any attempt that is still pending then. To test an attempt that
/// runs late, advance the clock inside it ([`advance`](Self::advance)) and return.
///
/// Clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use staunch::test_util::FakeClock;
///
/// let fake = FakeClock::new();
/// fake.advance(Duration::from_millis(1500));
/// assert_eq!(fake.clock().now(), Duration::from_millis(1500));
/// ```
#[derive(Clone, Debug, Default)]
pub struct FakeClock {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    /// Nanoseconds since the origin. Relaxed is enough: the value is its own message and
    /// tests that share it across threads synchronize through their own joins.
    nanos: AtomicU64,
    sleeps: Mutex<Vec<Duration>>,
}

impl FakeClock {
    /// A fake clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// A [`Clock`] reading this fake time; give it to policies under test.
    ///
    /// ```
    /// let fake = staunch::test_util::FakeClock::new();
    /// assert!(!fake.clock().is_system());
    /// ```
    pub fn clock(&self) -> Clock {
        Clock::custom(self.clone())
    }

    /// The current fake time.
    ///
    /// ```
    /// assert_eq!(staunch::test_util::FakeClock::new().now(), std::time::Duration::ZERO);
    /// ```
    pub fn now(&self) -> Duration {
        Duration::from_nanos(self.shared.nanos.load(Ordering::Relaxed))
    }

    /// Moves time forward by `by` (saturating at `u64::MAX` nanoseconds).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let fake = staunch::test_util::FakeClock::new();
    /// fake.advance(Duration::from_secs(5));
    /// assert_eq!(fake.now(), Duration::from_secs(5));
    /// ```
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .shared
            .nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_add(by))
            });
    }

    /// Every sleep taken on this clock so far, in order.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let fake = staunch::test_util::FakeClock::new();
    /// fake.clock().sleep_blocking(Duration::from_secs(1));
    /// fake.clock().sleep_blocking(Duration::from_secs(2));
    /// assert_eq!(fake.sleeps(), vec![Duration::from_secs(1), Duration::from_secs(2)]);
    /// ```
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock_sleeps().clone()
    }

    /// The sum of every sleep taken on this clock.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let fake = staunch::test_util::FakeClock::new();
    /// fake.clock().sleep_blocking(Duration::from_secs(3));
    /// assert_eq!(fake.total_slept(), Duration::from_secs(3));
    /// ```
    pub fn total_slept(&self) -> Duration {
        self.lock_sleeps()
            .iter()
            .fold(Duration::ZERO, |sum, d| sum.saturating_add(*d))
    }

    fn record_sleep(&self, duration: Duration) {
        self.lock_sleeps().push(duration);
        self.advance(duration);
    }

    fn lock_sleeps(&self) -> std::sync::MutexGuard<'_, Vec<Duration>> {
        self.shared
            .sleeps
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl TimeSource for FakeClock {
    fn now(&self) -> Duration {
        FakeClock::now(self)
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        self.record_sleep(duration);
        Sleep::ready()
    }

    fn sleep_blocking(&self, duration: Duration) {
        self.record_sleep(duration);
    }
}

impl From<FakeClock> for Clock {
    fn from(fake: FakeClock) -> Self {
        Clock::custom(fake)
    }
}
