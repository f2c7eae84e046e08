//! [`PolicyLayer`]: the combined policy (budget, retry, breaker, attempt timeout) as a
//! tower layer.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::take_ready;
use crate::breaker::OwnedPermit;
use crate::classify::{self, When};
use crate::policy::run::{poll_attempt, Run, Step};
use crate::{AllTransient, Classify, Policy, PolicyError, PolicyErrorKind, Sleep};

/// Runs every request under a [`Policy`]: the same engine, rules and events as
/// [`Policy::call`]. Requests and the inner service must be `Clone`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use staunch::test_util::FakeClock;
/// use staunch::tower::PolicyLayer;
/// use staunch::Policy;
/// use tower_layer::Layer;
/// use tower_service::Service;
///
/// #[derive(Clone)]
/// struct Down;
/// impl Service<()> for Down {
///     type Response = ();
///     type Error = &'static str;
///     type Future = std::future::Ready<Result<(), &'static str>>;
///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
///         std::task::Poll::Ready(Ok(()))
///     }
///     fn call(&mut self, _: ()) -> Self::Future { std::future::ready(Err("503")) }
/// }
///
/// let fake = FakeClock::new();
/// let policy = Policy::builder("upstream").failure_threshold(1).clock(fake.clock()).build()?;
/// let mut service = PolicyLayer::new(policy).layer(Down);
/// let err = service.call(()).await.unwrap_err();
/// assert!(err.is_circuit_open()); // the failure opened the circuit: no sleep into it
/// assert_eq!(err.last_error(), Some(&"503"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PolicyLayer<C = AllTransient> {
    policy: Policy,
    classify: C,
}

impl PolicyLayer {
    /// A layer running requests under `policy`, every error transient.
    ///
    /// ```
    /// let layer = staunch::tower::PolicyLayer::new(staunch::Policy::database().clone());
    /// # let _ = layer;
    /// ```
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            classify: AllTransient,
        }
    }
}

impl<C> PolicyLayer<C> {
    /// Retries and counts only errors matching `predicate`.
    ///
    /// ```
    /// let layer = staunch::tower::PolicyLayer::new(staunch::Policy::mcp().clone())
    ///     .when(staunch::classify::io::is_transient);
    /// # let _ = layer;
    /// ```
    pub fn when<P>(self, predicate: P) -> PolicyLayer<When<P>> {
        self.classify(classify::when(predicate))
    }

    /// Classifies errors with a full [`Classify`] (delay hints included).
    ///
    /// ```
    /// use staunch::classify::http::status_verdict;
    /// let layer = staunch::tower::PolicyLayer::new(staunch::Policy::llm().clone())
    ///     .classify(|status: &u16| status_verdict(*status));
    /// # let _ = layer;
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> PolicyLayer<C2> {
        PolicyLayer {
            policy: self.policy,
            classify: classifier,
        }
    }
}

impl<S, C: Clone> Layer<S> for PolicyLayer<C> {
    type Service = PolicyService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        PolicyService {
            inner,
            policy: self.policy.clone(),
            classify: self.classify.clone(),
        }
    }
}

/// The service made by [`PolicyLayer`].
///
/// ```
/// use staunch::tower::{PolicyLayer, PolicyService};
/// use tower_layer::Layer;
/// let service: PolicyService<(), _> = PolicyLayer::new(staunch::Policy::database().clone()).layer(());
/// assert_eq!(service.policy().name(), "database");
/// ```
#[derive(Clone, Debug)]
pub struct PolicyService<S, C = AllTransient> {
    inner: S,
    policy: Policy,
    classify: C,
}

impl<S, C> PolicyService<S, C> {
    /// The policy requests run under.
    ///
    /// ```
    /// # use staunch::tower::PolicyLayer;
    /// # use tower_layer::Layer;
    /// let service = PolicyLayer::new(staunch::Policy::llm().clone()).layer(());
    /// assert_eq!(service.policy().name(), "llm");
    /// ```
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
}

impl<S, C, Request> Service<Request> for PolicyService<S, C>
where
    S: Service<Request> + Clone,
    S::Error: fmt::Debug,
    C: Classify<S::Error> + Clone,
    Request: Clone,
{
    type Response = S::Response;
    type Error = PolicyError<S::Error>;
    type Future = PolicyFuture<S, Request, C>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(not_ready)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        PolicyFuture {
            service: take_ready(&mut self.inner),
            request,
            policy: self.policy.clone(),
            classify: self.classify.clone(),
            run: Run::new(),
            permit: None,
            last: None,
            phase: Phase::Start,
        }
    }
}

