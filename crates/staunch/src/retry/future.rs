//! The async retry: a hand-written future, no box, no allocation until a sleep.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use super::cold_drop::{ColdDrop, Timer};
use super::core::{Core, Step};
use super::hooks::{AcceptOk, NoNotify, Notify, RetryOk, Retrying};
use super::{RetryError, RetryPolicy};
use crate::classify::{self, When};
use crate::{AllTransient, Classify, Clock};

pin_project! {
    /// A retried async call; await it. Made by [`Retryable::retry`](super::Retryable::retry)
    /// or [`RetryPolicy::call`].
    ///
    /// Refine it before awaiting: [`when`](Self::when) / [`classify`](Self::classify)
    /// choose what to retry, [`when_ok`](Self::when_ok) retries on some `Ok` values,
    /// [`notify`](Self::notify) adds a hook before each sleep, [`clock`](Self::clock)
    /// swaps the clock. [`BlockingRetry`](super::BlockingRetry) has the same methods.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::time::Duration;
    /// use staunch::test_util::FakeClock;
    /// use staunch::{RetryPolicy, Retryable};
    ///
    /// let fake = FakeClock::new();
    /// let err = (|| async { Err::<(), _>("unavailable") })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .clock(fake.clock())
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.attempts(), 3);
    /// assert_eq!(fake.sleeps(), [Duration::from_secs(1), Duration::from_secs(2)]);
    /// # }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct Retry<F, Fut, C = AllTransient, O = AcceptOk, N = NoNotify> {
        make: F,
        // Its clock is a `Timer` that also holds the sleep between two attempts, outside
        // the pinned phase, so that the phase has no drop glue beyond the caller's future.
        core: Core<C, O, N, ColdDrop<Timer>>,
        #[pin]
        phase: Phase<Fut>,
    }
}

pin_project! {
    #[project = PhaseProj]
    enum Phase<Fut> {
        Idle,
        Running { #[pin] future: Fut },
        Done,
    }
}

impl<F, Fut> Retry<F, Fut> {
    #[inline]
    pub(crate) fn new(make: F, policy: RetryPolicy) -> Self {
        Self {
            make,
            core: Core::new(policy, AllTransient, AcceptOk, NoNotify),
            phase: Phase::Idle,
        }
    }
}

impl<F, Fut, C, O, N> Retry<F, Fut, C, O, N> {
    #[inline]
    fn with_core<C2, O2, N2>(
        self,
        core: impl FnOnce(Core<C, O, N, ColdDrop<Timer>>) -> Core<C2, O2, N2, ColdDrop<Timer>>,
    ) -> Retry<F, Fut, C2, O2, N2> {
        Retry {
            make: self.make,
            core: core(self.core),
            phase: Phase::Idle,
        }
    }

    /// Retries only errors matching `predicate` (the seed's `exception_types`); any
    /// other error is returned at once as [`RetryErrorKind::NotRetryable`](super::RetryErrorKind).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::io;
    /// use staunch::{RetryErrorKind, RetryPolicy, Retryable};
    /// let err = (|| async { Err::<(), _>(io::Error::from(io::ErrorKind::PermissionDenied)) })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .when(staunch::classify::io::is_transient)
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), RetryErrorKind::NotRetryable);
    /// # }
    /// ```
    pub fn when<P, T, E>(self, predicate: P) -> Retry<F, Fut, When<P>, O, N>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: Fn(&E) -> bool,
    {
        self.with_core(|c| c.classify_with(classify::when(predicate)))
    }

    /// Chooses what to retry with a full classifier, which may also carry a server delay
    /// hint (see [`Verdict::with_delay_hint`](crate::Verdict::with_delay_hint)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use staunch::{classify, RetryErrorKind, RetryPolicy, Retryable};
    /// let err = (|| async { Err::<(), u16>(404) })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .classify(|status: &u16| classify::http::status_verdict(*status))
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), RetryErrorKind::NotRetryable);
    /// # }
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> Retry<F, Fut, C2, O, N> {
        self.with_core(|c| c.classify_with(classifier))
    }

    /// Also retries when an `Ok` value matches `predicate`; when attempts run out the
    /// last value is returned as `Ok`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use staunch::test_util::FakeClock;
    /// use staunch::{RetryPolicy, Retryable};
    /// let fake = FakeClock::new();
    /// let mut pages = vec![vec![1, 2], vec![], vec![]];
    /// let page = (|| { let page = pages.pop().unwrap(); async move { Ok::<_, ()>(page) } })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .when_ok(|page: &Vec<i32>| page.is_empty())
    ///     .clock(fake.clock())
    ///     .await
    ///     .unwrap();
    /// assert_eq!(page, [1, 2]);
    /// # }
    /// ```
    pub fn when_ok<P, T, E>(self, predicate: P) -> Retry<F, Fut, C, P, N>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: FnMut(&T) -> bool,
    {
        self.with_core(|c| c.retry_ok_with(predicate))
    }

    /// Calls `hook` before each sleep with the attempt number, the delay and the outcome.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use staunch::test_util::FakeClock;
    /// use staunch::{RetryPolicy, Retryable};
    /// let fake = FakeClock::new();
    /// let mut log = Vec::new();
    /// let _ = (|| async { Err::<(), _>("busy") })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .notify(|r| log.push(format!("attempt {} failed ({:?}), next in {:?}", r.attempt(), r.error(), r.delay())))
    ///     .clock(fake.clock())
    ///     .await;
    /// assert_eq!(log[0], "attempt 1 failed (Some(\"busy\")), next in 1s");
    /// # }
    /// ```
    pub fn notify<H, T, E>(self, hook: H) -> Retry<F, Fut, C, O, H>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        H: FnMut(&Retrying<'_, T, E>),
    {
        self.with_core(|c| c.notify_with(hook))
    }

    /// Reads time and sleeps on `clock` (default: [`Clock::system`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::time::Duration;
    /// use staunch::{test_util::FakeClock, RetryPolicy, Retryable};
    /// let fake = FakeClock::new();
    /// let _ = (|| async { Err::<(), _>(()) }).retry(RetryPolicy::retry_with_jitter()).clock(fake.clock()).await;
    /// assert_eq!(fake.sleeps().len(), 4);
    /// # }
    /// ```
    pub fn clock(mut self, clock: Clock) -> Self {
        self.core.clock.clock = clock;
        self
    }
}

