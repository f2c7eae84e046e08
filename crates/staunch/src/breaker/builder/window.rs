//! Builder settings of failure-rate breakers: the window, the thresholds, slow calls.

use std::time::Duration;

use super::{CircuitBreakerBuilder, WindowSpec};

impl CircuitBreakerBuilder {
    /// Judges the failure rate over the last `calls` outcomes (`1..=4096`), sliding one
    /// call at a time. The minimum number of calls defaults to `calls`.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let b = CircuitBreaker::builder("api").count_window(4).clock(FakeClock::new().clock()).build()?;
    /// for ok in [true, false, true, false] {
    ///     let permit = b.try_acquire()?;
    ///     if ok { permit.success() } else { permit.failure() }
    /// }
    /// assert_eq!(b.state(), CircuitState::Open); // 2 of the last 4 = 50 %
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn count_window(mut self, calls: u32) -> Self {
        self.window = Some(WindowSpec::Count(calls));
        self
    }

    /// Judges the failure rate over the last `length` of time, kept in `buckets` buckets
    /// (`1..=1000`; each at least 1 ms). The minimum number of calls defaults to 10.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let fake = FakeClock::new();
    /// let b = CircuitBreaker::builder("api").time_window(Duration::from_secs(10), 10).clock(fake.clock()).build()?;
    /// b.try_acquire()?.failure();
    /// fake.advance(Duration::from_secs(10));
    /// b.try_acquire()?.success();
    /// assert_eq!(b.snapshot().calls_in_window, 1); // the failure slid out
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn time_window(mut self, length: Duration, buckets: u32) -> Self {
        self.window = Some(WindowSpec::Time(length, buckets));
        self
    }

    /// The failure rate (`(0, 1]`, default 0.5) at or above which a window opens the
    /// circuit.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let b = CircuitBreaker::builder("api").count_window(4).failure_rate_threshold(0.75).clock(FakeClock::new().clock()).build()?;
    /// for ok in [true, false, true, false] {
    ///     let permit = b.try_acquire()?;
    ///     if ok { permit.success() } else { permit.failure() }
    /// }
    /// assert_eq!(b.state(), CircuitState::Closed); // 50 % < 75 %
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn failure_rate_threshold(mut self, rate: f64) -> Self {
        self.failure_rate = Some(rate);
        self
    }

    /// Calls a window must hold before its rates can open the circuit.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let b = CircuitBreaker::builder("api").count_window(100).minimum_calls(3).clock(FakeClock::new().clock()).build()?;
    /// b.try_acquire()?.failure();
    /// b.try_acquire()?.failure();
    /// assert_eq!(b.state(), CircuitState::Closed);
    /// b.try_acquire()?.failure();
    /// assert_eq!(b.state(), CircuitState::Open);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn minimum_calls(mut self, calls: u32) -> Self {
        self.minimum_calls = Some(calls);
        self
    }

    /// Slow-call detection: a success taking `threshold` or longer counts as slow; a
    /// slow-call rate at or above `rate` (`(0, 1]`) opens the circuit; a slow half-open
    /// probe counts as a failed one. Needs a window. The clock is read per call only when
    /// this is on.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let fake = FakeClock::new();
    /// let b = CircuitBreaker::builder("llm").count_window(2).slow_calls(Duration::from_secs(5), 1.0).clock(fake.clock()).build()?;
    /// for _ in 0..2 {
    ///     let permit = b.try_acquire()?;
    ///     fake.advance(Duration::from_secs(6));
    ///     permit.success();
    /// }
    /// assert_eq!(b.state(), CircuitState::Open);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn slow_calls(mut self, threshold: Duration, rate: f64) -> Self {
        self.slow = Some((threshold, rate));
        self
    }
}
