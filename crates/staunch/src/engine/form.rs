//! What a call form hands the engine: its layers, its admission, its classifier, its
//! hooks and how its final error is made. Each form (a policy call, a retry, a breaker
//! call, a tower service) implements [`Form`] in a few lines; the drivers do the rest.

use std::fmt;
use std::task::{Context, Poll};

use super::events;
use super::step::{Layers, Shape};
use super::table::{Alone, Record, Stopped};
use crate::policy::Fallback;
use crate::retry::Retrying;
use crate::{CircuitOpen, PolicyErrorKind, Verdict};

/// A call form with outcome `Result<T, E>`.
pub(crate) trait Form<T, E> {
    /// What admission hands out: a permit, or nothing without a breaker.
    type Permit: Record;
    /// The error the caller sees.
    type Error;

    /// The layers the step machine decides with.
    fn layers(&self) -> Layers<'_>;

    /// What the first attempt needs (see [`Shape`]), worked out from the layers unless
    /// the form keeps it at hand.
    #[inline(always)]
    fn shape(&self) -> Shape {
        Shape::of(&self.layers())
    }

    /// Asks the breaker for a permit.
    fn admit(&mut self) -> Result<Self::Permit, CircuitOpen>;

    /// Judges an error.
    fn classify(&self, error: &E) -> Verdict;

    /// The error as events show it; `None` when the form does not require `Debug`.
    fn debug(error: &E) -> Option<&dyn fmt::Debug>;

    /// Whether to retry on this `Ok` value (`.when_ok`).
    #[inline(always)]
    fn retry_ok(&mut self, _: &T) -> bool {
        false
    }

    /// Called before each sleep with what the retry is about to do.
    #[inline(always)]
    fn notify(&mut self, _: &Retrying<'_, T, E>) {}

    /// Whether [`notify`](Self::notify) does anything (it costs a clock read).
    #[inline(always)]
    fn notifies(&self) -> bool {
        false
    }

    /// The end of a call that did not succeed: the final error, or a fallback's value.
    /// `last` is the last outcome: an error, or an `Ok` that `.when_ok` kept rejecting.
    fn finish(&mut self, stopped: Stopped, last: Option<Result<T, E>>) -> Result<T, Self::Error>;

    /// The end of a call of one attempt (a breaker alone) that did not succeed, without
    /// the step machine. A form may build its error here directly, inline.
    #[inline]
    fn end_alone(&mut self, end: Alone<E>) -> Result<T, Self::Error> {
        let (stopped, last) = end.into_stopped();
        self.finish(stopped, last)
    }
}

/// An async call form: makes each attempt's future.
pub(crate) trait AsyncForm<T, E, Fut>: Form<T, E> {
    /// What the first attempt is made from, held by the call until it starts: `()` for a
    /// form that makes every attempt itself; a breaker alone's one-shot closure, so that
    /// the form needs no `Option` to take it from (a write when the call is built and
    /// another when the attempt starts).
    type Once;

    /// Whether the first attempt is made from [`Once`](Self::Once) (by
    /// [`first`](Self::first)) rather than by [`attempt`](Self::attempt). Taking it out of
    /// the call costs a write; a form whose `Once` is `()` leaves it `false` and pays none.
    /// Only for a form of one attempt whose refusal ends the call (a breaker alone): once
    /// taken, `Once` is gone, and the driver never asks such a form for a second attempt.
    const FIRST_FROM_ONCE: bool = false;

    /// Starts the first attempt from what the call held for it.
    #[inline(always)]
    fn first(&mut self, once: Self::Once) -> Fut {
        let _ = once;
        self.attempt()
    }

    /// Readiness before an attempt after the first (a tower service's `poll_ready`).
    #[inline(always)]
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), E>> {
        Poll::Ready(Ok(()))
    }

    /// Starts an attempt.
    fn attempt(&mut self) -> Fut;
}

/// A blocking call form: runs each attempt.
pub(crate) trait BlockingForm<T, E>: Form<T, E> {
    /// Runs an attempt.
    fn attempt(&mut self) -> Result<T, E>;
}

/// The end of every call that did not succeed, whatever its form: the form's final
/// `error` goes to its fallback, if it has one, once; a value the fallback makes instead
/// is reported with the `fallback used` event. A form without a fallback holds `None` of
/// [`NoFallback`], which takes no room.
///
/// [`NoFallback`]: crate::policy::NoFallback
#[cold]
pub(crate) fn fall_back<T, E, Err, FB>(
    layers: &Layers<'_>,
    kind: PolicyErrorKind,
    fallback: &mut Option<FB>,
    error: Err,
) -> Result<T, Err>
where
    FB: Fallback<T, E, Err>,
{
    let Some(fallback) = fallback.take() else {
        return Err(error);
    };
    let result = fallback.fallback(error);
    if result.is_ok() {
        events::fallback(layers, kind);
    }
    result
}