impl<F, Fut, T, E, C, O, N> Future for Retry<F, Fut, C, O, N>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: Classify<E>,
    O: RetryOk<T>,
    N: Notify<T, E>,
    E: fmt::Debug,
{
    type Output = Result<T, RetryError<E>>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.as_mut().project();
        // The fast path: the first attempt, made and polled here; everything else
        // (a failure, a sleep, a later attempt) runs out of line.
        if !this.core.first_attempt() {
            return self.poll_retrying(cx, None);
        }
        if let PhaseProj::Idle = this.phase.as_mut().project() {
            this.core.begin();
            let future = (this.make)();
            this.phase.set(Phase::Running { future });
        }
        let outcome = match this.phase.as_mut().project() {
            PhaseProj::Running { future } => ready!(future.poll(cx)),
            _ => return self.poll_retrying(cx, None),
        };
        match this.core.first_outcome(outcome) {
            Ok(done) => {
                this.phase.set(Phase::Done);
                Poll::Ready(done)
            }
            Err(failed) => self.poll_retrying(cx, Some(failed)),
        }
    }
}

impl<F, Fut, T, E, C, O, N> Retry<F, Fut, C, O, N>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: Classify<E>,
    O: RetryOk<T>,
    N: Notify<T, E>,
    E: fmt::Debug,
{
    /// Everything after a first attempt that did not succeed: classify, sleep, make the
    /// next attempt. `outcome` is the outcome of the attempt just finished, if any.
    #[cold]
    #[inline(never)]
    fn poll_retrying(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut outcome: Option<Result<T, E>>,
    ) -> Poll<Result<T, RetryError<E>>> {
        let mut this = self.project();
        loop {
            if let Some(outcome) = outcome.take() {
                match this.core.on_outcome(outcome) {
                    Step::Done(result) => {
                        this.phase.set(Phase::Done);
                        return Poll::Ready(result);
                    }
                    Step::Sleep(delay) => {
                        this.phase.set(Phase::Idle);
                        let timer = &mut *this.core.clock;
                        timer.pending = Some(timer.clock.sleep(delay));
                    }
                }
            }
            if let Some(sleep) = &mut this.core.clock.pending {
                ready!(Pin::new(sleep).poll(cx));
                this.core.clock.pending = None;
            }
            match this.phase.as_mut().project() {
                PhaseProj::Idle => {
                    this.core.begin();
                    let future = (this.make)();
                    this.phase.set(Phase::Running { future });
                }
                PhaseProj::Running { future } => outcome = Some(ready!(future.poll(cx))),
                PhaseProj::Done => panic!("`Retry` polled after completion"),
            }
        }
    }
}

impl<F, Fut, C: fmt::Debug, O: fmt::Debug, N: fmt::Debug> fmt::Debug for Retry<F, Fut, C, O, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match (&self.phase, self.core.clock.pending.is_some()) {
            (_, true) => "sleeping",
            (Phase::Idle, false) => "idle",
            (Phase::Running { .. }, false) => "running",
            (Phase::Done, false) => "done",
        };
        f.debug_struct("Retry")
            .field("core", &self.core)
            .field("phase", &phase)
            .finish()
    }
}
