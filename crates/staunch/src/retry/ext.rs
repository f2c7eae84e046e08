//! Extension traits that put `.retry(policy)` and `.retry_blocking(policy)` on closures.

use std::future::Future;

use super::{BlockingRetry, Retry, RetryPolicy};

/// `.retry(policy)` on any `FnMut() -> impl Future<Output = Result<T, E>>`.
///
/// The closure is called once per attempt, so it may borrow mutably (count calls, reuse
/// a connection) as long as each future it returns owns what it needs.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use staunch::{RetryPolicy, Retryable};
///
/// async fn fetch() -> Result<String, std::io::Error> { Ok("hello".into()) }
///
/// let body = fetch.retry(RetryPolicy::retry_on_exception()).await.unwrap();
/// assert_eq!(body, "hello");
/// # }
/// ```
pub trait Retryable<Fut: Future>: Sized {
    /// Retries the futures this closure returns under `policy`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use staunch::{RetryPolicy, Retryable};
    /// let mut calls = 0;
    /// let n = (|| { calls += 1; async { Ok::<_, ()>(1) } })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .await
    ///     .unwrap();
    /// assert_eq!((n, calls), (1, 1));
    /// # }
    /// ```
    fn retry(self, policy: RetryPolicy) -> Retry<Self, Fut>;
}

impl<F, Fut, T, E> Retryable<Fut> for F
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    #[inline]
    fn retry(self, policy: RetryPolicy) -> Retry<Self, Fut> {
        Retry::new(self, policy)
    }
}

/// `.retry_blocking(policy)` on any `FnMut() -> Result<T, E>`: the blocking twin of
/// [`Retryable`].
///
/// ```
/// use staunch::{BlockingRetryable, RetryPolicy};
///
/// struct Db { queries: u32 }
/// impl Db {
///     fn query(&mut self) -> Result<u32, std::io::Error> { self.queries += 1; Ok(self.queries) }
/// }
///
/// let mut db = Db { queries: 0 };
/// let n = (|| db.query()).retry_blocking(RetryPolicy::retry_on_exception()).call().unwrap();
/// assert_eq!(n, 1);
/// ```
pub trait BlockingRetryable<T, E>: Sized {
    /// Retries this closure under `policy`; run it with
    /// [`call`](BlockingRetry::call).
    ///
    /// ```
    /// use staunch::{BlockingRetryable, RetryPolicy};
    /// let r = (|| Ok::<_, ()>(5)).retry_blocking(RetryPolicy::retry_with_jitter()).call();
    /// assert_eq!(r, Ok(5));
    /// ```
    fn retry_blocking(self, policy: RetryPolicy) -> BlockingRetry<Self>;
}

impl<F, T, E> BlockingRetryable<T, E> for F
where
    F: FnMut() -> Result<T, E>,
{
    #[inline]
    fn retry_blocking(self, policy: RetryPolicy) -> BlockingRetry<Self> {
        BlockingRetry::new(self, policy)
    }
}
