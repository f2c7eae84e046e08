//! The one step machine: after each event of a call (admission, refusal, an attempt's
//! end) it records what the breaker must know and says what comes next: return, or
//! sleep this long and make the next attempt. It performs no I/O and never sleeps;
//! the drivers ([`future`](super::future), [`blocking`](super::blocking), the tower
//! services and the attributes' loops) do.
//!
//! [`Run`] holds only the progress of one call; the layers it decides with are lent to
//! each step as [`Layers`], so a driver may own or borrow them. A retry alone is a run
//! without a breaker; a breaker alone is a run of one attempt.

use std::fmt;
use std::time::Duration;

use super::events;
use super::table::{Ending, Record, Stopped};
use crate::retry::{Decision, RetryState};
use crate::{
    CircuitBreaker, CircuitOpen, CircuitState, Clock, PolicyErrorKind, RetryBudget, RetryPolicy,
    Sleep, Verdict,
};

/// The retry of a breaker alone: one attempt.
pub(crate) static ONE_ATTEMPT: RetryPolicy = crate::RetryBuilder::retry_on_exception()
    .max_attempts(1)
    .assume_valid();

/// The clock of the calls that never read one (a breaker alone).
pub(crate) static SYSTEM_CLOCK: Clock = Clock::system();

/// The layers of one call, lent to each step.
#[derive(Clone, Copy)]
pub(crate) struct Layers<'a> {
    pub(crate) retry: &'a RetryPolicy,
    /// `None` for a retry alone.
    pub(crate) breaker: Option<&'a CircuitBreaker>,
    pub(crate) budget: Option<&'a RetryBudget>,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) max_probe_wait: Option<Duration>,
    pub(crate) clock: &'a Clock,
    /// The name in events and metric labels.
    pub(crate) name: &'a str,
    /// A breaker alone: one attempt, and no retry events (the breaker has its own).
    pub(crate) quiet: bool,
    /// The counters of a policy; `None` records under the name.
    #[cfg(feature = "metrics")]
    pub(crate) metrics: Option<&'a events::Metrics>,
}

/// What a call's first attempt needs before and after it, known from its layers before
/// it starts (a policy works it out once, when it is built).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// No budget, deadline or attempt timeout: no clock read, no deposit.
    Plain,
    /// An attempt timeout, in whole nanoseconds, and nothing else to set up or bound:
    /// the first attempt is timed inline.
    TimeoutOnly(u64),
    /// A budget or a deadline: the call is set up out of line.
    General,
}

impl Shape {
    /// The shape of a call with a budget (or not), a deadline and an attempt timeout.
    pub(crate) fn new(
        budget: bool,
        deadline: Option<Duration>,
        attempt_timeout: Option<Duration>,
    ) -> Shape {
        match (budget, deadline, attempt_timeout) {
            (false, None, None) => Shape::Plain,
            (false, None, Some(timeout)) => Shape::TimeoutOnly(super::future::nanos(timeout)),
            _ => Shape::General,
        }
    }

    /// The shape of a call with these layers.
    #[inline(always)]
    pub(crate) fn of(layers: &Layers<'_>) -> Shape {
        Shape::new(
            layers.budget.is_some(),
            layers.retry.deadline(),
            layers.attempt_timeout,
        )
    }
}

impl<'a> Layers<'a> {
    /// The layers of a breaker alone: one attempt, no events of its own. The breaker is
    /// not needed: nothing looks ahead after the only attempt.
    #[inline(always)]
    pub(crate) fn breaker_alone() -> Self {
        Layers {
            retry: &ONE_ATTEMPT,
            breaker: None,
            budget: None,
            attempt_timeout: None,
            max_probe_wait: None,
            clock: &SYSTEM_CLOCK,
            name: "",
            quiet: true,
            #[cfg(feature = "metrics")]
            metrics: None,
        }
    }

