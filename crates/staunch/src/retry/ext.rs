//! Extension traits that put `.retry(policy)` and `.retry_blocking(policy)` on closures.

use std::borrow::Borrow;
use std::future::Future;

use super::hooks::{AcceptOk, NoNotify};
use super::{BlockingRetry, Retry, RetryPolicy};
use crate::policy::NoFallback;
use crate::AllTransient;

/// `.retry(policy)` on any `FnMut() -> impl Future<Output = Result<T, E>>`.
///
/// The closure is called once per attempt, so it may borrow mutably (count calls, reuse
/// a connection) as long as each future it returns owns what it needs.
///
/// The policy is taken by value (a copy of a `Copy` [`RetryPolicy`]) or by reference:
/// `.retry(&POLICY)` keeps a pointer in the future instead of a copy of the policy, which
/// is cheaper on a hot path; `.retry(policy)` makes a future that borrows nothing, for
/// `tokio::spawn`. Any [`Borrow<RetryPolicy>`](Borrow) works, `Arc<RetryPolicy>` too.
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
    /// Retries the futures this closure returns under `policy`, owned or borrowed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use staunch::{RetryPolicy, Retryable};
    /// static RETRY: RetryPolicy = RetryPolicy::retry_on_exception();
    ///
    /// let mut calls = 0;
    /// let n = (|| { calls += 1; async { Ok::<_, ()>(1) } })
    ///     .retry(RETRY)
    ///     .await
    ///     .unwrap();
    /// assert_eq!((n, calls), (1, 1));
    /// // Borrowed: the future keeps a reference, not a copy.
    /// let n = (|| async { Ok::<_, ()>(2) }).retry(&RETRY).await.unwrap();
    /// assert_eq!(n, 2);
    /// // Shared: any `Borrow<RetryPolicy>`, an `Arc` for one.
    /// let shared = std::sync::Arc::new(RETRY);
    /// let n = (|| async { Ok::<_, ()>(3) }).retry(shared.clone()).await.unwrap();
    /// assert_eq!(n, 3);
    /// # }
    /// ```
    fn retry<R: Borrow<RetryPolicy>>(
        self,
        policy: R,
    ) -> Retry<Self, Fut, AllTransient, AcceptOk, NoNotify, NoFallback, R>;
}

impl<F, Fut, T, E> Retryable<Fut> for F
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    #[inline]
    fn retry<R: Borrow<RetryPolicy>>(
        self,
        policy: R,
    ) -> Retry<Self, Fut, AllTransient, AcceptOk, NoNotify, NoFallback, R> {
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
    /// Retries this closure under `policy`, owned or borrowed; run it with
    /// [`call`](BlockingRetry::call).
    ///
    /// ```
    /// use staunch::{BlockingRetryable, RetryPolicy};
    /// let policy = RetryPolicy::retry_with_jitter();
    /// let r = (|| Ok::<_, ()>(5)).retry_blocking(policy).call();
    /// assert_eq!(r, Ok(5));
    /// let r = (|| Ok::<_, ()>(6)).retry_blocking(&policy).call();
    /// assert_eq!(r, Ok(6));
    /// ```
    fn retry_blocking<R: Borrow<RetryPolicy>>(
        self,
        policy: R,
    ) -> BlockingRetry<Self, AllTransient, AcceptOk, NoNotify, NoFallback, R>;
}

impl<F, T, E> BlockingRetryable<T, E> for F
where
    F: FnMut() -> Result<T, E>,
{
    #[inline]
    fn retry_blocking<R: Borrow<RetryPolicy>>(
        self,
        policy: R,
    ) -> BlockingRetry<Self, AllTransient, AcceptOk, NoNotify, NoFallback, R> {
        BlockingRetry::new(self, policy)
    }
}
