//! Support for the expansions of `staunch-macros`; not a public API.
//!
//! The attributes generate calls to this module only, so the generated code stays the
//! same while the retry, breaker and settings underneath evolve. Nothing here is covered
//! by semver: use the attributes, or the policies themselves.

use crate::classify::{self, AllTransient, Classify, Verdict};
use crate::{CircuitOpen, Clock};

#[path = "private/call.rs"]
mod call;
#[path = "private/config.rs"]
mod config;
#[path = "private/guard.rs"]
mod guard;
#[path = "private/site.rs"]
mod site;

pub use crate::Jitter;
pub use call::{Admitted, Attempted, NoPermit, RetryCall};
pub use config::Config;
pub use guard::{BreakerCall, ResilientCall};
pub use site::Site;

/// What an attributed function returns: a `Result`, whatever it is named.
#[diagnostic::on_unimplemented(
    message = "a function with a staunch attribute must return `Result<T, E>`, not `{Self}`",
    label = "expected `Result<T, E>`",
    note = "the attribute retries or guards the function by looking at its `Err` values"
)]
pub trait Outcome: Sized {
    /// The success type.
    type Ok;
    /// The error type.
    type Err;
    /// The error, if this is one.
    fn error(&self) -> Option<&Self::Err>;
    /// An `Err`.
    fn from_error(error: Self::Err) -> Self;
}

impl<T, E> Outcome for Result<T, E> {
    type Ok = T;
    type Err = E;

    #[inline]
    fn error(&self) -> Option<&E> {
        self.as_ref().err()
    }

    #[inline]
    fn from_error(error: E) -> Self {
        Err(error)
    }
}

/// The error type of a function under a breaker attribute: it must hold an open circuit.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't hold an open circuit: breaker attributes need `{Self}: From<staunch::CircuitOpen>`",
    label = "the function's error type must implement `From<staunch::CircuitOpen>`",
    note = "a call refused by the open circuit returns `E::from(CircuitOpen)` as the function's error",
    note = "give the error type a variant for it with `impl From<staunch::CircuitOpen>`, or return an error type that has one (`anyhow::Error`, `Box<dyn Error + Send + Sync>`)"
)]
pub trait OpenCircuitError: From<CircuitOpen> {}

impl<E: From<CircuitOpen>> OpenCircuitError for E {}

/// The error type of an async function under `#[resilient]`: it must hold a timeout.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't hold an attempt timeout: async `#[resilient]` functions need `{Self}: From<staunch::AttemptTimeout>`",
    label = "the function's error type must implement `From<staunch::AttemptTimeout>`",
    note = "a last attempt cut by its timeout returns `E::from(AttemptTimeout)` as the function's error",
    note = "give the error type a variant for it with `impl From<staunch::AttemptTimeout>`, or return an error type that has one (`anyhow::Error`, `Box<dyn Error + Send + Sync>`)"
)]
pub trait TimeoutError: From<crate::AttemptTimeout> {}

impl<E: From<crate::AttemptTimeout>> TimeoutError for E {}

/// The clock of `clock = expr`: a [`Clock`] or anything that converts into one.
#[inline]
pub fn clock(clock: impl Into<Clock>) -> Clock {
    clock.into()
}

/// `when = predicate`: matching errors are retried and counted, the others are returned.
///
/// Takes the attempt's result only to name the error type, so a closure needs no
/// annotations.
#[inline]
pub fn when<R, P>(_: &R, predicate: P) -> impl Classify<R::Err>
where
    R: Outcome,
    P: Fn(&R::Err) -> bool,
{
    classify::when(predicate)
}

/// `classify = f`: a full classifier, `Fn(&E) -> Verdict`.
#[inline]
pub fn classify<R, C>(_: &R, classifier: C) -> impl Classify<R::Err>
where
    R: Outcome,
    C: Fn(&R::Err) -> Verdict,
{
    classifier
}

/// No classifier given: every error is transient, as the seed's `Exception` default.
#[inline]
pub fn all_transient<R: Outcome>(_: &R) -> AllTransient {
    AllTransient
}
