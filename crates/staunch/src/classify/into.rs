//! [`IntoClassify`]: one way to say what counts, the same on every call form.
//!
//! A retry and a policy take a `bool` predicate through `.when(...)` and a classifier
//! through `.classify(...)`; a breaker's `call_with` takes one argument for both. This
//! conversion lets that argument be either: a classifier (any `Fn(&E) -> Verdict`,
//! [`When`], [`AllTransient`](super::AllTransient), a [`Classifier`](super::Classifier)),
//! used as it is, or a `bool` predicate, read as [`when`](super::when) reads it (`true`
//! counts and retries, `false` passes through uncounted).
//!
//! The two blanket conversions differ in their marker ([`ByVerdict`], [`ByPredicate`]),
//! which the compiler infers from the argument: a closure returning `Verdict` is a
//! classifier, one returning `bool` a predicate.

use super::{Classify, When};

/// Marker of the conversion of a classifier into itself.
#[derive(Debug)]
pub enum ByVerdict {}

/// Marker of the conversion of a `bool` predicate into [`When`].
#[derive(Debug)]
pub enum ByPredicate {}

/// Anything that says which errors of type `E` count: a classifier, or a `bool`
/// predicate.
///
/// ```
/// use std::io;
/// use staunch::classify::{IntoClassify, Verdict};
/// use staunch::Classify;
///
/// fn verdict<M>(what_counts: impl IntoClassify<io::Error, M>, error: &io::Error) -> Verdict {
///     what_counts.into_classify().classify(error)
/// }
/// let timeout: io::Error = io::ErrorKind::TimedOut.into();
/// let by_kind = |e: &io::Error| e.kind() == io::ErrorKind::TimedOut;
/// assert_eq!(verdict(by_kind, &timeout), Verdict::TRANSIENT);
/// assert_eq!(verdict(|_: &io::Error| Verdict::FATAL, &timeout), Verdict::FATAL);
/// ```
pub trait IntoClassify<E: ?Sized, Marker> {
    /// The classifier it becomes.
    type Classify: Classify<E>;

    /// Converts into the classifier.
    fn into_classify(self) -> Self::Classify;
}

impl<E: ?Sized, C: Classify<E>> IntoClassify<E, ByVerdict> for C {
    type Classify = C;

    #[inline(always)]
    fn into_classify(self) -> C {
        self
    }
}

impl<E: ?Sized, P: Fn(&E) -> bool> IntoClassify<E, ByPredicate> for P {
    type Classify = When<P>;

    #[inline(always)]
    fn into_classify(self) -> When<P> {
        super::when(self)
    }
}
