//! Time seams: every reading of time and every sleep in staunch goes through a [`Clock`].
//!
//! A [`Clock`] is a cheap handle (one word plus a tag) over a [`TimeSource`]. The default,
//! [`Clock::system`], reads a coarse monotonic clock (`CLOCK_MONOTONIC_COARSE` on Linux,
//! about 7 ns a read instead of 35–45 ns for `Instant::now()` on virtual machines, with
//! ~4 ms resolution: plenty for timeouts measured in seconds) and sleeps with tokio (async)
//! or the current thread (blocking). Tests swap in a fake clock whose sleeps advance time
//! instantly, so a test of a 60-second recovery timeout runs in microseconds.
//!
//! Time is a [`Duration`] since the clock's own origin. The origin is arbitrary; only
//! differences between two readings of one clock mean anything.

use std::borrow::Borrow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

// The shared timer thread of the system clock without tokio (tested under every feature).
#[cfg_attr(feature = "tokio", allow(dead_code))]
mod timer;

/// A future that completes after a delay, returned by [`Clock::sleep`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use staunch::Clock;
///
/// Clock::system().sleep(Duration::from_millis(1)).await;
/// # }
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    inner: SleepInner,
}

enum SleepInner {
    Ready,
    Never,
    Boxed(Pin<Box<dyn Future<Output = ()> + Send + 'static>>),
}

impl Sleep {
    /// A sleep that is already over.
    pub fn ready() -> Self {
        Self {
            inner: SleepInner::Ready,
        }
    }

    /// A sleep that never ends: the timer of an attempt that has no time bound.
    pub(crate) fn pending() -> Self {
        Self {
            inner: SleepInner::Never,
        }
    }

    /// Wraps any future as a sleep; used by custom [`TimeSource`]s.
    pub fn from_future(future: impl Future<Output = ()> + Send + 'static) -> Self {
        Self {
            inner: SleepInner::Boxed(Box::pin(future)),
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.inner {
            SleepInner::Ready => Poll::Ready(()),
            SleepInner::Never => Poll::Pending,
            SleepInner::Boxed(future) => future.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.inner {
            SleepInner::Ready => "ready",
            SleepInner::Never | SleepInner::Boxed(_) => "pending",
        };
        f.debug_struct("Sleep").field("state", &state).finish()
    }
}

/// A source of time and sleeps, for clocks other than the system clock.
///
/// Implement it to drive staunch from another runtime's timer or from a simulation;
/// wrap it with [`Clock::custom`].
///
/// ```
/// use std::time::Duration;
/// use staunch::{Clock, Sleep, TimeSource};
///
/// #[derive(Debug)]
/// struct Frozen;
///
/// impl TimeSource for Frozen {
///     fn now(&self) -> Duration { Duration::from_secs(42) }
///     fn sleep(&self, _: Duration) -> Sleep { Sleep::ready() }
///     fn sleep_blocking(&self, _: Duration) {}
/// }
///
/// let clock = Clock::custom(Frozen);
/// assert_eq!(clock.now(), Duration::from_secs(42));
/// ```
pub trait TimeSource: Send + Sync + fmt::Debug + 'static {
    /// Monotonic time since this source's origin.
    fn now(&self) -> Duration;
    /// Completes after `duration` has passed on this source.
    fn sleep(&self, duration: Duration) -> Sleep;
    /// Blocks the current thread until `duration` has passed on this source.
    fn sleep_blocking(&self, duration: Duration);
}

/// The clock every policy reads time from and sleeps on.
///
/// Cloning is cheap. The system clock costs one predictable branch over a direct
/// coarse-clock read; custom clocks cost one dynamic call.
///
/// ```
/// use std::time::Duration;
/// use staunch::Clock;
///
/// let clock = Clock::system();
/// let start = clock.now();
/// clock.sleep_blocking(Duration::from_millis(1));
/// assert!(clock.now() >= start);
/// ```
#[derive(Clone, Default)]
pub struct Clock {
    source: Source,
}

/// The system clock as a type of its own, holding nothing: what a retry reads time from
/// until [`Retry::clock`](crate::Retry::clock) gives it a [`Clock`]. A retry on the system
/// clock then carries no clock at all, and a first attempt that succeeds writes none.
///
/// It lends out [`Clock::system`]:
///
/// ```
/// use std::borrow::Borrow;
/// use staunch::{Clock, SystemClock};
///
/// let clock: &Clock = SystemClock.borrow();
/// assert!(clock.is_system());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemClock;

/// The one system clock that [`SystemClock`] lends out.
static SYSTEM: Clock = Clock::system();

impl Borrow<Clock> for SystemClock {
    #[inline(always)]
    fn borrow(&self) -> &Clock {
        &SYSTEM
    }
}

#[derive(Clone, Default)]
enum Source {
    #[default]
    System,
    Custom(Arc<dyn TimeSource>),
}

impl Clock {
    /// The process's monotonic clock, with tokio (feature `tokio`) or thread sleeps.
    ///
    /// ```
    /// let clock = staunch::Clock::system();
    /// assert!(clock.is_system());
    /// ```
    pub const fn system() -> Self {
        Self {
            source: Source::System,
        }
    }

