//! The call wrappers, async and blocking with the same names: a breaker alone, run by
//! the engine as a call of one attempt. [`BreakerCall`] is the async call's future,
//! [`BlockingBreakerCall`] its blocking twin; both take a fallback.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::error::BreakerError;
use super::permit::Permit;
use super::CircuitBreaker;
use crate::classify::{AllTransient, Classify, IntoClassify};
use crate::engine::form::{fall_back, AsyncForm, BlockingForm, Form};
use crate::engine::future::Drive;
use crate::engine::step::{Layers, Shape};
use crate::engine::table::{Alone, Stopped};
use crate::policy::{Fallback, NoFallback};
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
    pub fn call<T, E, F, Fut>(&self, f: F) -> BreakerCall<'_, F, Fut>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        BreakerCall::new(BreakerForm::new(self, Deferred::new(), AllTransient), f)
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
    pub fn call_with<T, E, C, M, F, Fut>(
        &self,
        classifier: C,
        f: F,
    ) -> BreakerCall<'_, F, Fut, C::Classify>
    where
        C: IntoClassify<E, M>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        BreakerCall::new(
            BreakerForm::new(self, Deferred::new(), classifier.into_classify()),
            f,
        )
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
        crate::engine::blocking::run(BreakerForm::new(self, Some(f), classifier.into_classify()))
    }

    /// A blocking call through the breaker, to refine before running it with
    /// [`call`](BlockingBreakerCall::call): the twin of [`call`](Self::call)'s future,
    /// with the same [`classify`](BlockingBreakerCall::classify) and
    /// [`fallback`](BlockingBreakerCall::fallback).
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// breaker.force_open();
    /// let rows = breaker
    ///     .blocking(|| Ok::<_, std::io::Error>(vec![1, 2]))
    ///     .fallback(|err| if err.is_open() { Ok(Vec::new()) } else { Err(err) })
    ///     .call()
    ///     .unwrap();
    /// assert!(rows.is_empty());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn blocking<T, E, F>(&self, f: F) -> BlockingBreakerCall<'_, F>
    where
        F: FnOnce() -> Result<T, E>,
    {
        BlockingBreakerCall {
            form: BreakerForm::new(self, Some(f), AllTransient),
        }
    }
}

pin_project! {
    /// An async call through a [`CircuitBreaker`]; await it. Made by
    /// [`CircuitBreaker::call`] and [`CircuitBreaker::call_with`].
    ///
    /// Refine it before awaiting: [`classify`](Self::classify) chooses which errors count,
    /// [`fallback`](Self::fallback) turns the final error into a value.
    /// [`BlockingBreakerCall`] has the same methods. Dropping the future mid-call counts
    /// nothing and frees a half-open probe slot.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::builder("llm").clock(FakeClock::new().clock()).build()?;
    /// breaker.force_open();
    /// let reply = breaker
    ///     .call(|| async { Ok::<_, std::io::Error>(String::from("fresh")) })
    ///     .fallback(|err| if err.is_open() { Ok(String::from("cached")) } else { Err(err) })
    ///     .await
    ///     .unwrap();
    /// assert_eq!(reply, "cached");
    /// # Ok(()) }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct BreakerCall<'b, F, Fut, C = AllTransient, FB = NoFallback>
    where
        Fut: Future,
    {
        #[pin]
        drive: Drive<BreakerForm<'b, Deferred<F>, C, FB>, Fut, Permit<'b>, F>,
    }
}

impl<'b, F, Fut: Future, C, FB> BreakerCall<'b, F, Fut, C, FB> {
    #[inline(always)]
    fn new(form: BreakerForm<'b, Deferred<F>, C, FB>, make: F) -> Self {
        Self {
            drive: Drive::with_once(form, make),
        }
    }

    /// Counts only the errors `classifier` says count: a `bool` predicate (`true` counts)
    /// or a classifier returning a [`Verdict`] (see [`IntoClassify`]); the same as
    /// [`CircuitBreaker::call_with`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use std::io;
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let _ = breaker
    ///     .call(|| async { Err::<(), _>(io::Error::from(io::ErrorKind::NotFound)) })
    ///     .classify(|e: &io::Error| e.kind() == io::ErrorKind::TimedOut)
    ///     .await;
    /// assert_eq!(breaker.failure_count(), 0);
    /// # Ok(()) }
    /// ```
    pub fn classify<T, E, C2, M>(self, classifier: C2) -> BreakerCall<'b, F, Fut, C2::Classify, FB>
    where
        Fut: Future<Output = Result<T, E>>,
        C2: IntoClassify<E, M>,
    {
        BreakerCall {
            drive: self
                .drive
                .map_form(|form| form.refine(classifier.into_classify())),
        }
    }

