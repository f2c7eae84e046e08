//! [`CircuitBreakerBuilder`]: every setting of a breaker, validated once in `build()`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::authority::Authority;
use super::core::Config;
use super::open_period::OpenPeriod;
use super::window::{count, Thresholds};
use super::word::{Rules, MAX_FAILURE_THRESHOLD, MAX_PROBES};
use super::CircuitBreaker;
use crate::clock::Clock;
use crate::error::ConfigError;

/// The window a failure-rate breaker judges over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum WindowSpec {
    Count(u32),
    Time(Duration, u32),
}

/// Builds a [`CircuitBreaker`]. Start from [`CircuitBreaker::builder`].
///
/// Defaults are the seed's: open after 5 consecutive counted failures, probe after 60 s,
/// one probe whose success closes the circuit. Settings beyond the seed:
///
/// - a failure rate over a window instead of consecutive failures: [`count_window`] (the
///   last N calls) or [`time_window`] (the last T, in buckets), with
///   [`failure_rate_threshold`] (default 50 %) and [`minimum_calls`];
/// - [`slow_calls`]: successes slower than a threshold count as slow, and a slow-call
///   rate can open the circuit (needs a window);
/// - [`half_open_probes`] and [`success_threshold`] for recovery;
/// - [`open_backoff`] and [`open_jitter`]: an open period that doubles on each trip up to
///   a cap, jittered below it, seeded by [`seed`];
/// - [`hold_open_on_delay_hint`]: a server's `Retry-After` keeps the circuit open longer.
///
/// `build()` checks everything and names the field and value of the first bad setting.
///
/// [`count_window`]: CircuitBreakerBuilder::count_window
/// [`time_window`]: CircuitBreakerBuilder::time_window
/// [`failure_rate_threshold`]: CircuitBreakerBuilder::failure_rate_threshold
/// [`minimum_calls`]: CircuitBreakerBuilder::minimum_calls
/// [`slow_calls`]: CircuitBreakerBuilder::slow_calls
/// [`half_open_probes`]: CircuitBreakerBuilder::half_open_probes
/// [`success_threshold`]: CircuitBreakerBuilder::success_threshold
/// [`open_backoff`]: CircuitBreakerBuilder::open_backoff
/// [`open_jitter`]: CircuitBreakerBuilder::open_jitter
/// [`seed`]: CircuitBreakerBuilder::seed
/// [`hold_open_on_delay_hint`]: CircuitBreakerBuilder::hold_open_on_delay_hint
///
/// ```
/// use std::time::Duration;
/// use staunch::{test_util::FakeClock, CircuitBreaker};
///
/// let breaker = CircuitBreaker::builder("llm")
///     .count_window(20)
///     .failure_rate_threshold(0.5)
///     .minimum_calls(10)
///     .slow_calls(Duration::from_secs(30), 0.8)
///     .half_open_probes(3)
///     .success_threshold(2)
///     .recovery_timeout(Duration::from_secs(10))
///     .open_backoff(Duration::from_secs(300))
///     .open_jitter(0.2)
///     .clock(FakeClock::new().clock())
///     .build()?;
/// assert_eq!(breaker.name(), "llm");
///
/// let err = CircuitBreaker::builder("x").failure_rate_threshold(1.5).count_window(10).build().unwrap_err();
/// assert_eq!(err.to_string(), "invalid failure_rate_threshold `1.5`: must be in (0, 1]");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone)]
#[must_use = "a builder does nothing until `build()`"]
pub struct CircuitBreakerBuilder {
    pub(crate) name: String,
    failure_threshold: Option<u32>,
    recovery_timeout: Duration,
    window: Option<WindowSpec>,
    failure_rate: Option<f64>,
    minimum_calls: Option<u32>,
    slow: Option<(Duration, f64)>,
    half_open_probes: u32,
    success_threshold: u32,
    open_max: Option<Duration>,
    open_jitter: f64,
    seed: Option<u64>,
    hint_cap: Option<Duration>,
    half_open_timeout: Option<Duration>,
    history: usize,
    pub(crate) clock: Clock,
    authority: Option<Arc<dyn Authority>>,
}

