//! One attempt: the layers a driver lends to the engine, how the attempt ended, how it
//! is reported to the breaker, and the polling of an attempt against its timer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::run::Run;
use crate::breaker::{OwnedPermit, Permit};
use crate::{CircuitBreaker, Clock, RetryBudget, RetryPolicy, Sleep, Verdict};

/// The layers of one policy, lent to each step.
#[derive(Clone, Copy)]
pub(crate) struct Layers<'a> {
    pub(crate) retry: &'a RetryPolicy,
    pub(crate) breaker: &'a CircuitBreaker,
    pub(crate) budget: Option<&'a RetryBudget>,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) max_probe_wait: Option<Duration>,
    pub(crate) clock: &'a Clock,
    /// The name in events and metric labels.
    pub(crate) name: &'a str,
    #[cfg(feature = "metrics")]
    pub(crate) metrics: &'a super::events::Metrics,
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// It returned within its time (or no timeout is set).
    InTime,
    /// It returned, but after its timeout (blocking code, or a result ready at the same
    /// poll as the timer).
    Late,
    /// The timer fired first and the attempt was dropped.
    TimedOut,
}

/// The ways a driver reports an attempt to the breaker: a borrowed or an owned permit.
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

/// Polls a running attempt and, with an attempt timeout, its timer (started only when
/// the attempt does not complete at once): the outcome and how it ended, `None` for an
/// attempt cut by its timer.
#[inline]
pub(crate) fn poll_attempt<Fut: Future>(
    run: &Run,
    l: &Layers<'_>,
    future: Pin<&mut Fut>,
    timer: &mut Option<Sleep>,
    cx: &mut Context<'_>,
) -> Poll<(Option<Fut::Output>, Ending)> {
    if let Poll::Ready(outcome) = future.poll(cx) {
        return Poll::Ready((Some(outcome), run.ending(l)));
    }
    poll_timer(run, l, timer, cx).map(|()| (None, Ending::TimedOut))
}

/// Polls the timer of an attempt that is still running, starting it on first use:
/// ready when the attempt has run out of time, pending forever without a timeout.
#[inline]
pub(crate) fn poll_timer(
    run: &Run,
    l: &Layers<'_>,
    timer: &mut Option<Sleep>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if l.attempt_timeout.is_none() {
        return Poll::Pending;
    }
    let timer = timer.get_or_insert_with(|| run.timer(l).unwrap_or_else(Sleep::ready));
    Pin::new(timer).poll(cx)
}
