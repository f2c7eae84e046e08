//! Error classification: one [`Verdict`] type that every policy reads.
//!
//! A retry asks "should I try again?", a breaker asks "does this count as a failure of
//! the dependency?", and both want to know whether the server asked for a pause. One
//! classifier answers all three, so a retry and a breaker combined in one policy never
//! disagree about an error.
//!
//! The default ([`AllTransient`]) treats every error as transient: retry it and count it,
//! as the seed's `expected_exception=Exception` does. [`when`] turns a predicate (the
//! Rust form of the seed's `exception_types`) into a classifier: matching errors are
//! transient, the others are returned at once and not counted.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub mod http;
mod into;
pub mod io;
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub mod reqwest;
#[cfg(feature = "rmcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "rmcp")))]
pub mod rmcp;
#[cfg(feature = "sqlx")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlx")))]
pub mod sqlx;

pub use into::{ByPredicate, ByVerdict, IntoClassify};

/// What a policy should do with one error.
///
/// ```
/// use std::time::Duration;
/// use staunch::Verdict;
///
/// let v = Verdict::TRANSIENT.with_delay_hint(Duration::from_secs(2));
/// assert!(v.should_retry());
/// assert!(v.counts_as_failure());
/// assert_eq!(v.delay_hint(), Some(Duration::from_secs(2)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Verdict {
    retry: bool,
    count: bool,
    delay_hint: Option<Duration>,
}

impl Verdict {
    /// A passing fault of the dependency: retry it, count it as a breaker failure.
    pub const TRANSIENT: Self = Self::new(true, true);
    /// A failure of the dependency that another attempt will not fix: count it, don't retry.
    pub const FATAL: Self = Self::new(false, true);
    /// Not the dependency's fault (a bad request, a missing record): return it at once,
    /// count it neither way.
    pub const IGNORE: Self = Self::new(false, false);
    /// Worth retrying but not a sign of ill health (e.g. an optimistic-lock conflict).
    pub const RETRY_UNCOUNTED: Self = Self::new(true, false);

    /// A verdict from its two answers.
    ///
    /// ```
    /// assert_eq!(staunch::Verdict::new(true, true), staunch::Verdict::TRANSIENT);
    /// ```
    pub const fn new(retry: bool, count_as_failure: bool) -> Self {
        Self {
            retry,
            count: count_as_failure,
            delay_hint: None,
        }
    }

    /// Adds a server delay hint (HTTP `Retry-After`, gRPC pushback): the retry waits at
    /// least this long, and a breaker may stay open until then.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let v = staunch::Verdict::TRANSIENT.with_delay_hint(Duration::from_millis(1500));
    /// assert_eq!(v.delay_hint(), Some(Duration::from_millis(1500)));
    /// ```
    #[must_use]
    pub const fn with_delay_hint(mut self, hint: Duration) -> Self {
        self.delay_hint = Some(hint);
        self
    }

    /// Whether another attempt may succeed.
    ///
    /// ```
    /// assert!(!staunch::Verdict::FATAL.should_retry());
    /// ```
    pub const fn should_retry(self) -> bool {
        self.retry
    }

    /// Whether a breaker counts this error as a failure.
    ///
    /// ```
    /// assert!(!staunch::Verdict::IGNORE.counts_as_failure());
    /// ```
    pub const fn counts_as_failure(self) -> bool {
        self.count
    }

    /// The server's requested pause, if any.
    ///
    /// ```
    /// assert_eq!(staunch::Verdict::TRANSIENT.delay_hint(), None);
    /// ```
    pub const fn delay_hint(self) -> Option<Duration> {
        self.delay_hint
    }
}

/// Decides a [`Verdict`] for an error of type `E`.
///
/// Implemented for every `Fn(&E) -> Verdict`, for [`AllTransient`], for [`When`] and for
/// the type-erased [`Classifier`].
///
/// ```
/// use staunch::{Classify, Verdict};
///
/// let by_code = |code: &u16| if *code >= 500 { Verdict::TRANSIENT } else { Verdict::IGNORE };
/// assert_eq!(by_code.classify(&503), Verdict::TRANSIENT);
/// assert_eq!(by_code.classify(&404), Verdict::IGNORE);
/// ```
pub trait Classify<E: ?Sized> {
    /// The verdict for `error`.
    fn classify(&self, error: &E) -> Verdict;
}

