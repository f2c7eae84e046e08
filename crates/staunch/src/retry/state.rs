//! The pure retry state machine: given a verdict and the time, retry after `d` or stop.

use std::time::Duration;

use super::{RetryErrorKind, RetryPolicy};
use crate::backoff::{Delays, Nanos};
use crate::Verdict;

/// What to do after a failed attempt.
///
/// ```
/// use std::time::Duration;
/// use staunch::retry::{Decision, RetryState};
/// use staunch::{RetryPolicy, Verdict};
///
/// let mut state = RetryState::new(&RetryPolicy::retry_on_exception(), Duration::ZERO);
/// assert_eq!(state.on_failure(Verdict::TRANSIENT, Duration::ZERO), Decision::Retry(Duration::from_secs(1)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Wait this long, then make the next attempt.
    Retry(Duration),
    /// Give up, for this reason.
    Stop(RetryErrorKind),
}

/// The progress of one retried call under a [`RetryPolicy`]: attempts made, the backoff
/// position, the start time and the deadline.
///
/// [`RetryState`] holds no clock, no future and no closure: callers tell it what
/// happened and when, and it answers with a [`Decision`]. The async future, the
/// blocking loop and any other driver (a combined retry and breaker, a tower layer) run
/// the same rules through it:
///
/// 1. a verdict that says "don't retry" stops with [`RetryErrorKind::NotRetryable`];
/// 2. the last allowed attempt stops with [`RetryErrorKind::Exhausted`];
/// 3. the delay is the next backoff delay, raised to the server's delay hint (a hint
///    above `max_delay_hint` stops with [`RetryErrorKind::HintTooLong`]) and to any
///    minimum wait the caller imposes;
/// 4. with a deadline, a wait that would end at or past it stops the retry with
///    [`RetryErrorKind::Deadline`] (it would leave the next attempt no time), as every
///    call form of the crate does; so does a deadline already passed.
///
/// ```
/// use std::time::Duration;
/// use staunch::retry::{Decision, RetryState};
/// use staunch::{RetryErrorKind, RetryPolicy, Verdict};
///
/// let policy = RetryPolicy::retry_on_exception();
/// let mut now = Duration::ZERO;
/// let mut state = RetryState::new(&policy, now);
/// let mut slept = Vec::new();
/// loop {
///     // ... make an attempt, which fails ...
///     match state.on_failure(Verdict::TRANSIENT, now) {
///         Decision::Retry(delay) => { slept.push(delay.as_secs()); now += delay; }
///         Decision::Stop(kind) => { assert_eq!(kind, RetryErrorKind::Exhausted); break; }
///         _ => unreachable!(),
///     }
/// }
/// assert_eq!(slept, [1, 2]);
/// assert_eq!(state.attempts(), 3);
/// assert_eq!(state.elapsed(now), Duration::from_secs(3));
/// ```
#[derive(Clone, Debug)]
pub struct RetryState {
    max_attempts: u32,
    deadline: Option<Duration>,
    max_delay_hint: Nanos,
    delays: Delays,
    attempts: u32,
    start: Option<Duration>,
}

impl RetryState {
    /// A call under `policy` starting at `now` (a reading of the clock the caller uses).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let state = staunch::retry::RetryState::new(&staunch::RetryPolicy::default(), Duration::from_secs(5));
    /// assert_eq!(state.attempts(), 0);
    /// assert_eq!(state.elapsed(Duration::from_secs(7)), Duration::from_secs(2));
    /// ```
    pub fn new(policy: &RetryPolicy, now: Duration) -> Self {
        let mut state = Self::unstarted(policy);
        state.start = Some(now);
        state
    }

    /// A call whose start is read later: at [`start`](Self::start) or at the first
    /// failure, whichever comes first.
    #[inline]
    pub(crate) fn unstarted(policy: &RetryPolicy) -> Self {
        Self {
            max_attempts: policy.max_attempts,
            deadline: policy.deadline(),
            max_delay_hint: policy.max_delay_hint,
            delays: policy.backoff().iter(),
            attempts: 0,
            start: None,
        }
    }

    pub(crate) fn start(&mut self, now: Duration) {
        self.start.get_or_insert(now);
    }

