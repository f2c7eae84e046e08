//! The call wrappers, async and blocking with the same names, built on the permit.

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use super::error::BreakerError;
use super::CircuitBreaker;
use crate::classify::{AllTransient, Classify};

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
    /// errors that don't count pass through uncounted.
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
    pub async fn call_with<T, E, C, F, Fut>(
        &self,
        classifier: C,
        f: F,
    ) -> Result<T, BreakerError<E>>
    where
        C: Classify<E>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let permit = self.try_acquire()?;
        let result = f().await;
        permit.record_result(&result, &classifier);
        result.map_err(BreakerError::Inner)
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
    pub fn call_blocking_with<T, E, C, F>(&self, classifier: C, f: F) -> Result<T, BreakerError<E>>
    where
        C: Classify<E>,
        F: FnOnce() -> Result<T, E>,
    {
        let permit = self.try_acquire()?;
        // The breaker's own state stays consistent across the unwind: the permit is
        // reported before the panic resumes.
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(result) => {
                permit.record_result(&result, &classifier);
                result.map_err(BreakerError::Inner)
            }
            Err(panic) => {
                permit.failure();
                resume_unwind(panic)
            }
        }
    }
}
