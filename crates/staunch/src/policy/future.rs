//! The async driver: a hand-written future, no box; nothing allocated unless an attempt
//! has to wait on a timer or the retry sleeps.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use super::fallback::{Fallback, NoFallback};
use super::run::{poll_attempt, poll_timer, Ending, Run, Step, Stopped};
use super::{events, Policy, PolicyError};
use crate::breaker::Permit;
use crate::classify::{self, When};
use crate::retry::cold_drop::{ColdDrop, Trivial};
use crate::{AllTransient, CircuitOpen, Classify, Sleep};

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
        // Everything but the first attempt's future, held so that dropping a call that
        // never left the fast path is one inline branch.
        slow: ColdDrop<Slow<'p, Fut::Output>>,
        #[pin]
        phase: Phase<Fut>,
    }
}

/// The state of a call past its fast path: the progress of the retry, the permit of the
/// running attempt, the last error, and the running attempt's timer or the sleep before
/// the next attempt.
struct Slow<'p, O> {
    /// Set by the first write to any other field: the whole of [`Trivial::is_trivial`].
    used: bool,
    run: Run,
    permit: Option<Permit<'p>>,
    last: Option<O>,
    sleep: Option<Sleep>,
}

impl<O> Default for Slow<'_, O> {
    #[inline(always)]
    fn default() -> Self {
        Self {
            used: false,
            run: Run::new(),
            permit: None,
            last: None,
            sleep: None,
        }
    }
}

impl<O> Trivial for Slow<'_, O> {
    #[inline(always)]
    fn is_trivial(&self) -> bool {
        !self.used
    }
}

pin_project! {
    #[project = PhaseProj]
    enum Phase<Fut> {
        Start,
        Admit,
        Running { #[pin] future: Fut },
        Sleeping,
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
            slow: ColdDrop::default(),
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
            slow: ColdDrop::default(),
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
            slow: ColdDrop::default(),
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
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The fast path: the first attempt, made and polled here with its permit in a
        // local; everything else (a refusal, a failure, a later poll, a sleep) runs out
        // of line.
        let step = if matches!(self.phase, Phase::Start) {
            match self.as_mut().poll_first(cx) {
                First::Done(value) => return Poll::Ready(Ok(value)),
                First::Pending => return Poll::Pending,
                First::Failed(step) => Some(step),
            }
        } else {
            None
        };
        self.poll_slow(cx, step)
    }
}

/// How the fast path left a call.
enum First<T> {
    /// The first attempt succeeded.
    Done(T),
    /// The first attempt is running.
    Pending,
    /// The first attempt was refused or failed; the slow path goes on from this step.
    Failed(Step),
}

impl<'p, F, Fut, T, E, C, FB> PolicyCall<'p, F, Fut, C, FB>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: Classify<E>,
    FB: Fallback<T, E>,
    E: fmt::Debug,
{
    /// The first attempt: a permit, the attempt, and on success the permit's report.
    /// A plain policy (no budget, deadline or attempt timeout) has nothing to deposit and
    /// no clock to read, and keeps to registers; the others do their bookkeeping out of
    /// line.
    #[inline(always)]
    fn poll_first(self: Pin<&mut Self>, cx: &mut Context<'_>) -> First<T> {
        let mut this = self.project();
        let policy: &'p Policy = this.policy;
        let plain = policy.is_plain();
        if !plain {
            first_begin(this.slow, policy);
        }
        let permit = match policy.breaker().try_acquire() {
            Ok(permit) => permit,
            Err(open) => return First::Failed(first_refused(this.slow, policy, open)),
        };
        this.phase.set(Phase::Running {
            future: (this.make)(),
        });
        let PhaseProj::Running { future, .. } = this.phase.project() else {
            unreachable!("the phase was just set to running")
        };
        match future.poll(cx) {
            Poll::Ready(Ok(value)) => {
                if plain {
                    permit.success();
                    events::success_first_try(&policy.layers());
                } else {
                    first_succeeded(this.slow, policy, permit);
                }
                // The finished attempt stays in place until the call is dropped: no
                // drop and no write on the success path. Polling the call again (a
                // breach of the `Future` contract) polls the finished attempt, and
                // panics if it answers, for want of a permit.
                First::Done(value)
            }
            Poll::Ready(Err(error)) => First::Failed(first_failed(
                this.slow,
                policy,
                &*this.classify,
                permit,
                error,
            )),
            Poll::Pending => {
                let slow = &mut **this.slow;
                slow.used = true;
                slow.permit = Some(permit);
                if plain {
                    First::Pending
                } else {
                    first_timer(slow, policy, &*this.classify, cx)
                }
            }
        }
    }

    /// Everything but the fast path, starting from `step` when the caller has just
    /// decided one.
    #[cold]
    #[inline(never)]
    fn poll_slow(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut step: Option<Step>,
    ) -> Poll<Result<T, PolicyError<E>>> {
        let mut this = self.project();
        let policy: &'p Policy = this.policy;
        let layers = policy.layers();
        let slow = &mut **this.slow;
        slow.used = true;
        // Asks the breaker for a permit and starts the attempt, or decides on the refusal.
        macro_rules! admit {
            () => {
                match layers.breaker.try_acquire() {
                    Ok(permit) => {
                        slow.run.attempt_started(&layers);
                        slow.permit = Some(permit);
                        let future = (this.make)();
                        this.phase.set(Phase::Running { future });
                        continue;
                    }
                    Err(open) => slow.run.rejected(&layers, open),
                }
            };
        }
        loop {
            let next = match step.take() {
                Some(next) => next,
                None => match this.phase.as_mut().project() {
                    PhaseProj::Start => unreachable!("a call starts on the fast path"),
                    PhaseProj::Admit => admit!(),
                    PhaseProj::Running { future } => {
                        let (outcome, ending) = ready!(poll_attempt(
                            &slow.run,
                            &layers,
                            future,
                            &mut slow.sleep,
                            cx
                        ));
                        slow.sleep = None;
                        let permit = slow
                            .permit
                            .take()
                            .expect("a running attempt holds a permit");
                        match outcome {
                            Some(Ok(value)) => {
                                slow.run.succeeded(&layers, permit, ending);
                                this.phase.set(Phase::Done);
                                return Poll::Ready(Ok(value));
                            }
                            failure => {
                                let error = failure.and_then(Result::err);
                                let step = slow.run.attempt_failed(
                                    &layers,
                                    permit,
                                    ending,
                                    error.as_ref(),
                                    &*this.classify,
                                );
                                if let Some(error) = error {
                                    slow.last = Some(Err(error));
                                }
                                step
                            }
                        }
                    }
                    PhaseProj::Sleeping => {
                        let sleep = slow
                            .sleep
                            .as_mut()
                            .expect("a sleeping call holds its sleep");
                        if Pin::new(sleep).poll(cx).is_pending() {
                            return Poll::Pending;
                        }
                        slow.sleep = None;
                        this.phase.set(Phase::Admit);
                        continue;
                    }
                    PhaseProj::Done => panic!("`PolicyCall` polled after completion"),
                },
            };
            match next {
                Step::Retry(delay) => {
                    slow.sleep = Some(layers.clock.sleep(delay));
                    this.phase.set(Phase::Sleeping);
                }
                Step::Stop(stopped) => {
                    this.phase.set(Phase::Done);
                    let last = slow.last.take().and_then(Result::err);
                    let fallback = this.fallback.take().expect("completes once");
                    return Poll::Ready(give_up(policy, stopped, last, fallback));
                }
            }
        }
    }
}

/// Starts a call whose policy is not plain: the budget's deposit, the start time.
#[inline(never)]
fn first_begin<O>(slow: &mut Slow<'_, O>, policy: &Policy) {
    slow.used = true;
    let layers = policy.layers();
    slow.run.begin(&layers);
    slow.run.attempt_started(&layers);
}

/// Reports the first attempt's success, for a policy that is not plain: a success that
/// came after its timeout counts as a breaker failure.
#[inline(never)]
fn first_succeeded<'p, O>(slow: &mut Slow<'p, O>, policy: &Policy, permit: Permit<'p>) {
    let layers = policy.layers();
    let ending = slow.run.ending(&layers);
    slow.run.succeeded(&layers, permit, ending);
}

