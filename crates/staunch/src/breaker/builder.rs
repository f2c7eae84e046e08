//! [`CircuitBreakerBuilder`]: every setting of a breaker, validated once in `build()`.
//!
//! The seed's settings and the plumbing are here; failure-rate windows in `window.rs`,
//! recovery (probes, open periods, hints) in `recovery.rs`, validation in `validate.rs`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::authority::Authority;
use super::window::count;
use super::CircuitBreaker;
use crate::clock::Clock;
use crate::error::ConfigError;

mod recovery;
mod validate;
mod window;

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
    ///
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
    ///
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

    /// How many recent transitions [`CircuitBreaker::recent_transitions`] keeps
    /// (default 32; at most 4096, 0 keeps none).
    ///
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
    ///
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
    ///
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
