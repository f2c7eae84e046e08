//! What an attempt's end means, decided once for every call form: how an attempt ended,
//! how it is reported to the breaker, and why a call stopped.
//!
//! The user guide's behaviour table ([`guide`](crate::guide#the-behaviour-table)) is
//! the prose of this file and of [`Run`](super::step::Run).

use std::time::Duration;

use crate::breaker::{OwnedPermit, Permit};
use crate::{CircuitOpen, PolicyErrorKind, Verdict};

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// It returned within its time (or no time bound applies).
    InTime,
    /// It returned, but after its time: its attempt timeout, or the call's deadline
    /// (blocking code, or a result ready at the same poll as the timer).
    Late,
    /// The timer fired first and the attempt was dropped.
    TimedOut,
}

/// The ways a driver reports an attempt to the breaker: a borrowed or an owned permit,
/// or nothing for a call without a breaker.
pub(crate) trait Record {
    fn success(self);
    fn failure(self);
    fn record(self, verdict: Verdict);
}

macro_rules! record_for {
    ($($permit:ty),*) => {$(
        impl Record for $permit {
            #[inline(always)]
            fn success(self) { <$permit>::success(self) }
            #[inline]
            fn failure(self) { <$permit>::failure(self) }
            #[inline]
            fn record(self, verdict: Verdict) { <$permit>::record(self, verdict) }
        }
    )*};
}
record_for!(Permit<'_>, OwnedPermit);

/// The admission of a call without a breaker (a retry alone): nothing to report.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NoBreaker;

impl Record for NoBreaker {
    #[inline(always)]
    fn success(self) {}
    #[inline(always)]
    fn failure(self) {}
    #[inline(always)]
    fn record(self, _: Verdict) {}
}

/// Why and when a call gave up, without the caller's error (the driver holds it).
#[derive(Debug)]
pub(crate) struct Stopped {
    pub(crate) kind: PolicyErrorKind,
    pub(crate) open: Option<CircuitOpen>,
    pub(crate) attempts: u32,
    pub(crate) elapsed: Duration,
    /// The delay hint of the last failure's verdict, if any.
    pub(crate) hint: Option<Duration>,
}

impl Stopped {
    /// The end of a call of one attempt that failed with `verdict` (a breaker alone).
    pub(crate) fn single(verdict: Verdict) -> Self {
        let kind = if verdict.should_retry() {
            PolicyErrorKind::Exhausted
        } else {
            PolicyErrorKind::NotRetryable
        };
        Self {
            kind,
            open: None,
            attempts: 1,
            elapsed: Duration::ZERO,
            hint: verdict.delay_hint(),
        }
    }

    /// The end of a call of one attempt that the breaker refused (a breaker alone).
    pub(crate) fn refused_alone(open: CircuitOpen) -> Self {
        let mut stopped = Stopped::single(Verdict::IGNORE);
        (stopped.kind, stopped.open, stopped.attempts) =
            (PolicyErrorKind::BreakerOpen, Some(open), 0);
        stopped
    }

    pub(crate) fn into_policy_error<E>(self, error: Option<E>) -> crate::PolicyError<E> {
        crate::PolicyError::new(self.kind, error, self.open, self.attempts, self.elapsed)
    }
}

/// How a call of one attempt (a breaker alone) ended without a success. The driver
/// hands it to the form as it is, without the step machine: nothing is left to decide.
#[derive(Debug)]
pub(crate) enum Alone<E> {
    /// The breaker refused the attempt.
    Refused(CircuitOpen),
    /// The attempt failed with this error, judged with this verdict (already reported).
    Failed(E, Verdict),
}

impl<E> Alone<E> {
    /// The end as the step machine would have given it: why it stopped, and the outcome.
    pub(crate) fn into_stopped<T>(self) -> (Stopped, Option<Result<T, E>>) {
        match self {
            Alone::Refused(open) => (Stopped::refused_alone(open), None),
            Alone::Failed(error, verdict) => (Stopped::single(verdict), Some(Err(error))),
        }
    }
}

impl<P: Record> Record for Option<P> {
    #[inline(always)]
    fn success(self) {
        if let Some(permit) = self {
            permit.success();
        }
    }
    #[inline]
    fn failure(self) {
        if let Some(permit) = self {
            permit.failure();
        }
    }
    #[inline]
    fn record(self, verdict: Verdict) {
        if let Some(permit) = self {
            permit.record(verdict);
        }
    }
}