    /// The layers of a retry alone.
    #[inline(always)]
    pub(crate) fn retry_alone(retry: &'a RetryPolicy, clock: &'a Clock) -> Self {
        Layers {
            retry,
            breaker: None,
            budget: None,
            attempt_timeout: None,
            max_probe_wait: None,
            clock,
            name: retry.name.unwrap_or(""),
            quiet: false,
            #[cfg(feature = "metrics")]
            metrics: None,
        }
    }

    /// Whether an attempt can run out of time: an attempt timeout or a deadline.
    #[inline(always)]
    pub(crate) fn is_timed(&self) -> bool {
        self.attempt_timeout.is_some() || self.retry.deadline().is_some()
    }
}

/// What the driver does next.
#[derive(Debug)]
pub(crate) enum Step {
    /// Sleep this long, then make the next attempt.
    Retry(Duration),
    /// Give up for this reason.
    Stop(Stopped),
}

/// The breaker as the retry sees it after a failure.
#[derive(Clone, Copy, Debug)]
enum Circuit {
    /// The next attempt will be let through (or we can't know before asking).
    Passing,
    /// Open; a probe is let through after this long.
    OpenFor(Duration),
    /// Forced open: no probe is scheduled.
    Shut,
}

/// The progress of one call.
#[derive(Debug, Default)]
pub(crate) struct Run {
    /// Built at the first failure, so a first attempt that succeeds stays cheap; boxed,
    /// so the drivers' futures stay small on that path.
    state: Option<Box<Later>>,
    /// The call's start, read up front only when a deadline or a timeout needs it.
    start: Option<Duration>,
    /// The current attempt's start, read only when the attempt is timed.
    attempt_start: Option<Duration>,
}

/// The progress of a call past its first failure: the retry's state, and the waits the
/// call has decided, which the patience for probes is a budget over.
#[derive(Debug)]
struct Later {
    retry: RetryState,
    /// Every wait decided so far, in all.
    waited: Duration,
    /// The waits for a probe among them.
    waited_for_probes: Duration,
}

/// What a wait is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// The backoff (or the error's delay hint) alone.
    Backoff,
    /// A probe of an open circuit: after a refusal, or a failure that left it open.
    Probe,
}

impl Run {
    pub(crate) const fn new() -> Self {
        Self {
            state: None,
            start: None,
            attempt_start: None,
        }
    }

    /// Starts the call: one deposit in the budget; the start time when it is needed.
    #[inline(always)]
    pub(crate) fn begin(&mut self, l: &Layers<'_>) {
        if let Some(budget) = l.budget {
            budget.deposit();
        }
        if l.is_timed() {
            self.start = Some(l.clock.now());
        }
    }

    /// Starts a call of [`Layers::timeout_only`] at `now`, read by the caller: what
    /// [`begin`](Self::begin) and the first [`attempt_started`](Self::attempt_started) do.
    #[inline(always)]
    pub(crate) fn begin_at(&mut self, now: Duration) {
        self.start = Some(now);
        self.attempt_start = Some(now);
    }

    /// Marks the start of an attempt (a clock read, only when the attempt is timed).
    #[inline(always)]
    pub(crate) fn attempt_started(&mut self, l: &Layers<'_>) {
        if l.is_timed() {
            self.attempt_start = Some(match self.attempt_start {
                // The first attempt starts when the call does.
                None if self.state.is_none() => self.start.unwrap_or_else(|| l.clock.now()),
                _ => l.clock.now(),
            });
        }
    }

    /// The time the running attempt may take from its start: its attempt timeout, capped
    /// at what the deadline leaves. `None` when neither bounds it.
    fn allowed(&self, l: &Layers<'_>) -> Option<Duration> {
        let left = match (l.retry.deadline(), self.start, self.attempt_start) {
            (Some(deadline), Some(start), Some(attempt)) => {
                Some(deadline.saturating_sub(attempt.saturating_sub(start)))
            }
            _ => None,
        };
        match (l.attempt_timeout, left) {
            (Some(timeout), Some(left)) => Some(timeout.min(left)),
            (timeout, left) => timeout.or(left),
        }
    }