/// The first attempt is running, under a policy that is not plain: starts its timer, if
/// it has a timeout, and polls it once.
#[inline(never)]
fn first_timer<'p, T, E: fmt::Debug>(
    slow: &mut Slow<'p, Result<T, E>>,
    policy: &Policy,
    classify: &impl Classify<E>,
    cx: &mut Context<'_>,
) -> First<T> {
    let layers = policy.layers();
    if poll_timer(&slow.run, &layers, &mut slow.sleep, cx).is_pending() {
        return First::Pending;
    }
    slow.sleep = None;
    let permit = slow
        .permit
        .take()
        .expect("a running attempt holds a permit");
    First::Failed(
        slow.run
            .attempt_failed(&layers, permit, Ending::TimedOut, None, classify),
    )
}

/// The breaker refused the first attempt.
#[cold]
#[inline(never)]
fn first_refused<O>(slow: &mut Slow<'_, O>, policy: &Policy, open: CircuitOpen) -> Step {
    slow.used = true;
    slow.run.rejected(&policy.layers(), open)
}

/// The first attempt failed.
#[cold]
#[inline(never)]
fn first_failed<'p, T, E: fmt::Debug>(
    slow: &mut Slow<'p, Result<T, E>>,
    policy: &Policy,
    classify: &impl Classify<E>,
    permit: Permit<'p>,
    error: E,
) -> Step {
    slow.used = true;
    let layers = policy.layers();
    let ending = slow.run.ending(&layers);
    let step = slow
        .run
        .attempt_failed(&layers, permit, ending, Some(&error), classify);
    slow.last = Some(Err(error));
    step
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
            Phase::Sleeping => "sleeping",
            Phase::Done => "done",
        };
        f.debug_struct("PolicyCall")
            .field("policy", &self.policy.name())
            .field("classify", &self.classify)
            .field("phase", &phase)
            .finish()
    }
}