fn not_ready<E>(error: E) -> PolicyError<E> {
    PolicyError::new(
        PolicyErrorKind::NotRetryable,
        Some(error),
        None,
        0,
        Duration::ZERO,
    )
}

pin_project! {
    /// The response future of [`PolicyService`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use staunch::tower::{PolicyFuture, PolicyLayer};
    /// # use tower_layer::Layer;
    /// # use tower_service::Service;
    /// # #[derive(Clone)] struct Ok1;
    /// # impl Service<()> for Ok1 {
    /// #     type Response = u8; type Error = (); type Future = std::future::Ready<Result<u8, ()>>;
    /// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), ()>> { std::task::Poll::Ready(Ok(())) }
    /// #     fn call(&mut self, _: ()) -> Self::Future { std::future::ready(Ok(1)) }
    /// # }
    /// let mut service = PolicyLayer::new(staunch::Policy::builder("one").build()?).layer(Ok1);
    /// let future: PolicyFuture<Ok1, (), staunch::AllTransient> = service.call(());
    /// assert_eq!(future.await.unwrap(), 1);
    /// # Ok(()) }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct PolicyFuture<S, Request, C>
    where
        S: Service<Request>,
    {
        service: S,
        request: Request,
        policy: Policy,
        classify: C,
        run: Run,
        permit: Option<OwnedPermit>,
        last: Option<S::Error>,
        #[pin]
        phase: Phase<S::Future>,
    }
}

pin_project! {
    #[project = PhaseProj]
    enum Phase<F> {
        Start,
        // Waiting for the service's readiness (after a sleep), then for a permit.
        Ready,
        Admit,
        Calling { #[pin] future: F, timer: Option<Sleep> },
        Sleeping { sleep: Sleep },
        Done,
    }
}

impl<S, Request, C> Future for PolicyFuture<S, Request, C>
where
    S: Service<Request>,
    S::Error: fmt::Debug,
    C: Classify<S::Error>,
    Request: Clone,
{
    type Output = Result<S::Response, PolicyError<S::Error>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let layers = this.policy.layers();
        loop {
            let step = match this.phase.as_mut().project() {
                PhaseProj::Start => {
                    this.run.begin(&layers);
                    this.phase.set(Phase::Admit);
                    continue;
                }
                PhaseProj::Ready => {
                    if let Err(error) = ready!(this.service.poll_ready(cx)) {
                        this.phase.set(Phase::Done);
                        return Poll::Ready(Err(not_ready(error)));
                    }
                    this.phase.set(Phase::Admit);
                    continue;
                }
                PhaseProj::Admit => match layers.breaker.try_acquire_owned() {
                    Ok(permit) => {
                        this.run.attempt_started(&layers);
                        *this.permit = Some(permit);
                        let future = this.service.call(this.request.clone());
                        this.phase.set(Phase::Calling {
                            future,
                            timer: None,
                        });
                        continue;
                    }
                    Err(open) => this.run.rejected(&layers, open),
                },
                PhaseProj::Calling { future, timer } => {
                    let (outcome, ending) =
                        ready!(poll_attempt(this.run, &layers, future, timer, cx));
                    let permit = this.permit.take().expect("a call holds a permit");
                    match outcome {
                        Some(Ok(response)) => {
                            this.run.succeeded(&layers, permit, ending);
                            this.phase.set(Phase::Done);
                            return Poll::Ready(Ok(response));
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
                                *this.last = Some(error);
                            }
                            step
                        }
                    }
                }
                PhaseProj::Sleeping { sleep } => {
                    ready!(Pin::new(sleep).poll(cx));
                    this.phase.set(Phase::Ready);
                    continue;
                }
                PhaseProj::Done => panic!("`PolicyFuture` polled after completion"),
            };
            match step {
                Step::Retry(delay) => {
                    let sleep = layers.clock.sleep(delay);
                    this.phase.set(Phase::Sleeping { sleep });
                }
                Step::Stop(stopped) => {
                    this.phase.set(Phase::Done);
                    return Poll::Ready(Err(stopped.into_error(this.last.take())));
                }
            }
        }
    }
}

impl<S: Service<Request>, Request, C: fmt::Debug> fmt::Debug for PolicyFuture<S, Request, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match self.phase {
            Phase::Start => "start",
            Phase::Ready => "ready",
            Phase::Admit => "admit",
            Phase::Calling { .. } => "calling",
            Phase::Sleeping { .. } => "sleeping",
            Phase::Done => "done",
        };
        f.debug_struct("PolicyFuture")
            .field("policy", &self.policy.name())
            .field("classify", &self.classify)
            .field("phase", &phase)
            .finish()
    }
}
