//! Fallbacks: what to return when every layer has said no.

use super::PolicyError;

/// Turns the final error of a call into a value, or hands it back.
///
/// Implemented by every `FnOnce(PolicyError<E>) -> Result<T, PolicyError<E>>` and by
/// [`NoFallback`]. Returning the error keeps it: a fallback usually serves a cached or
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
pub trait Fallback<T, E> {
    /// Called once, with the error the call would otherwise return.
    fn fallback(self, error: PolicyError<E>) -> Result<T, PolicyError<E>>;
}

impl<T, E, F> Fallback<T, E> for F
where
    F: FnOnce(PolicyError<E>) -> Result<T, PolicyError<E>>,
{
    #[inline]
    fn fallback(self, error: PolicyError<E>) -> Result<T, PolicyError<E>> {
        self(error)
    }
}

/// The default: no fallback, the error is returned.
///
/// ```
/// use std::time::Duration;
/// use staunch::policy::{Fallback, NoFallback, PolicyError};
///
/// fn takes<F: Fallback<u8, ()>>(_: F) {}
/// takes(NoFallback);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFallback;

impl<T, E> Fallback<T, E> for NoFallback {
    #[inline(always)]
    fn fallback(self, error: PolicyError<E>) -> Result<T, PolicyError<E>> {
        Err(error)
    }
}