    /// A clock over a custom [`TimeSource`], such as `staunch::test_util::FakeClock`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{Clock, Sleep, TimeSource};
    /// # #[derive(Debug)] struct Frozen;
    /// # impl TimeSource for Frozen {
    /// #     fn now(&self) -> Duration { Duration::ZERO }
    /// #     fn sleep(&self, _: Duration) -> Sleep { Sleep::ready() }
    /// #     fn sleep_blocking(&self, _: Duration) {}
    /// # }
    /// let clock = Clock::custom(Frozen);
    /// assert!(!clock.is_system());
    /// ```
    pub fn custom(source: impl TimeSource) -> Self {
        Self {
            source: Source::Custom(Arc::new(source)),
        }
    }

    /// Whether this is the system clock.
    ///
    /// ```
    /// assert!(staunch::Clock::default().is_system());
    /// ```
    pub fn is_system(&self) -> bool {
        matches!(self.source, Source::System)
    }

    /// Monotonic time since the clock's origin.
    ///
    /// ```
    /// let clock = staunch::Clock::system();
    /// let a = clock.now();
    /// assert!(clock.now() >= a);
    /// ```
    #[inline]
    pub fn now(&self) -> Duration {
        match &self.source {
            Source::System => system::now(),
            Source::Custom(source) => source.now(),
        }
    }

    /// [`now`](Self::now) in whole nanoseconds, saturating (after 584 years): for the
    /// engine's inline attempt timer, which compares two readings and needs no
    /// `Duration` for that.
    #[inline]
    pub(crate) fn now_nanos(&self) -> u64 {
        match &self.source {
            Source::System => system::now_nanos(),
            Source::Custom(source) => u64::try_from(source.now().as_nanos()).unwrap_or(u64::MAX),
        }
    }

    /// Completes after `duration` (tokio's timer under feature `tokio`).
    ///
    /// Without the `tokio` feature the system clock's sleeps share one timer thread
    /// (a dropped sleep is cancelled); use a custom [`TimeSource`] to integrate another
    /// runtime's timer.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// staunch::Clock::system().sleep(std::time::Duration::ZERO).await;
    /// # }
    /// ```
    pub fn sleep(&self, duration: Duration) -> Sleep {
        if duration.is_zero() {
            return Sleep::ready();
        }
        match &self.source {
            Source::System => system::sleep(duration),
            Source::Custom(source) => source.sleep(duration),
        }
    }

    /// Blocks the current thread for `duration`.
    ///
    /// ```
    /// staunch::Clock::system().sleep_blocking(std::time::Duration::ZERO);
    /// ```
    pub fn sleep_blocking(&self, duration: Duration) {
        if duration.is_zero() {
            return;
        }
        match &self.source {
            Source::System => std::thread::sleep(duration),
            Source::Custom(source) => source.sleep_blocking(duration),
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::System => f.write_str("Clock::System"),
            Source::Custom(source) => f.debug_tuple("Clock::Custom").field(source).finish(),
        }
    }
}

mod system {
    use super::Sleep;
    use std::time::Duration;

    /// Reads `CLOCK_MONOTONIC_COARSE`: the kernel's last tick, no hardware counter read.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[inline]
    pub(super) fn now() -> Duration {
        let ts = rustix::time::clock_gettime(rustix::time::ClockId::MonotonicCoarse);
        // Both fields are non-negative for a monotonic clock; saturate rather than trust it.
        let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
        let nanos = u32::try_from(ts.tv_nsec).unwrap_or(0);
        Duration::new(secs, nanos)
    }

    /// [`now`] in nanoseconds, saturating, without building a `Duration`.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[inline]
    pub(super) fn now_nanos() -> u64 {
        let ts = rustix::time::clock_gettime(rustix::time::ClockId::MonotonicCoarse);
        // The kernel keeps this clock as a signed 64-bit count of nanoseconds (`ktime_t`,
        // time namespaces' offsets included), so the sum fits in a `u64` and need not
        // saturate: two fewer checks on each of a timed attempt's two readings.
        // Negative fields, which the kernel never returns, read as 0.
        let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
        let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
        secs.wrapping_mul(1_000_000_000).wrapping_add(nanos)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    #[inline]
    pub(super) fn now_nanos() -> u64 {
        u64::try_from(now().as_nanos()).unwrap_or(u64::MAX)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    #[inline]
    pub(super) fn now() -> Duration {
        use std::sync::OnceLock;
        use std::time::Instant;
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }

    #[cfg(feature = "tokio")]
    pub(super) fn sleep(duration: Duration) -> Sleep {
        Sleep::from_future(tokio::time::sleep(duration))
    }

    #[cfg(not(feature = "tokio"))]
    pub(super) fn sleep(duration: Duration) -> Sleep {
        Sleep::from_future(super::timer::TimerSleep::new(duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_monotonic() {
        let clock = Clock::system();
        let mut last = clock.now();
        for _ in 0..1000 {
            let now = clock.now();
            assert!(now >= last);
            last = now;
        }
    }

    #[test]
    fn the_nanosecond_reading_is_the_same_clock_as_the_duration() {
        let clock = Clock::system();
        for _ in 0..1000 {
            let before = clock.now_nanos();
            let between = u64::try_from(clock.now().as_nanos()).unwrap();
            let after = clock.now_nanos();
            assert!(
                before <= between && between <= after,
                "{before} {between} {after}"
            );
        }
        // On Linux, counted from boot: never zero.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert!(clock.now_nanos() > 0);
    }

    #[test]
    fn zero_sleeps_are_ready_at_once() {
        let sleep = Clock::system().sleep(Duration::ZERO);
        assert!(matches!(sleep.inner, SleepInner::Ready));
    }
}