    /// How the attempt that just returned ended: in time or late.
    #[inline(always)]
    pub(crate) fn ending(&self, l: &Layers<'_>) -> Ending {
        if !l.is_timed() {
            return Ending::InTime;
        }
        self.ending_timed(l)
    }

    fn ending_timed(&self, l: &Layers<'_>) -> Ending {
        let Some(start) = self.attempt_start else {
            return Ending::InTime;
        };
        let spent = l.clock.now().saturating_sub(start);
        match self.allowed(l) {
            Some(allowed) if spent > allowed => Ending::Late,
            _ => Ending::InTime,
        }
    }

    /// The timer of the running attempt: the rest of its allowed time. `None` when the
    /// attempt is not timed.
    pub(crate) fn timer(&self, l: &Layers<'_>) -> Option<Sleep> {
        let allowed = self.allowed(l)?;
        let spent = self
            .attempt_start
            .map_or(Duration::ZERO, |start| l.clock.now().saturating_sub(start));
        Some(l.clock.sleep(allowed.saturating_sub(spent)))
    }

    /// Records a success: reports it through `permit` (a late one counts as a breaker
    /// failure, and is still returned) and emits its events.
    #[inline(always)]
    pub(crate) fn succeeded(&mut self, l: &Layers<'_>, permit: impl Record, ending: Ending) {
        if ending == Ending::InTime {
            permit.success();
        } else {
            permit.failure();
            events::late_success(l);
        }
        match &self.state {
            None => events::success_first_try(l),
            Some(state) => events::success_after_retry(l, state.retry.attempts().saturating_add(1)),
        }
    }

    /// An `Ok` value the call form retries on (`.when_ok`): the dependency answered, so
    /// the breaker hears a success; the retry goes on as after a transient error.
    #[cold]
    pub(crate) fn rejected_ok(&mut self, l: &Layers<'_>, permit: impl Record) -> Step {
        permit.success();
        self.decide(l, Verdict::TRANSIENT, false, None, "ok value")
    }

    /// Records a failed attempt (an error, or a timeout) and decides what comes next.
    ///
    /// A timeout, and an error that came late, count as breaker failures whatever the
    /// classifier says, and are retried like any transient error.
    #[cold]
    pub(crate) fn failed(
        &mut self,
        l: &Layers<'_>,
        permit: impl Record,
        verdict: Verdict,
        ending: Ending,
        error: Option<&dyn fmt::Debug>,
    ) -> Step {
        let timed_out = ending != Ending::InTime;
        let verdict = if timed_out {
            permit.failure();
            Verdict::TRANSIENT
        } else {
            permit.record(verdict);
            verdict
        };
        if l.quiet {
            // A breaker alone: its one attempt is over; nothing to decide or to tell.
            return Step::Stop(Stopped::single(verdict));
        }
        let reason = if timed_out { "timeout" } else { "error" };
        self.decide(l, verdict, timed_out, error, reason)
    }