    /// Turns the final error (the rejection, or the call's own error) into a value, or
    /// hands it back: see [`Fallback`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let rows = breaker
    ///     .call(|| async { Err::<Vec<u8>, _>("connection reset") })
    ///     .fallback(|_| Ok(Vec::new()))
    ///     .await
    ///     .unwrap();
    /// assert!(rows.is_empty());
    /// assert_eq!(breaker.failure_count(), 1); // the failure still counts
    /// # Ok(()) }
    /// ```
    pub fn fallback<T, E, FB2>(self, fallback: FB2) -> BreakerCall<'b, F, Fut, C, FB2>
    where
        Fut: Future<Output = Result<T, E>>,
        FB2: FnOnce(BreakerError<E>) -> Result<T, BreakerError<E>>,
    {
        BreakerCall {
            drive: self.drive.map_form(|form| form.with_fallback(fallback)),
        }
    }
}

impl<F, Fut, T, E, C, FB> Future for BreakerCall<'_, F, Fut, C, FB>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: Classify<E>,
    FB: Fallback<T, E, BreakerError<E>>,
{
    type Output = Result<T, BreakerError<E>>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().drive.poll(cx)
    }
}

impl<F, Fut: Future, C: fmt::Debug, FB> fmt::Debug for BreakerCall<'_, F, Fut, C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = self.drive.form();
        f.debug_struct("BreakerCall")
            .field("breaker", &form.breaker.name())
            .field("classify", &form.classify)
            .field("phase", &self.drive.phase())
            .finish()
    }
}

/// A blocking call through a [`CircuitBreaker`]; run it with [`call`](Self::call). Made
/// by [`CircuitBreaker::blocking`].
///
/// Same refinements as the async [`BreakerCall`]: `classify`, `fallback`. A panic in the
/// call counts as a failure and unwinds on.
///
/// ```
/// use staunch::{test_util::FakeClock, CircuitBreaker};
///
/// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
/// let rows = breaker.blocking(|| Ok::<_, std::io::Error>(vec![1, 2])).call().unwrap();
/// assert_eq!(rows.len(), 2);
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[must_use = "a blocking call does nothing until `call()`"]
pub struct BlockingBreakerCall<'b, F, C = AllTransient, FB = NoFallback> {
    form: BreakerForm<'b, Option<F>, C, FB>,
}

impl<'b, F, C, FB> BlockingBreakerCall<'b, F, C, FB> {
    /// Counts only the errors `classifier` says count (see [`BreakerCall::classify`]).
    ///
    /// ```
    /// use std::io;
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let _ = breaker
    ///     .blocking(|| Err::<(), _>(io::Error::from(io::ErrorKind::NotFound)))
    ///     .classify(|e: &io::Error| e.kind() == io::ErrorKind::TimedOut)
    ///     .call();
    /// assert_eq!(breaker.failure_count(), 0);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn classify<T, E, C2, M>(
        self,
        classifier: C2,
    ) -> BlockingBreakerCall<'b, F, C2::Classify, FB>
    where
        F: FnOnce() -> Result<T, E>,
        C2: IntoClassify<E, M>,
    {
        BlockingBreakerCall {
            form: self.form.refine(classifier.into_classify()),
        }
    }

    /// Turns the final error into a value, or hands it back (see [`BreakerCall::fallback`]).
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let rows = breaker
    ///     .blocking(|| Err::<Vec<u8>, _>("connection reset"))
    ///     .fallback(|_| Ok(Vec::new()))
    ///     .call()
    ///     .unwrap();
    /// assert!(rows.is_empty());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn fallback<T, E, FB2>(self, fallback: FB2) -> BlockingBreakerCall<'b, F, C, FB2>
    where
        F: FnOnce() -> Result<T, E>,
        FB2: FnOnce(BreakerError<E>) -> Result<T, BreakerError<E>>,
    {
        BlockingBreakerCall {
            form: self.form.with_fallback(fallback),
        }
    }

    /// Runs the call through the breaker.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// assert_eq!(breaker.blocking(|| Ok::<_, ()>(1)).call().unwrap(), 1);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    #[inline]
    pub fn call<T, E>(self) -> Result<T, BreakerError<E>>
    where
        F: FnOnce() -> Result<T, E>,
        C: Classify<E>,
        FB: Fallback<T, E, BreakerError<E>>,
    {
        crate::engine::blocking::run(self.form)
    }
}

