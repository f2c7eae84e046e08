//! The blocking policy call: the async call's twin, name for name, ended by `call()`; a
//! thin adapter over the engine's blocking driver.

use std::fmt;

use super::fallback::{Fallback, NoFallback};
use super::form::PolicyForm;
use super::{Policy, PolicyError};
use crate::classify::{self, When};
use crate::engine;
use crate::{AllTransient, Classify};

/// A blocking call under a [`Policy`]; run it with [`call`](Self::call). Made by
/// [`Policy::blocking`].
///
/// Same refinements as the async [`PolicyCall`](super::PolicyCall): `when`, `classify`,
/// `fallback`. Sleeps with [`Clock::sleep_blocking`](crate::Clock::sleep_blocking), so no
/// runtime is needed. A panic in the call counts as a breaker failure and unwinds on.
///
/// ```
/// use std::time::Duration;
/// use staunch::{test_util::FakeClock, Policy};
///
/// let fake = FakeClock::new();
/// let policy = Policy::builder("db").clock(fake.clock()).build()?;
/// let mut calls = 0;
/// let value = policy
///     .blocking(|| { calls += 1; if calls < 3 { Err("busy") } else { Ok(calls) } })
///     .call()
///     .unwrap();
/// assert_eq!(value, 3);
/// assert_eq!(fake.sleeps(), [Duration::from_secs(1), Duration::from_secs(2)]);
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[must_use = "a blocking call does nothing until `call()`"]
pub struct BlockingPolicyCall<'p, F, C = AllTransient, FB = NoFallback> {
    policy: &'p Policy,
    make: F,
    classify: C,
    fallback: Option<FB>,
}

impl<'p, F> BlockingPolicyCall<'p, F> {
    pub(crate) fn new(policy: &'p Policy, make: F) -> Self {
        Self {
            policy,
            make,
            classify: AllTransient,
            fallback: None,
        }
    }
}

impl<'p, F, C, FB> BlockingPolicyCall<'p, F, C, FB> {
    /// Retries and counts only errors matching `predicate` (the seed's
    /// `exception_types`); others are returned at once, uncounted.
    ///
    /// ```
    /// use staunch::{policy::PolicyErrorKind, test_util::FakeClock, Policy};
    /// let policy = Policy::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let err = policy.blocking(|| Err::<(), _>("no such table")).when(|e| e.contains("timeout")).call().unwrap_err();
    /// assert_eq!((err.kind(), err.attempts()), (PolicyErrorKind::NotRetryable, 1));
    /// assert_eq!(policy.breaker().failure_count(), 0);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn when<P, T, E>(self, predicate: P) -> BlockingPolicyCall<'p, F, When<P>, FB>
    where
        F: FnMut() -> Result<T, E>,
        P: Fn(&E) -> bool,
    {
        self.classify(classify::when(predicate))
    }

    /// Classifies errors with a full [`Classify`]: retry or not, count or not, and any
    /// server delay hint.
    ///
    /// ```
    /// use staunch::{classify::http::status_verdict, test_util::FakeClock, Policy};
    /// let policy = Policy::builder("api").clock(FakeClock::new().clock()).build()?;
    /// let err = policy.blocking(|| Err::<(), u16>(404)).classify(|s: &u16| status_verdict(*s)).call().unwrap_err();
    /// assert_eq!(err.attempts(), 1);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> BlockingPolicyCall<'p, F, C2, FB> {
        BlockingPolicyCall {
            policy: self.policy,
            make: self.make,
            classify: classifier,
            fallback: self.fallback,
        }
    }

    /// Turns the final error into a value, or hands it back (see
    /// [`Fallback`](super::Fallback)).
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, Policy};
    /// let policy = Policy::builder("prices").clock(FakeClock::new().clock()).build()?;
    /// policy.breaker().force_open();
    /// let price = policy.blocking(|| Ok::<u32, String>(120)).fallback(|_| Ok(100)).call();
    /// assert_eq!(price, Ok(100)); // the cached price
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn fallback<FB2, T, E>(self, fallback: FB2) -> BlockingPolicyCall<'p, F, C, FB2>
    where
        F: FnMut() -> Result<T, E>,
        FB2: FnOnce(PolicyError<E>) -> Result<T, PolicyError<E>>,
    {
        BlockingPolicyCall {
            policy: self.policy,
            make: self.make,
            classify: self.classify,
            fallback: Some(fallback),
        }
    }

    /// Runs the call until it succeeds or a layer ends it.
    ///
    /// ```
    /// use staunch::Policy;
    /// let policy = Policy::builder("db").build()?;
    /// assert_eq!(policy.blocking(|| Ok::<_, String>(1)).call(), Ok(1));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    #[inline]
    pub fn call<T, E>(self) -> Result<T, PolicyError<E>>
    where
        F: FnMut() -> Result<T, E>,
        C: Classify<E>,
        FB: Fallback<T, E>,
        E: fmt::Debug,
    {
        engine::blocking::run(PolicyForm {
            policy: self.policy,
            make: self.make,
            classify: self.classify,
            fallback: self.fallback,
        })
    }
}

impl<F, C: fmt::Debug, FB: fmt::Debug> fmt::Debug for BlockingPolicyCall<'_, F, C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingPolicyCall")
            .field("policy", &self.policy.name())
            .field("classify", &self.classify)
            .field("fallback", &self.fallback)
            .finish()
    }
}
