//! The retry alone as a call form: a run without a breaker, with the retry's own hooks
//! (`.when_ok`, `.notify`), a fallback, and [`RetryError`] as the final error.

use std::borrow::Borrow;
use std::fmt;

use super::hooks::{AcceptOk, NoNotify, Notify, RetryOk, Retrying};
use super::{RetryError, RetryErrorKind, RetryPolicy};
use crate::engine::form::{fall_back, AsyncForm, BlockingForm, Form};
use crate::engine::step::Layers;
use crate::engine::table::{NoBreaker, Stopped};
use crate::policy::{Fallback, NoFallback};
use crate::{AllTransient, CircuitOpen, Classify, Clock, PolicyErrorKind, SystemClock, Verdict};

/// One retried call: `make` makes each attempt under `policy`, a [`RetryPolicy`] owned or
/// borrowed (anything that [`Borrow`]s one), on `clock`: the system clock, which takes no
/// room ([`SystemClock`]), or a [`Clock`].
#[derive(Debug)]
pub(crate) struct RetryForm<F, C, O, N, FB, R = RetryPolicy, K = SystemClock> {
    pub(crate) make: F,
    pub(crate) policy: R,
    pub(crate) clock: K,
    pub(crate) classify: C,
    pub(crate) retry_ok: O,
    pub(crate) notify: N,
    pub(crate) fallback: Option<FB>,
}

impl<F, R> RetryForm<F, AllTransient, AcceptOk, NoNotify, NoFallback, R> {
    /// A call on the system clock that retries every error, with no hook and no fallback.
    #[inline]
    pub(crate) fn new(make: F, policy: R) -> Self {
        RetryForm {
            make,
            policy,
            clock: SystemClock,
            classify: AllTransient,
            retry_ok: AcceptOk,
            notify: NoNotify,
            fallback: None,
        }
    }
}

impl<F, C, O, N, FB, R: Borrow<RetryPolicy>, K> RetryForm<F, C, O, N, FB, R, K> {
    /// The policy, owned or borrowed.
    #[inline(always)]
    pub(crate) fn policy(&self) -> &RetryPolicy {
        self.policy.borrow()
    }
}

impl<F, C, O, N, FB, R, K> RetryForm<F, C, O, N, FB, R, K> {
    /// The same call with other refinements: `refine` maps the classifier, the `Ok`
    /// predicate, the hook and the fallback to their replacements.
    #[inline]
    pub(crate) fn refine<C2, O2, N2, FB2>(
        self,
        refine: impl FnOnce(C, O, N, Option<FB>) -> (C2, O2, N2, Option<FB2>),
    ) -> RetryForm<F, C2, O2, N2, FB2, R, K> {
        let (classify, retry_ok, notify, fallback) =
            refine(self.classify, self.retry_ok, self.notify, self.fallback);
        RetryForm {
            make: self.make,
            policy: self.policy,
            clock: self.clock,
            classify,
            retry_ok,
            notify,
            fallback,
        }
    }

    /// The same call on `clock`.
    #[inline]
    pub(crate) fn on_clock(self, clock: Clock) -> RetryForm<F, C, O, N, FB, R, Clock> {
        RetryForm {
            make: self.make,
            policy: self.policy,
            clock,
            classify: self.classify,
            retry_ok: self.retry_ok,
            notify: self.notify,
            fallback: self.fallback,
        }
    }
}

impl<F, C, O, N, FB, R, K, T, E> Form<T, E> for RetryForm<F, C, O, N, FB, R, K>
where
    R: Borrow<RetryPolicy>,
    K: Borrow<Clock>,
    C: Classify<E>,
    O: RetryOk<T>,
    N: Notify<T, E>,
    FB: Fallback<T, E, RetryError<E>>,
    E: fmt::Debug,
{
    type Permit = NoBreaker;
    type Error = RetryError<E>;

    #[inline(always)]
    fn layers(&self) -> Layers<'_> {
        Layers::retry_alone(self.policy(), self.clock.borrow())
    }

    #[inline(always)]
    fn admit(&mut self) -> Result<NoBreaker, CircuitOpen> {
        Ok(NoBreaker)
    }

    #[inline]
    fn classify(&self, error: &E) -> Verdict {
        self.classify.classify(error)
    }

    fn debug(error: &E) -> Option<&dyn fmt::Debug> {
        Some(error)
    }

    #[inline(always)]
    fn retry_ok(&mut self, value: &T) -> bool {
        self.retry_ok.should_retry(value)
    }

    fn notify(&mut self, retrying: &Retrying<'_, T, E>) {
        self.notify.notify(retrying);
    }

    #[inline(always)]
    fn notifies(&self) -> bool {
        self.notify.is_active()
    }

    #[cold]
    fn finish(&mut self, stopped: Stopped, last: Option<Result<T, E>>) -> Result<T, RetryError<E>> {
        match last.expect("a retry alone stops after an attempt") {
            // Retrying on an `Ok` value ran out: hand back the last value.
            Ok(value) => Ok(value),
            Err(error) => {
                let kind = stopped.kind;
                let error = RetryError::from_stopped(stopped, error);
                // The policy's field, not `policy()`: the fallback is borrowed beside it.
                let layers = Layers::retry_alone(self.policy.borrow(), self.clock.borrow());
                fall_back(&layers, kind, &mut self.fallback, error)
            }
        }
    }
}

/// The retry's reason for a stop of the engine (a retry alone has no breaker, budget or
/// attempt timeout).
pub(crate) fn retry_kind(kind: PolicyErrorKind) -> RetryErrorKind {
    match kind {
        PolicyErrorKind::NotRetryable => RetryErrorKind::NotRetryable,
        PolicyErrorKind::Deadline => RetryErrorKind::Deadline,
        PolicyErrorKind::HintTooLong => RetryErrorKind::HintTooLong,
        _ => RetryErrorKind::Exhausted,
    }
}

impl<F, C, O, N, FB, R, K, T, E, Fut> AsyncForm<T, E, Fut> for RetryForm<F, C, O, N, FB, R, K>
where
    R: Borrow<RetryPolicy>,
    K: Borrow<Clock>,
    F: FnMut() -> Fut,
    C: Classify<E>,
    O: RetryOk<T>,
    N: Notify<T, E>,
    FB: Fallback<T, E, RetryError<E>>,
    E: fmt::Debug,
{
    type Once = ();

    #[inline(always)]
    fn attempt(&mut self) -> Fut {
        (self.make)()
    }
}

impl<F, C, O, N, FB, R, K, T, E> BlockingForm<T, E> for RetryForm<F, C, O, N, FB, R, K>
where
    R: Borrow<RetryPolicy>,
    K: Borrow<Clock>,
    F: FnMut() -> Result<T, E>,
    C: Classify<E>,
    O: RetryOk<T>,
    N: Notify<T, E>,
    FB: Fallback<T, E, RetryError<E>>,
    E: fmt::Debug,
{
    #[inline(always)]
    fn attempt(&mut self) -> Result<T, E> {
        (self.make)()
    }
}