    fn decide(
        &mut self,
        l: &Layers<'_>,
        verdict: Verdict,
        timed_out: bool,
        error: Option<&dyn fmt::Debug>,
        reason: &'static str,
    ) -> Step {
        let now = l.clock.now();
        let circuit = match l.breaker {
            Some(breaker) if verdict.should_retry() => circuit_after_failure(breaker),
            _ => Circuit::Passing,
        };
        let patience = self.patience(l, now);
        let state = &mut self.state(l, now).retry;
        let decision = match circuit {
            Circuit::Passing => Some(state.on_failure(verdict, now)),
            // The wait for the probe (the backoff's, if longer) must fit, all of it.
            Circuit::OpenFor(wait) if wait <= patience => {
                match state.on_failure_with_min_wait(verdict, wait, now) {
                    Decision::Retry(delay) if delay > patience => None,
                    decision => Some(decision),
                }
            }
            Circuit::OpenFor(_) | Circuit::Shut => match state.on_failure(verdict, now) {
                Decision::Retry(_) => None,
                stop => Some(stop),
            },
        };
        let Some(decision) = decision else {
            let open = l.breaker.map(|breaker| open_circuit(breaker, circuit));
            let kind = PolicyErrorKind::BreakerOpen;
            return Step::Stop(self.stop(l, kind, open, now, error, verdict));
        };
        match decision {
            Decision::Retry(delay) => {
                let (reason, wait) = match circuit {
                    Circuit::OpenFor(_) if !timed_out => {
                        ("error; waiting for the probe", Wait::Probe)
                    }
                    Circuit::OpenFor(_) => (reason, Wait::Probe),
                    _ => (reason, Wait::Backoff),
                };
                self.retry(l, delay, wait, now, reason, error, verdict)
            }
            Decision::Stop(kind) => {
                let kind = PolicyErrorKind::from_retry(kind, timed_out);
                Step::Stop(self.stop(l, kind, None, now, error, verdict))
            }
        }
    }

    /// The breaker refused an attempt: wait exactly until its probe if that fits the
    /// retry's patience, else give up with the open circuit. Never a blind retry.
    #[cold]
    pub(crate) fn rejected(&mut self, l: &Layers<'_>, open: CircuitOpen) -> Step {
        if l.quiet {
            return Step::Stop(self.refused(l, open));
        }
        let now = l.clock.now();
        let patience = self.patience(l, now);
        let state = &mut self.state(l, now).retry;
        let verdict = Verdict::RETRY_UNCOUNTED;
        match open.retry_after() {
            Some(wait) if wait <= patience => {
                match state.on_failure_with_min_wait(verdict, wait, now) {
                    Decision::Retry(_) => {
                        self.retry(l, wait, Wait::Probe, now, "circuit open", None, verdict)
                    }
                    Decision::Stop(_) => Step::Stop(self.stop(
                        l,
                        PolicyErrorKind::BreakerOpen,
                        Some(open),
                        now,
                        None,
                        verdict,
                    )),
                }
            }
            _ => Step::Stop(self.refused(l, open)),
        }
    }

    /// The breaker refused an attempt and the call can't wait for it: give up with the
    /// open circuit (the attributes, whose loop can't sleep before an attempt; and any
    /// refusal without a probe time in reach).
    #[cold]
    pub(crate) fn refused(&mut self, l: &Layers<'_>, open: CircuitOpen) -> Stopped {
        if l.quiet {
            return Stopped::refused_alone(open);
        }
        let now = l.clock.now();
        // Counts the refused attempt.
        let _ = self.state(l, now).retry.on_failure(Verdict::IGNORE, now);
        let kind = PolicyErrorKind::BreakerOpen;
        self.stop(l, kind, Some(open), now, None, Verdict::IGNORE)
    }

    /// The form could not even be made ready (a tower service's readiness error): the
    /// call ends at once, not retryable.
    #[cold]
    pub(crate) fn unready(&mut self, l: &Layers<'_>) -> Stopped {
        let now = l.clock.now();
        let kind = PolicyErrorKind::NotRetryable;
        self.stop(l, kind, None, now, None, Verdict::FATAL)
    }

    #[allow(clippy::too_many_arguments)]
    fn retry(
        &mut self,
        l: &Layers<'_>,
        delay: Duration,
        wait: Wait,
        now: Duration,
        reason: &'static str,
        error: Option<&dyn fmt::Debug>,
        verdict: Verdict,
    ) -> Step {
        // The deadline bounds every attempt: a wait that would end at the deadline leaves
        // the next attempt no time at all, so the call ends now.
        if let Some(left) = self.state.as_ref().and_then(|s| s.retry.remaining(now)) {
            if delay >= left {
                let kind = PolicyErrorKind::Deadline;
                return Step::Stop(self.stop(l, kind, None, now, error, verdict));
            }
        }
        if let Some(budget) = l.budget {
            if !budget.try_withdraw() {
                let kind = PolicyErrorKind::BudgetExhausted;
                return Step::Stop(self.stop(l, kind, None, now, error, verdict));
            }
        }
        if let Some(later) = self.state.as_mut() {
            later.waited = later.waited.saturating_add(delay);
            if wait == Wait::Probe {
                later.waited_for_probes = later.waited_for_probes.saturating_add(delay);
            }
        }
        events::retrying(l, self.attempts(), delay, reason, error);
        Step::Retry(delay)
    }