impl<E: ?Sized, F: Fn(&E) -> Verdict> Classify<E> for F {
    #[inline]
    fn classify(&self, error: &E) -> Verdict {
        self(error)
    }
}

/// Every error is [`Verdict::TRANSIENT`]: the default of every policy.
///
/// ```
/// use staunch::{AllTransient, Classify, Verdict};
/// assert_eq!(AllTransient.classify("any error"), Verdict::TRANSIENT);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllTransient;

impl<E: ?Sized> Classify<E> for AllTransient {
    #[inline]
    fn classify(&self, _: &E) -> Verdict {
        Verdict::TRANSIENT
    }
}

/// A predicate as a classifier: `true` is [`Verdict::TRANSIENT`], `false` is
/// [`Verdict::IGNORE`]. Built by [`when`].
#[derive(Clone, Copy, Debug)]
pub struct When<P>(P);

/// The Rust form of the seed's `exception_types`: errors matching `predicate` are retried
/// and counted; the others are returned at once and not counted.
///
/// ```
/// use std::io;
/// use staunch::{classify, Classify, Verdict};
///
/// let timeouts = classify::when(|e: &io::Error| e.kind() == io::ErrorKind::TimedOut);
/// assert_eq!(timeouts.classify(&io::ErrorKind::TimedOut.into()), Verdict::TRANSIENT);
/// assert_eq!(timeouts.classify(&io::ErrorKind::NotFound.into()), Verdict::IGNORE);
/// ```
pub const fn when<P>(predicate: P) -> When<P> {
    When(predicate)
}

impl<E: ?Sized, P: Fn(&E) -> bool> Classify<E> for When<P> {
    #[inline]
    fn classify(&self, error: &E) -> Verdict {
        if (self.0)(error) {
            Verdict::TRANSIENT
        } else {
            Verdict::IGNORE
        }
    }
}

/// A stored, cheaply cloned classifier for errors of type `E`.
///
/// Use it where a classifier must be kept in a struct or shared between threads.
///
/// ```
/// use staunch::{Classifier, Classify, Verdict};
///
/// let classifier: Classifier<String> =
///     Classifier::new(|e: &String| if e.contains("busy") { Verdict::TRANSIENT } else { Verdict::FATAL });
/// let copy = classifier.clone();
/// assert_eq!(copy.classify(&"server busy".to_string()), Verdict::TRANSIENT);
/// assert_eq!(Classifier::<String>::default().classify(&String::new()), Verdict::TRANSIENT);
/// ```
pub struct Classifier<E: ?Sized> {
    inner: Option<Arc<ClassifyFn<E>>>,
}

type ClassifyFn<E> = dyn Fn(&E) -> Verdict + Send + Sync;

impl<E: ?Sized> Classifier<E> {
    /// Stores any classifier.
    pub fn new(classify: impl Classify<E> + Send + Sync + 'static) -> Self {
        Self {
            inner: Some(Arc::new(move |error: &E| classify.classify(error))),
        }
    }
}

impl<E: ?Sized> Default for Classifier<E> {
    fn default() -> Self {
        Self { inner: None }
    }
}

impl<E: ?Sized> Clone for Classifier<E> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<E: ?Sized> Classify<E> for Classifier<E> {
    #[inline]
    fn classify(&self, error: &E) -> Verdict {
        match &self.inner {
            None => Verdict::TRANSIENT,
            Some(classify) => classify(error),
        }
    }
}

impl<E: ?Sized> fmt::Debug for Classifier<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.inner.is_some() {
            "custom"
        } else {
            "all transient"
        };
        f.debug_tuple("Classifier").field(&kind).finish()
    }
}