    /// Attempts recorded so far.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{retry::RetryState, RetryPolicy, Verdict};
    /// let mut state = RetryState::new(&RetryPolicy::default(), Duration::ZERO);
    /// state.on_failure(Verdict::TRANSIENT, Duration::ZERO);
    /// assert_eq!(state.attempts(), 1);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time since the start, as of `now` (zero before the start is known).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let state = staunch::retry::RetryState::new(&staunch::RetryPolicy::default(), Duration::from_secs(1));
    /// assert_eq!(state.elapsed(Duration::ZERO), Duration::ZERO); // never negative
    /// ```
    pub fn elapsed(&self, now: Duration) -> Duration {
        self.start
            .map_or(Duration::ZERO, |start| now.saturating_sub(start))
    }

    /// Time left before the deadline as of `now`; `None` without a deadline.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = staunch::RetryPolicy::builder().deadline(Duration::from_secs(10)).build().unwrap();
    /// let state = staunch::retry::RetryState::new(&policy, Duration::ZERO);
    /// assert_eq!(state.remaining(Duration::from_secs(4)), Some(Duration::from_secs(6)));
    /// ```
    pub fn remaining(&self, now: Duration) -> Option<Duration> {
        let elapsed = self.elapsed(now);
        self.deadline.map(|d| d.saturating_sub(elapsed))
    }

    /// Whether waiting `wait` from `now` still leaves an attempt some time before the
    /// deadline (the wait ends before it); always true without a deadline. Use it to decide whether an externally imposed
    /// wait (such as "the circuit half-opens in 12 s") is worth waiting for.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = staunch::RetryPolicy::builder().deadline(Duration::from_secs(10)).build().unwrap();
    /// let state = staunch::retry::RetryState::new(&policy, Duration::ZERO);
    /// assert!(state.fits(Duration::from_secs(9), Duration::ZERO));
    /// assert!(!state.fits(Duration::from_secs(10), Duration::ZERO));
    /// ```
    pub fn fits(&self, wait: Duration, now: Duration) -> bool {
        self.remaining(now).is_none_or(|left| wait < left)
    }

    /// Records a failed attempt with its verdict and decides what comes next.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use staunch::retry::{Decision, RetryState};
    /// use staunch::{RetryErrorKind, RetryPolicy, Verdict};
    /// let mut state = RetryState::new(&RetryPolicy::default(), Duration::ZERO);
    /// assert_eq!(state.on_failure(Verdict::FATAL, Duration::ZERO), Decision::Stop(RetryErrorKind::NotRetryable));
    /// ```
    pub fn on_failure(&mut self, verdict: Verdict, now: Duration) -> Decision {
        self.on_failure_with_min_wait(verdict, Duration::ZERO, now)
    }

    /// Like [`on_failure`](Self::on_failure), with a minimum wait imposed from outside,
    /// such as a circuit breaker that rejected the attempt and half-opens in `min_wait`.
    /// The attempt counts. If the minimum does not fit before the deadline, the retry
    /// stops with [`RetryErrorKind::Deadline`] instead of sleeping into a closed door.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use staunch::retry::{Decision, RetryState};
    /// use staunch::{RetryErrorKind, RetryPolicy, Verdict};
    ///
    /// let policy = RetryPolicy::builder().deadline(Duration::from_secs(30)).build().unwrap();
    /// let mut state = RetryState::new(&policy, Duration::ZERO);
    /// let open_for = Duration::from_secs(12);
    /// assert_eq!(state.on_failure_with_min_wait(Verdict::TRANSIENT, open_for, Duration::ZERO), Decision::Retry(open_for));
    /// let later = Duration::from_secs(20);
    /// assert_eq!(
    ///     state.on_failure_with_min_wait(Verdict::TRANSIENT, open_for, later),
    ///     Decision::Stop(RetryErrorKind::Deadline),
    /// );
    /// ```
    pub fn on_failure_with_min_wait(
        &mut self,
        verdict: Verdict,
        min_wait: Duration,
        now: Duration,
    ) -> Decision {
        self.attempts = self.attempts.saturating_add(1);
        self.start(now);
        if !verdict.should_retry() {
            return Decision::Stop(RetryErrorKind::NotRetryable);
        }
        if self.attempts >= self.max_attempts {
            return Decision::Stop(RetryErrorKind::Exhausted);
        }
        let mut required = min_wait;
        if let Some(hint) = verdict.delay_hint() {
            if Nanos::from_duration(hint) > self.max_delay_hint {
                return Decision::Stop(RetryErrorKind::HintTooLong);
            }
            required = required.max(hint);
        }
        let backoff = self.delays.next().unwrap_or(Duration::ZERO);
        let delay = backoff.max(required);
        if self.fits(delay, now) {
            Decision::Retry(delay)
        } else {
            Decision::Stop(RetryErrorKind::Deadline)
        }
    }
}
