//! The async driver: a hand-written future, no box; nothing allocated unless an attempt
//! has to wait on a timer or the retry sleeps.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use super::fallback::{Fallback, NoFallback};
use super::run::{poll_attempt, Run, Step, Stopped};
use super::{events, Policy, PolicyError};
use crate::breaker::Permit;
use crate::classify::{self, When};
use crate::{AllTransient, Classify, Sleep};

pin_project! {
    /// An async call under a [`Policy`]; await it. Made by [`Policy::call`].
    ///
    /// Refine it before awaiting: [`when`](Self::when) / [`classify`](Self::classify)
    /// choose what to retry and count, [`fallback`](Self::fallback) turns the final error
    /// into a value. [`BlockingPolicyCall`](super::BlockingPolicyCall) has the same
    /// methods. Dropping the future mid-attempt counts nothing and frees a half-open
    /// probe slot.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use std::time::Duration;
    /// use staunch::{policy::PolicyErrorKind, test_util::FakeClock, Policy};
    ///
    /// let fake = FakeClock::new();
    /// let policy = Policy::builder("llm").clock(fake.clock()).build()?;
    /// let err = policy.call(|| async { Err::<(), _>("unavailable") }).await.unwrap_err();
    /// assert_eq!((err.kind(), err.attempts()), (PolicyErrorKind::Exhausted, 3));
    /// assert_eq!(fake.sleeps(), [Duration::from_secs(1), Duration::from_secs(2)]);
    /// # Ok(()) }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct PolicyCall<'p, F, Fut, C = AllTransient, FB = NoFallback>
    where
        Fut: Future,
    {
        policy: &'p Policy,
        make: F,
        classify: C,
        fallback: Option<FB>,
        run: Run,
        permit: Option<Permit<'p>>,
        last: Option<Fut::Output>,
        #[pin]
        phase: Phase<Fut>,
    }
}

pin_project! {
    #[project = PhaseProj]
    enum Phase<Fut> {
        Start,
        Admit,
        Running { #[pin] future: Fut, timer: Option<Sleep> },
        Sleeping { sleep: Sleep },
        Done,
    }
}

impl<'p, F, Fut: Future> PolicyCall<'p, F, Fut> {
    #[inline(always)]
    pub(crate) fn new(policy: &'p Policy, make: F) -> Self {
        Self {
            policy,
            make,
            classify: AllTransient,
            fallback: Some(NoFallback),
            run: Run::new(),
            permit: None,
            last: None,
            phase: Phase::Start,
        }
    }
}

impl<'p, F, Fut: Future, C, FB> PolicyCall<'p, F, Fut, C, FB> {
    /// Retries and counts only errors matching `predicate` (the seed's
    /// `exception_types`); others are returned at once, uncounted.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use std::io;
    /// use staunch::{classify, policy::PolicyErrorKind, Policy};
    /// let policy = Policy::builder("db").build()?;
    /// let err = policy
    ///     .call(|| async { Err::<(), _>(io::Error::from(io::ErrorKind::PermissionDenied)) })
    ///     .when(classify::io::is_transient)
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), PolicyErrorKind::NotRetryable);
    /// # Ok(()) }
    /// ```
    pub fn when<P, T, E>(self, predicate: P) -> PolicyCall<'p, F, Fut, When<P>, FB>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: Fn(&E) -> bool,
    {
        self.classify(classify::when(predicate))
    }

    /// Classifies errors with a full [`Classify`]: retry or not, count or not, and any
    /// server delay hint (`Retry-After`), which the retry honours up to
    /// `max_delay_hint`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use std::time::Duration;
    /// use staunch::{classify::http::status_verdict, test_util::FakeClock, Policy};
    /// let fake = FakeClock::new();
    /// let policy = Policy::builder("llm").clock(fake.clock()).build()?;
    /// let mut replies = vec![Ok("hello"), Err(429)];
    /// let text = policy
    ///     .call(|| { let reply = replies.pop().unwrap(); async move { reply } })
    ///     .classify(|status: &u16| status_verdict(*status).with_delay_hint(Duration::from_secs(7)))
    ///     .await
    ///     .unwrap();
    /// assert_eq!((text, fake.sleeps()), ("hello", vec![Duration::from_secs(7)]));
    /// # Ok(()) }
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> PolicyCall<'p, F, Fut, C2, FB> {
        let PolicyCall {
            policy,
            make,
            fallback,
            ..
        } = self;
        PolicyCall {
            policy,
            make,
            classify: classifier,
            fallback,
            run: Run::new(),
            permit: None,
            last: None,
            phase: Phase::Start,
        }
    }

    /// Turns the final error into a value, or hands it back (see
    /// [`Fallback`](super::Fallback)): the seed's cached response.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use staunch::Policy;
    /// let policy = Policy::builder("llm").build()?;
    /// policy.breaker().force_open();
    /// let reply = policy
    ///     .call(|| async { Ok::<_, std::io::Error>(String::from("fresh")) })
    ///     .fallback(|err| if err.is_circuit_open() { Ok(String::from("cached")) } else { Err(err) })
    ///     .await
    ///     .unwrap();
    /// assert_eq!(reply, "cached");
    /// # Ok(()) }
    /// ```
    pub fn fallback<FB2, T, E>(self, fallback: FB2) -> PolicyCall<'p, F, Fut, C, FB2>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        FB2: FnOnce(PolicyError<E>) -> Result<T, PolicyError<E>>,
    {
        let PolicyCall {
            policy,
            make,
            classify,
            ..
        } = self;
        PolicyCall {
            policy,
            make,
            classify,
            fallback: Some(fallback),
            run: Run::new(),
            permit: None,
            last: None,
            phase: Phase::Start,
        }
    }
}