impl<F, C: fmt::Debug, FB> fmt::Debug for BlockingBreakerCall<'_, F, C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingBreakerCall")
            .field("breaker", &self.form.breaker.name())
            .field("classify", &self.form.classify)
            .finish()
    }
}

/// One call through a breaker alone; `make` holds what makes its only attempt: the
/// closure itself for a blocking call (`Option<F>`, taken when it runs), nothing for an
/// async call ([`Deferred`]), whose closure the driver holds until the first poll.
pub(crate) struct BreakerForm<'b, H, C, FB = NoFallback> {
    breaker: &'b CircuitBreaker,
    make: H,
    classify: C,
    fallback: Option<FB>,
}

/// The place of an async breaker call's closure in its form: empty, the closure is held
/// by the driver (see [`AsyncForm::Once`]).
pub(crate) struct Deferred<F>(PhantomData<fn() -> F>);

impl<F> Deferred<F> {
    #[inline(always)]
    fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'b, H, C> BreakerForm<'b, H, C> {
    #[inline(always)]
    fn new(breaker: &'b CircuitBreaker, make: H, classify: C) -> Self {
        Self {
            breaker,
            make,
            classify,
            fallback: None,
        }
    }
}

impl<'b, H, C, FB> BreakerForm<'b, H, C, FB> {
    fn refine<C2>(self, classify: C2) -> BreakerForm<'b, H, C2, FB> {
        let BreakerForm {
            breaker,
            make,
            fallback,
            ..
        } = self;
        BreakerForm {
            breaker,
            make,
            classify,
            fallback,
        }
    }

    fn with_fallback<FB2>(self, fallback: FB2) -> BreakerForm<'b, H, C, FB2> {
        let BreakerForm {
            breaker,
            make,
            classify,
            ..
        } = self;
        BreakerForm {
            breaker,
            make,
            classify,
            fallback: Some(fallback),
        }
    }
}

impl<'b, H, C, FB, T, E> Form<T, E> for BreakerForm<'b, H, C, FB>
where
    C: Classify<E>,
    FB: Fallback<T, E, BreakerError<E>>,
{
    type Permit = Permit<'b>;
    type Error = BreakerError<E>;

    #[inline(always)]
    fn layers(&self) -> Layers<'_> {
        Layers::breaker_alone()
    }

    /// A breaker alone has no budget, deadline or attempt timeout.
    #[inline(always)]
    fn shape(&self) -> Shape {
        Shape::Plain
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

    fn debug(_: &E) -> Option<&dyn fmt::Debug> {
        None
    }

    /// Without a fallback, the error is built in place: no trip through `finish`.
    #[inline(always)]
    fn end_alone(&mut self, end: Alone<E>) -> Result<T, BreakerError<E>> {
        if self.fallback.is_some() {
            let (stopped, last) = end.into_stopped();
            return self.finish(stopped, last);
        }
        Err(match end {
            Alone::Refused(open) => BreakerError::Open(open),
            Alone::Failed(error, _) => BreakerError::Inner(error),
        })
    }

    #[cold]
    fn finish(
        &mut self,
        stopped: Stopped,
        last: Option<Result<T, E>>,
    ) -> Result<T, BreakerError<E>> {
        let kind = stopped.kind;
        match finish(stopped, last) {
            Ok(value) => Ok(value),
            Err(error) => fall_back(&Layers::breaker_alone(), kind, &mut self.fallback, error),
        }
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

impl<F, C, FB, T, E, Fut> AsyncForm<T, E, Fut> for BreakerForm<'_, Deferred<F>, C, FB>
where
    F: FnOnce() -> Fut,
    C: Classify<E>,
    FB: Fallback<T, E, BreakerError<E>>,
{
    type Once = F;
    const FIRST_FROM_ONCE: bool = true;

    #[inline(always)]
    fn first(&mut self, make: F) -> Fut {
        make()
    }

    fn attempt(&mut self) -> Fut {
        unreachable!("a breaker alone makes one attempt, its first")
    }
}

impl<F, C, FB, T, E> BlockingForm<T, E> for BreakerForm<'_, Option<F>, C, FB>
where
    F: FnOnce() -> Result<T, E>,
    C: Classify<E>,
    FB: Fallback<T, E, BreakerError<E>>,
{
    #[inline(always)]
    fn attempt(&mut self) -> Result<T, E> {
        (self.make.take().expect("a breaker alone makes one attempt"))()
    }
}
