//! The call wrappers, async and blocking with the same names: a breaker alone, run by
//! the engine as a call of one attempt.

use std::future::Future;

use super::error::BreakerError;
use super::permit::Permit;
use super::CircuitBreaker;
use crate::classify::{AllTransient, Classify, IntoClassify};
use crate::engine::form::{AsyncForm, BlockingForm, Form};
use crate::engine::future::Drive;
use crate::engine::step::Layers;
use crate::engine::table::Stopped;
use crate::{CircuitOpen, PolicyErrorKind, Verdict};

impl CircuitBreaker {
    /// Runs `f` through the breaker, counting every error as a failure (the seed's
    /// `expected_exception=Exception`).
    ///
    /// Dropping the returned future before it completes counts nothing and frees a
    /// half-open probe slot.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::builder("llm").clock(FakeClock::new().clock()).build()?;
    /// let answer = breaker.call(|| async { Ok::<_, std::io::Error>(42) }).await.unwrap();
    /// assert_eq!(answer, 42);
    /// # Ok(()) }
    /// ```
    pub async fn call<T, E, F, Fut>(&self, f: F) -> Result<T, BreakerError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.call_with(AllTransient, f).await
    }

    /// Runs `f` through the breaker, asking `classifier` which errors count as failures;
    /// errors that don't count pass through uncounted. Like `.when(...)` and
    /// `.classify(...)` on a retry or a policy, `classifier` is a `bool` predicate (`true`
    /// counts) or a classifier returning a [`Verdict`]: see [`IntoClassify`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use staunch::{classify, test_util::FakeClock, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let only_timeouts = classify::when(|e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut);
    /// let _ = breaker
    ///     .call_with(only_timeouts, || async { Err::<(), _>(std::io::Error::other("bad query")) })
    ///     .await;
    /// assert_eq!(breaker.failure_count(), 0);
    /// # Ok(()) }
    /// ```
    pub async fn call_with<T, E, C, M, F, Fut>(
        &self,
        classifier: C,
        f: F,
    ) -> Result<T, BreakerError<E>>
    where
        C: IntoClassify<E, M>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let form = BreakerForm {
            breaker: self,
            make: Some(f),
            classify: classifier.into_classify(),
        };
        Drive::<_, Fut, Permit<'_>>::new(form).await
    }

    /// Runs blocking `f` through the breaker, counting every error as a failure.
    ///
    /// A panic inside `f` counts as a failure and then continues unwinding.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let rows = breaker.call_blocking(|| Ok::<_, std::io::Error>(vec![1, 2])).unwrap();
    /// assert_eq!(rows.len(), 2);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    #[inline]
    pub fn call_blocking<T, E, F>(&self, f: F) -> Result<T, BreakerError<E>>
    where
        F: FnOnce() -> Result<T, E>,
    {
        self.call_blocking_with(AllTransient, f)
    }

    /// Runs blocking `f` through the breaker, asking `classifier` which errors count.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker, Verdict};
    ///
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let not_found_is_fine = |e: &std::io::Error| match e.kind() {
    ///     std::io::ErrorKind::NotFound => Verdict::IGNORE,
    ///     _ => Verdict::TRANSIENT,
    /// };
    /// let _ = breaker.call_blocking_with(not_found_is_fine, || Err::<(), _>(std::io::Error::from(std::io::ErrorKind::NotFound)));
    /// assert_eq!(breaker.failure_count(), 0);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    #[inline]
    pub fn call_blocking_with<T, E, C, M, F>(
        &self,
        classifier: C,
        f: F,
    ) -> Result<T, BreakerError<E>>
    where
        C: IntoClassify<E, M>,
        F: FnOnce() -> Result<T, E>,
    {
        crate::engine::blocking::run(BreakerForm {
            breaker: self,
            make: Some(f),
            classify: classifier.into_classify(),
        })
    }
}

/// One call through a breaker alone: `make` makes its only attempt.
struct BreakerForm<'b, F, C> {
    breaker: &'b CircuitBreaker,
    make: Option<F>,
    classify: C,
}

impl<'b, F, C: Classify<E>, T, E> Form<T, E> for BreakerForm<'b, F, C> {
    type Permit = Permit<'b>;
    type Error = BreakerError<E>;

    #[inline(always)]
    fn layers(&self) -> Layers<'_> {
        Layers::breaker_alone()
    }

    #[inline(always)]
    fn admit(&mut self) -> Result<Permit<'b>, CircuitOpen> {
        let breaker: &'b CircuitBreaker = self.breaker;
        breaker.try_acquire()
    }

    #[inline]
    fn classify(&self, error: &E) -> Verdict {
        self.classify.classify(error)
    }

    fn debug(_: &E) -> Option<&dyn std::fmt::Debug> {
        None
    }

    #[inline]
    fn finish(
        &mut self,
        stopped: Stopped,
        last: Option<Result<T, E>>,
    ) -> Result<T, BreakerError<E>> {
        finish(stopped, last)
    }
}

/// The end of a breaker alone's call that did not succeed: the refusal, or the error.
#[inline]
pub(crate) fn finish<T, E>(
    stopped: Stopped,
    last: Option<Result<T, E>>,
) -> Result<T, BreakerError<E>> {
    match (stopped.kind, stopped.open, last) {
        (PolicyErrorKind::BreakerOpen, Some(open), _) => Err(BreakerError::Open(open)),
        (_, _, Some(result)) => result.map_err(BreakerError::Inner),
        (_, open, None) => Err(BreakerError::Open(open.unwrap_or_else(|| {
            unreachable!("a breaker alone stops after its attempt or a refusal")
        }))),
    }
}

impl<F, C, T, E, Fut> AsyncForm<T, E, Fut> for BreakerForm<'_, F, C>
where
    F: FnOnce() -> Fut,
    C: Classify<E>,
{
    #[inline(always)]
    fn attempt(&mut self) -> Fut {
        (self.make.take().expect("a breaker alone makes one attempt"))()
    }
}

impl<F, C, T, E> BlockingForm<T, E> for BreakerForm<'_, F, C>
where
    F: FnOnce() -> Result<T, E>,
    C: Classify<E>,
{
    #[inline(always)]
    fn attempt(&mut self) -> Result<T, E> {
        (self.make.take().expect("a breaker alone makes one attempt"))()
    }
}
