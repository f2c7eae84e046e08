//! Builder settings of recovery: half-open probes, the open period's growth and jitter,
//! delay hints, the half-open timeout.

use std::time::Duration;

use super::CircuitBreakerBuilder;

impl CircuitBreakerBuilder {
    /// Probe calls admitted per half-open period (default 1; `1..=255`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let fake = FakeClock::new();
    /// let b = CircuitBreaker::builder("db").failure_threshold(1).half_open_probes(2).clock(fake.clock()).build()?;
    /// b.try_acquire()?.failure();
    /// fake.advance(Duration::from_secs(60));
    /// let (_p1, _p2) = (b.try_acquire()?, b.try_acquire()?);
    /// assert!(b.try_acquire().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn half_open_probes(mut self, probes: u32) -> Self {
        self.half_open_probes = probes;
        self
    }

    /// Successful probes that close the circuit (default 1; at most `half_open_probes`).
    /// Any failed probe opens it again.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let fake = FakeClock::new();
    /// let b = CircuitBreaker::builder("db").failure_threshold(1).half_open_probes(2).success_threshold(2).clock(fake.clock()).build()?;
    /// b.try_acquire()?.failure();
    /// fake.advance(Duration::from_secs(60));
    /// b.try_acquire()?.success();
    /// assert_eq!(b.state(), CircuitState::HalfOpen);
    /// b.try_acquire()?.success();
    /// assert_eq!(b.state(), CircuitState::Closed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn success_threshold(mut self, successes: u32) -> Self {
        self.success_threshold = successes;
        self
    }

    /// Doubles the open period on each consecutive trip, up to `max`; a close resets it.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let fake = FakeClock::new();
    /// let b = CircuitBreaker::builder("db").failure_threshold(1).recovery_timeout(Duration::from_secs(10))
    ///     .open_backoff(Duration::from_secs(15)).clock(fake.clock()).build()?;
    /// b.try_acquire()?.failure();
    /// fake.advance(Duration::from_secs(10));
    /// b.try_acquire()?.failure(); // the probe fails: open for 20 s, capped at 15 s
    /// assert_eq!(b.try_acquire().unwrap_err().retry_after(), Some(Duration::from_secs(15)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_backoff(mut self, max: Duration) -> Self {
        self.open_max = Some(max);
        self
    }

    /// Shortens each open period by a random fraction up to `fraction` (`0..=0.5`), so
    /// breakers that tripped together don't probe together. Never exceeds the cap, and
    /// never takes off more than half: an open period is never shorter than half the
    /// recovery timeout.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let b = CircuitBreaker::builder("db").failure_threshold(1).open_jitter(0.5).seed(7).clock(FakeClock::new().clock()).build()?;
    /// b.try_acquire()?.failure();
    /// let wait = b.try_acquire().unwrap_err().retry_after().unwrap();
    /// assert!(wait >= Duration::from_secs(30) && wait <= Duration::from_secs(60));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_jitter(mut self, fraction: f64) -> Self {
        self.open_jitter = fraction;
        self
    }

    /// Seeds the jitter's random source, for reproducible tests.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let open_for = || -> Result<_, Box<dyn std::error::Error>> {
    ///     let b = CircuitBreaker::builder("db").failure_threshold(1).open_jitter(0.5).seed(42).clock(FakeClock::new().clock()).build()?;
    ///     b.try_acquire()?.failure();
    ///     Ok(b.try_acquire().unwrap_err().retry_after())
    /// };
    /// assert_eq!(open_for()?, open_for()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Reopens a HALF_OPEN circuit whose probes have not decided within `timeout`: a probe
    /// that hangs (never reports, never drops its permit) would otherwise hold its slot
    /// forever. The first call after the timeout that finds no free slot reopens the
    /// circuit for another open period; the hung probes' late reports are then ignored.
    ///
    /// Defaults to the [recovery timeout](Self::recovery_timeout), so a hung probe never
    /// holds the circuit longer than one more open period. Set it above the protected
    /// call's own timeout, so that a slow probe is not cut short. Must be greater than zero.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let fake = FakeClock::new();
    /// let b = CircuitBreaker::builder("db").failure_threshold(1)
    ///     .half_open_timeout(Duration::from_secs(10)).clock(fake.clock()).build()?;
    /// b.try_acquire()?.failure();
    /// fake.advance(Duration::from_secs(60));
    /// let hung = b.try_acquire()?; // the probe hangs
    /// fake.advance(Duration::from_secs(10));
    /// assert!(b.try_acquire().is_err());
    /// assert_eq!(b.state(), CircuitState::Open);
    /// hung.success(); // too late: ignored
    /// assert_eq!(b.state(), CircuitState::Open);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn half_open_timeout(mut self, timeout: Duration) -> Self {
        self.half_open_timeout = Some(timeout);
        self
    }

    /// A counted failure carrying a delay hint (`Verdict::delay_hint`, e.g. from
    /// `Retry-After`) keeps the circuit open at least that long after it, up to `cap`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, CircuitBreaker, Verdict};
    /// let b = CircuitBreaker::builder("api").failure_threshold(1).recovery_timeout(Duration::from_secs(5))
    ///     .hold_open_on_delay_hint(Duration::from_secs(600)).clock(FakeClock::new().clock()).build()?;
    /// b.try_acquire()?.record(Verdict::TRANSIENT.with_delay_hint(Duration::from_secs(120)));
    /// assert_eq!(b.try_acquire().unwrap_err().retry_after(), Some(Duration::from_secs(120)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hold_open_on_delay_hint(mut self, cap: Duration) -> Self {
        self.hint_cap = Some(cap);
        self
    }
}
