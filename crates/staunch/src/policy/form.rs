//! The policy as a call form: its layers, its breaker's permit, the call site's
//! classifier and fallback, and [`PolicyError`] as the final error.

use std::fmt;

use super::fallback::Fallback;
use super::{Policy, PolicyError};
use crate::breaker::Permit;
use crate::engine::form::{fall_back, AsyncForm, BlockingForm, Form};
use crate::engine::step::{Layers, Shape};
use crate::engine::table::Stopped;
use crate::{CircuitOpen, Classify, Verdict};

/// One call under a policy: `make` makes each attempt.
pub(crate) struct PolicyForm<'p, F, C, FB> {
    pub(crate) policy: &'p Policy,
    pub(crate) make: F,
    pub(crate) classify: C,
    pub(crate) fallback: Option<FB>,
}

impl<'p, F, C, FB> PolicyForm<'p, F, C, FB> {
    /// The same call with another classifier and fallback.
    pub(crate) fn refine<C2>(
        self,
        classify: C2,
        fallback: Option<FB>,
    ) -> PolicyForm<'p, F, C2, FB> {
        PolicyForm {
            policy: self.policy,
            make: self.make,
            classify,
            fallback,
        }
    }

    /// The same call with another fallback.
    pub(crate) fn refine_fallback<FB2>(self, fallback: FB2) -> PolicyForm<'p, F, C, FB2> {
        PolicyForm {
            policy: self.policy,
            make: self.make,
            classify: self.classify,
            fallback: Some(fallback),
        }
    }
}

impl<'p, F, C, FB, T, E> Form<T, E> for PolicyForm<'p, F, C, FB>
where
    C: Classify<E>,
    FB: Fallback<T, E>,
    E: fmt::Debug,
{
    type Permit = Permit<'p>;
    type Error = PolicyError<E>;

    #[inline(always)]
    fn layers(&self) -> Layers<'_> {
        self.policy.layers()
    }

    #[inline(always)]
    fn shape(&self) -> Shape {
        self.policy.shape()
    }

    #[inline(always)]
    fn admit(&mut self) -> Result<Permit<'p>, CircuitOpen> {
        let policy: &'p Policy = self.policy;
        policy.breaker().try_acquire()
    }

    #[inline]
    fn classify(&self, error: &E) -> Verdict {
        self.classify.classify(error)
    }

    fn debug(error: &E) -> Option<&dyn fmt::Debug> {
        Some(error)
    }

    #[cold]
    fn finish(
        &mut self,
        stopped: Stopped,
        last: Option<Result<T, E>>,
    ) -> Result<T, PolicyError<E>> {
        let kind = stopped.kind;
        let error = stopped.into_policy_error(last.and_then(Result::err));
        fall_back(&self.policy.layers(), kind, &mut self.fallback, error)
    }
}

impl<F, C, FB, T, E, Fut> AsyncForm<T, E, Fut> for PolicyForm<'_, F, C, FB>
where
    F: FnMut() -> Fut,
    C: Classify<E>,
    FB: Fallback<T, E>,
    E: fmt::Debug,
{
    type Once = ();

    #[inline(always)]
    fn attempt(&mut self) -> Fut {
        (self.make)()
    }
}

impl<F, C, FB, T, E> BlockingForm<T, E> for PolicyForm<'_, F, C, FB>
where
    F: FnMut() -> Result<T, E>,
    C: Classify<E>,
    FB: Fallback<T, E>,
    E: fmt::Debug,
{
    #[inline(always)]
    fn attempt(&mut self) -> Result<T, E> {
        (self.make)()
    }
}

impl<F, C: fmt::Debug, FB> fmt::Debug for PolicyForm<'_, F, C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyForm")
            .field("policy", &self.policy.name())
            .field("classify", &self.classify)
            .finish()
    }
}
