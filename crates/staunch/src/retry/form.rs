//! The retry alone as a call form: a run without a breaker, with the retry's own hooks
//! (`.when_ok`, `.notify`) and [`RetryError`] as the final error.

use std::fmt;

use super::hooks::{Notify, RetryOk, Retrying};
use super::{RetryError, RetryErrorKind, RetryPolicy};
use crate::engine::form::{AsyncForm, BlockingForm, Form};
use crate::engine::step::Layers;
use crate::engine::table::{NoBreaker, Stopped};
use crate::{CircuitOpen, Classify, Clock, PolicyErrorKind, Verdict};

/// One retried call: `make` makes each attempt.
#[derive(Debug)]
pub(crate) struct RetryForm<F, C, O, N> {
    pub(crate) make: F,
    pub(crate) policy: RetryPolicy,
    pub(crate) clock: Clock,
    pub(crate) classify: C,
    pub(crate) retry_ok: O,
    pub(crate) notify: N,
}

impl<F, C, O, N> RetryForm<F, C, O, N> {
    /// The same call with another classifier.
    pub(crate) fn classify_with<C2>(self, classify: C2) -> RetryForm<F, C2, O, N> {
        let RetryForm {
            make,
            policy,
            clock,
            retry_ok,
            notify,
            ..
        } = self;
        RetryForm {
            make,
            policy,
            clock,
            classify,
            retry_ok,
            notify,
        }
    }

    /// The same call with another `Ok` predicate.
    pub(crate) fn retry_ok_with<O2>(self, retry_ok: O2) -> RetryForm<F, C, O2, N> {
        let RetryForm {
            make,
            policy,
            clock,
            classify,
            notify,
            ..
        } = self;
        RetryForm {
            make,
            policy,
            clock,
            classify,
            retry_ok,
            notify,
        }
    }

    /// The same call with another hook.
    pub(crate) fn notify_with<N2>(self, notify: N2) -> RetryForm<F, C, O, N2> {
        let RetryForm {
            make,
            policy,
            clock,
            classify,
            retry_ok,
            ..
        } = self;
        RetryForm {
            make,
            policy,
            clock,
            classify,
            retry_ok,
            notify,
        }
    }
}

impl<F, C, O, N, T, E> Form<T, E> for RetryForm<F, C, O, N>
where
    C: Classify<E>,
    O: RetryOk<T>,
    N: Notify<T, E>,
    E: fmt::Debug,
{
    type Permit = NoBreaker;
    type Error = RetryError<E>;

    #[inline(always)]
    fn layers(&self) -> Layers<'_> {
        Layers::retry_alone(&self.policy, &self.clock)
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
            Err(error) => Err(RetryError::new(
                retry_kind(stopped.kind),
                error,
                stopped.attempts,
                stopped.elapsed,
                stopped.hint,
            )),
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

impl<F, C, O, N, T, E, Fut> AsyncForm<T, E, Fut> for RetryForm<F, C, O, N>
where
    F: FnMut() -> Fut,
    C: Classify<E>,
    O: RetryOk<T>,
    N: Notify<T, E>,
    E: fmt::Debug,
{
    #[inline(always)]
    fn attempt(&mut self) -> Fut {
        (self.make)()
    }
}

impl<F, C, O, N, T, E> BlockingForm<T, E> for RetryForm<F, C, O, N>
where
    F: FnMut() -> Result<T, E>,
    C: Classify<E>,
    O: RetryOk<T>,
    N: Notify<T, E>,
    E: fmt::Debug,
{
    #[inline(always)]
    fn attempt(&mut self) -> Result<T, E> {
        (self.make)()
    }
}