impl<F, Fut, T, E, C, FB> Future for PolicyCall<'_, F, Fut, C, FB>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: Classify<E>,
    FB: Fallback<T, E>,
    E: fmt::Debug,
{
    type Output = Result<T, PolicyError<E>>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let policy: &Policy = this.policy;
        let layers = policy.layers();
        // Asks the breaker for a permit and starts the attempt, or decides on the refusal.
        macro_rules! admit {
            () => {
                match layers.breaker.try_acquire() {
                    Ok(permit) => {
                        this.run.attempt_started(&layers);
                        *this.permit = Some(permit);
                        let future = (this.make)();
                        this.phase.set(Phase::Running {
                            future,
                            timer: None,
                        });
                        continue;
                    }
                    Err(open) => this.run.rejected(&layers, open),
                }
            };
        }
        loop {
            let step = match this.phase.as_mut().project() {
                PhaseProj::Start => {
                    this.run.begin(&layers);
                    admit!()
                }
                PhaseProj::Admit => admit!(),
                PhaseProj::Running { future, timer } => {
                    let (outcome, ending) =
                        ready!(poll_attempt(this.run, &layers, future, timer, cx));
                    let permit = this
                        .permit
                        .take()
                        .expect("a running attempt holds a permit");
                    match outcome {
                        Some(Ok(value)) => {
                            this.run.succeeded(&layers, permit, ending);
                            // The finished attempt stays in place until the call is
                            // dropped: no drop and no write on the success path. Polling
                            // again polls the finished attempt, which panics.
                            return Poll::Ready(Ok(value));
                        }
                        failure => {
                            let error = failure.and_then(Result::err);
                            let classify = &*this.classify;
                            let step = this.run.attempt_failed(
                                &layers,
                                permit,
                                ending,
                                error.as_ref(),
                                classify,
                            );
                            if let Some(error) = error {
                                *this.last = Some(Err(error));
                            }
                            step
                        }
                    }
                }
                PhaseProj::Sleeping { sleep } => {
                    if Pin::new(sleep).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    this.phase.set(Phase::Admit);
                    continue;
                }
                PhaseProj::Done => panic!("`PolicyCall` polled after completion"),
            };
            match step {
                Step::Retry(delay) => {
                    let sleep = layers.clock.sleep(delay);
                    this.phase.set(Phase::Sleeping { sleep });
                }
                Step::Stop(stopped) => {
                    this.phase.set(Phase::Done);
                    let last = this.last.take().and_then(Result::err);
                    let fallback = this.fallback.take().expect("completes once");
                    return Poll::Ready(give_up(policy, stopped, last, fallback));
                }
            }
        }
    }
}

#[cold]
fn give_up<T, E, FB: Fallback<T, E>>(
    policy: &Policy,
    stopped: Stopped,
    last: Option<E>,
    fallback: FB,
) -> Result<T, PolicyError<E>> {
    let kind = stopped.kind;
    let result = fallback.fallback(stopped.into_error(last));
    if result.is_ok() {
        events::fallback(policy.name(), kind);
    }
    result
}

impl<F, Fut: Future, C: fmt::Debug, FB> fmt::Debug for PolicyCall<'_, F, Fut, C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match self.phase {
            Phase::Start => "start",
            Phase::Admit => "admit",
            Phase::Running { .. } => "running",
            Phase::Sleeping { .. } => "sleeping",
            Phase::Done => "done",
        };
        f.debug_struct("PolicyCall")
            .field("policy", &self.policy.name())
            .field("classify", &self.classify)
            .field("phase", &phase)
            .finish()
    }
}
