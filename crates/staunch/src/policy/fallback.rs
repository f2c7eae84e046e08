//! Fallbacks: what to return when every layer has said no.

use super::PolicyError;

/// Turns the final error of a call into a value, or hands it back.
///
/// `Err` is the error of the call form: [`PolicyError<E>`] for a policy call (the
/// default), [`RetryError<E>`](crate::RetryError) for a retry,
/// [`BreakerError<E>`](crate::BreakerError) for a breaker's `call`. Implemented by every
/// `FnOnce(Err) -> Result<T, Err>` and by [`NoFallback`]. Returning the error keeps it: a fallback usually serves a cached or
/// default answer when the dependency is down (open circuit, timeouts, exhaustion, an
/// empty budget), and lets a caller's own mistake ([`NotRetryable`]) through, since a
/// cached answer to a bad request would hide the bug.
///
/// [`NotRetryable`]: super::PolicyErrorKind::NotRetryable
///
/// ```
/// use staunch::policy::{Fallback, PolicyError, PolicyErrorKind};
///
/// fn cached<E>(err: PolicyError<E>) -> Result<&'static str, PolicyError<E>> {
///     match err.kind() {
///         PolicyErrorKind::NotRetryable => Err(err),
///         _ => Ok("cached answer"),
///     }
/// }
/// fn assert_fallback<T, E>(_: impl Fallback<T, E>) {}
/// assert_fallback::<&str, std::io::Error>(cached);
/// ```
pub trait Fallback<T, E, Err = PolicyError<E>> {
    /// Called once, with the error the call would otherwise return.
    fn fallback(self, error: Err) -> Result<T, Err>;
}

impl<T, E, Err, F> Fallback<T, E, Err> for F
where
    F: FnOnce(Err) -> Result<T, Err>,
{
    #[inline]
    fn fallback(self, error: Err) -> Result<T, Err> {
        self(error)
    }
}

/// The default: no fallback, the error is returned.
///
/// It has no values: a call without a fallback holds `None` of it, which takes no room,
/// so setting no fallback costs a call nothing in size or time.
///
/// ```
/// use staunch::policy::{Fallback, NoFallback};
///
/// fn takes<F: Fallback<u8, ()>>(_: Option<F>) {}
/// takes(None::<NoFallback>);
/// assert_eq!(std::mem::size_of::<Option<NoFallback>>(), 0);
/// ```
#[derive(Clone, Copy, Debug)]
pub enum NoFallback {}

impl<T, E, Err> Fallback<T, E, Err> for NoFallback {
    #[inline(always)]
    fn fallback(self, _: Err) -> Result<T, Err> {
        match self {}
    }
}