impl CircuitBreakerBuilder {
    pub(crate) fn new(name: String) -> Self {
        Self {
            name,
            failure_threshold: None,
            recovery_timeout: Duration::from_secs(60),
            window: None,
            failure_rate: None,
            minimum_calls: None,
            slow: None,
            half_open_probes: 1,
            success_threshold: 1,
            open_max: None,
            open_jitter: 0.0,
            seed: None,
            hint_cap: None,
            half_open_timeout: None,
            history: 32,
            clock: Clock::system(),
            authority: None,
        }
    }

    /// Renames the breaker (used by keyed breakers built from one template).
    pub(crate) fn named(mut self, name: String) -> Self {
        self.name = name;
        self
    }

    /// Consecutive counted failures that open the circuit (default 5; `1..=65535`).
    /// Not combinable with a failure-rate window.
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let b = CircuitBreaker::builder("db").failure_threshold(2).clock(FakeClock::new().clock()).build()?;
    /// b.try_acquire()?.failure();
    /// b.try_acquire()?.failure();
    /// assert_eq!(b.state(), CircuitState::Open);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn failure_threshold(mut self, failures: u32) -> Self {
        self.failure_threshold = Some(failures);
        self
    }

    /// How long the circuit stays open before a probe is let through (default 60 s).
    /// With [`open_backoff`](Self::open_backoff), the first open period.
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let fake = FakeClock::new();
    /// let b = CircuitBreaker::builder("db").failure_threshold(1).recovery_timeout(Duration::from_secs(5)).clock(fake.clock()).build()?;
    /// b.try_acquire()?.failure();
    /// fake.advance(Duration::from_secs(5));
    /// assert!(b.try_acquire()?.is_probe());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recovery_timeout(mut self, timeout: Duration) -> Self {
        self.recovery_timeout = timeout;
        self
    }

    /// Judges the failure rate over the last `calls` outcomes (`1..=4096`), sliding one
    /// call at a time. The minimum number of calls defaults to `calls`.
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

    /// Probe calls admitted per half-open period (default 1; `1..=255`).
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

    /// Shortens each open period by a random fraction up to `fraction` (`0..=1`), so
    /// breakers that tripped together don't probe together. Never exceeds the cap.
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
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let open_for = || -> Result<_, Box<dyn std::error::Error>> {
    ///     let b = CircuitBreaker::builder("db").failure_threshold(1).open_jitter(1.0).seed(42).clock(FakeClock::new().clock()).build()?;
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
    /// Off by default; set it above the protected call's own timeout.
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

    /// How many recent transitions [`CircuitBreaker::recent_transitions`] keeps
    /// (default 32).
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let b = CircuitBreaker::builder("db").transition_history(1).clock(FakeClock::new().clock()).build()?;
    /// b.force_open();
    /// b.reset();
    /// assert_eq!(b.recent_transitions().len(), 1);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn transition_history(mut self, transitions: usize) -> Self {
        self.history = transitions;
        self
    }

    /// The clock for open periods, time windows and slow calls (default: the system clock).
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let fake = FakeClock::new();
    /// let b = CircuitBreaker::builder("db").clock(fake.clone()).build()?; // or fake.clock()
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// An outside authority that observes and may steer this breaker.
    /// See [`Authority`](crate::breaker::Authority) for a complete example.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use staunch::{breaker::Authority, CircuitBreaker};
    /// #[derive(Debug)]
    /// struct Quiet;
    /// impl Authority for Quiet {}
    /// let b = CircuitBreaker::builder("db").authority(Arc::new(Quiet)).build()?;
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn authority(mut self, authority: Arc<dyn Authority>) -> Self {
        self.authority = Some(authority);
        self
    }

    /// Checks the settings and builds the breaker.
    /// ```
    /// let err = staunch::CircuitBreaker::builder("db").half_open_probes(0).build().unwrap_err();
    /// assert_eq!((err.field(), err.value()), ("half_open_probes", "0"));
    /// ```
    pub fn build(&self) -> Result<CircuitBreaker, ConfigError> {
        let config = self.config()?;
        let window = self.window.map(|spec| match spec {
            WindowSpec::Count(n) => super::window::Window::Count(count::CountWindow::new(n)),
            WindowSpec::Time(length, buckets) => {
                super::window::Window::Time(super::window::time::TimeWindow::new(length, buckets))
            }
        });
        Ok(CircuitBreaker::assemble(
            self,
            config,
            window,
            self.history,
            self.authority.clone(),
        ))
    }

    fn config(&self) -> Result<Config, ConfigError> {
        let bad = |field: &'static str, value: &dyn fmt::Display, reason: String| {
            Err(ConfigError::new(field, value, reason))
        };
        if self.name.is_empty() {
            return bad("name", &"", "must not be empty".into());
        }
        if self.recovery_timeout.is_zero() {
            return bad(
                "recovery_timeout",
                &"0s",
                "must be greater than zero".into(),
            );
        }
        let thresholds = self.thresholds()?;
        let consecutive = match (self.failure_threshold, self.window) {
            (Some(n), Some(_)) => {
                return bad(
                    "failure_threshold",
                    &n,
                    "cannot be combined with a failure-rate window".into(),
                )
            }
            (Some(n), None) if n == 0 || n > MAX_FAILURE_THRESHOLD => {
                return bad(
                    "failure_threshold",
                    &n,
                    format!("must be in 1..={MAX_FAILURE_THRESHOLD}"),
                )
            }
            (n, None) => Some(n.unwrap_or(5)),
            (None, Some(_)) => None,
        };
        let probes = self.half_open_probes;
        if probes == 0 || probes > MAX_PROBES {
            return bad(
                "half_open_probes",
                &probes,
                format!("must be in 1..={MAX_PROBES}"),
            );
        }
        if self.success_threshold == 0 || self.success_threshold > probes {
            let reason = format!("must be in 1..=half_open_probes ({probes})");
            return bad("success_threshold", &self.success_threshold, reason);
        }
        let open = self.open_period()?;
        Ok(Config {
            rules: Rules {
                consecutive,
                success_threshold: self.success_threshold,
            },
            max_probes: probes,
            thresholds,
            slow_threshold: self.slow.map(|(d, _)| d),
            slow_detection: self.slow.is_some(),
            half_open_timeout: self.half_open_timeout,
            open,
            observed: self.window.is_some()
                || self.slow.is_some()
                || self.authority.is_some()
                || cfg!(feature = "metrics"),
        })
    }

    fn thresholds(&self) -> Result<Thresholds, ConfigError> {
        let rate = |field: &'static str, r: f64| {
            if r > 0.0 && r <= 1.0 {
                Ok((r * 1_000_000.0).round() as u32)
            } else {
                Err(ConfigError::new(field, r, "must be in (0, 1]"))
            }
        };
        let needs_window = |field: &'static str, value: &dyn fmt::Display| {
            Err(ConfigError::new(
                field,
                value,
                "needs a count_window or time_window",
            ))
        };
        let failure_ppm = self
            .failure_rate
            .map(|r| rate("failure_rate_threshold", r))
            .transpose()?;
        let slow_ppm = self.slow.map(|(_, r)| rate("slow_calls", r)).transpose()?;
        if let Some((d, _)) = self.slow {
            if d.is_zero() {
                return Err(ConfigError::new(
                    "slow_calls",
                    "0s",
                    "threshold must be greater than zero",
                ));
            }
        }
        let default_min = match self.window {
            None if self.failure_rate.is_some() => {
                return needs_window("failure_rate_threshold", &self.failure_rate.unwrap_or(0.0))
            }
            None if self.slow.is_some() => {
                return needs_window(
                    "slow_calls",
                    &format!("{:?}", self.slow.map(|s| s.0).unwrap_or_default()),
                )
            }
            None if self.minimum_calls.is_some() => {
                return needs_window("minimum_calls", &self.minimum_calls.unwrap_or(0))
            }
            None => 1,
            Some(WindowSpec::Count(n)) => {
                if n == 0 || n > count::MAX_SIZE {
                    return Err(ConfigError::new(
                        "count_window",
                        n,
                        format!("must be in 1..={}", count::MAX_SIZE),
                    ));
                }
                n
            }
            Some(WindowSpec::Time(length, buckets)) => {
                if buckets == 0 || buckets > 1000 {
                    return Err(ConfigError::new(
                        "time_window",
                        format!("{buckets} buckets"),
                        "must have 1..=1000 buckets",
                    ));
                }
                if length < Duration::from_millis(u64::from(buckets)) {
                    return Err(ConfigError::new(
                        "time_window",
                        format!("{length:?}"),
                        "each bucket must span at least 1ms",
                    ));
                }
                10
            }
        };
        let min_calls = self.minimum_calls.unwrap_or(default_min);
        if min_calls == 0 {
            return Err(ConfigError::new("minimum_calls", 0, "must be at least 1"));
        }
        if let Some(WindowSpec::Count(n)) = self.window {
            if min_calls > n {
                return Err(ConfigError::new(
                    "minimum_calls",
                    min_calls,
                    format!("must not exceed count_window ({n})"),
                ));
            }
        }
        // A window judges the failure rate at 50 % unless told otherwise.
        let failure_ppm = failure_ppm.or(Some(500_000));
        Ok(Thresholds {
            failure_ppm,
            slow_ppm,
            min_calls,
        })
    }

    fn open_period(&self) -> Result<OpenPeriod, ConfigError> {
        let max = self.open_max.unwrap_or(self.recovery_timeout);
        if max < self.recovery_timeout {
            let reason = format!(
                "must be at least recovery_timeout ({:?})",
                self.recovery_timeout
            );
            return Err(ConfigError::new("open_backoff", format!("{max:?}"), reason));
        }
        if !(0.0..=1.0).contains(&self.open_jitter) {
            return Err(ConfigError::new(
                "open_jitter",
                self.open_jitter,
                "must be in [0, 1]",
            ));
        }
        if self.half_open_timeout.is_some_and(|t| t.is_zero()) {
            return Err(ConfigError::new(
                "half_open_timeout",
                "0s",
                "must be greater than zero",
            ));
        }
        if let Some(cap) = self.hint_cap {
            if cap.is_zero() {
                return Err(ConfigError::new(
                    "hold_open_on_delay_hint",
                    "0s",
                    "cap must be greater than zero",
                ));
            }
        }
        let seed = self.seed.unwrap_or_else(|| fastrand::u64(..));
        Ok(OpenPeriod::new(
            self.recovery_timeout,
            max,
            self.open_jitter,
            self.hint_cap,
            seed,
        ))
    }
}

impl fmt::Debug for CircuitBreakerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerBuilder")
            .field("name", &self.name)
            .field("failure_threshold", &self.failure_threshold)
            .field("recovery_timeout", &self.recovery_timeout)
            .field("window", &self.window)
            .field("failure_rate", &self.failure_rate)
            .field("minimum_calls", &self.minimum_calls)
            .field("slow", &self.slow)
            .field("half_open_probes", &self.half_open_probes)
            .field("success_threshold", &self.success_threshold)
            .field("open_max", &self.open_max)
            .field("open_jitter", &self.open_jitter)
            .field("hint_cap", &self.hint_cap)
            .field("half_open_timeout", &self.half_open_timeout)
            .field("clock", &self.clock)
            .field("authority", &self.authority)
            .finish()
    }
}