    fn stop(
        &mut self,
        l: &Layers<'_>,
        kind: PolicyErrorKind,
        open: Option<CircuitOpen>,
        now: Duration,
        error: Option<&dyn fmt::Debug>,
        verdict: Verdict,
    ) -> Stopped {
        let stopped = Stopped {
            kind,
            open,
            attempts: self.attempts(),
            elapsed: self.elapsed(now),
            hint: verdict.delay_hint(),
        };
        events::gave_up(l, &stopped, error);
        stopped
    }

    /// The attempts made so far.
    pub(crate) fn attempts(&self) -> u32 {
        self.state
            .as_ref()
            .map_or(0, |state| state.retry.attempts())
    }

    /// Time since the call started (zero before the first failure of an untimed call).
    pub(crate) fn elapsed(&self, now: Duration) -> Duration {
        self.state
            .as_ref()
            .map_or(Duration::ZERO, |s| s.retry.elapsed(now))
    }

    fn state(&mut self, l: &Layers<'_>, now: Duration) -> &mut Later {
        let start = self.start;
        self.state.get_or_insert_with(|| {
            let mut retry = RetryState::unstarted(l.retry);
            retry.start(start.unwrap_or(now));
            Box::new(Later {
                retry,
                waited: Duration::ZERO,
                waited_for_probes: Duration::ZERO,
            })
        })
    }

    /// What is left of the call's patience for probes: the longest the next wait for a
    /// probe may be. The patience is a budget over the whole call, which every wait for a
    /// probe uses up in full:
    ///
    /// - `max_probe_wait`, less the waits for probes made so far;
    /// - without it, the time left before the deadline;
    /// - without either, what the backoff could wait over the whole call,
    ///   `wait_max` × (`max_attempts` − 1), less every wait made so far (backoff and
    ///   probes alike): waiting for probes never makes a call wait longer in all than its
    ///   backoff could have.
    ///
    /// Never past the deadline.
    fn patience(&mut self, l: &Layers<'_>, now: Duration) -> Duration {
        let later = self.state(l, now);
        let left = later.retry.remaining(now);
        let own = match (l.max_probe_wait, left) {
            (Some(max), _) => max.saturating_sub(later.waited_for_probes),
            (None, Some(_)) => Duration::MAX,
            (None, None) => {
                let retries = l.retry.max_attempts.saturating_sub(1);
                let most = l.retry.backoff().max_delay().saturating_mul(retries);
                most.saturating_sub(later.waited)
            }
        };
        left.map_or(own, |left| own.min(left))
    }
}

/// Where the breaker stands after a failure was reported: the look-ahead that keeps the
/// retry from sleeping into an open circuit.
fn circuit_after_failure(breaker: &CircuitBreaker) -> Circuit {
    match breaker.state() {
        CircuitState::Open => Circuit::OpenFor(breaker.retry_in().unwrap_or(Duration::ZERO)),
        CircuitState::ForcedOpen => Circuit::Shut,
        _ => Circuit::Passing,
    }
}

fn open_circuit(breaker: &CircuitBreaker, circuit: Circuit) -> CircuitOpen {
    let retry_after = match circuit {
        Circuit::OpenFor(wait) => Some(wait),
        Circuit::Passing | Circuit::Shut => None,
    };
    breaker.open_error(retry_after)
}
