//! The stacks a caller can put between itself and the dependency, all set up with the
//! same numbers ([`Knobs`]): the same attempts, waits, attempt timeout, failure
//! threshold and open period, each in the way its library's documentation shows.
//!
//! Peers retry transport failures and `503`s, not their own breaker's rejections (what
//! a careful user writes; retrying a rejection only spins). They time each attempt with
//! `tokio::time::timeout` inside the breaker, so that a hang counts as a failure, which
//! is where staunch's policy puts its attempt timeout too.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::Retryable as _;
use staunch::presets::LLM;
use staunch::{Jitter, Policy, RetryBudget};
use tower::ServiceExt as _;
use tower_resilience_circuitbreaker::{CircuitBreakerError, CircuitBreakerLayer};
use tower_resilience_retry::{ExponentialRandomBackoff, RetryLayer};

use crate::dependency::{Dependency, DependencyError};

/// The numbers every stack is given.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Knobs {
    pub(crate) attempt_timeout: Duration,
    /// Attempts in total, the first included.
    pub(crate) max_attempts: u32,
    pub(crate) wait_min: Duration,
    pub(crate) wait_max: Duration,
    /// Consecutive failures that open the circuit (a rate breaker gets a window of twice
    /// as many calls, judged at 50 %).
    pub(crate) failure_threshold: u32,
    /// How long an open circuit rejects before it lets a probe through.
    pub(crate) recovery_timeout: Duration,
    pub(crate) seed: u64,
}

/// Which stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One attempt with a timeout, nothing else.
    Unprotected,
    /// `staunch::Policy`: retry, breaker and attempt timeout combined.
    Staunch,
    /// The same policy told never to wait for an open circuit's probe
    /// (`max_probe_wait(Duration::ZERO)`): a caller facing an open circuit gets its
    /// answer at once.
    StaunchFailFast,
    /// staunch's LLM preset (rate breaker over a window, retry budget), with the
    /// scenario's numbers in its settings.
    StaunchLlm,
    /// backon's retry around recloser's breaker.
    BackonRecloser,
    /// backon's retry around failsafe's breaker.
    BackonFailsafe,
    /// tower-resilience's retry layer around its circuit breaker layer.
    TowerResilience,
}

/// Every stack, in the order of the report.
pub(crate) const KINDS: [Kind; 7] = [
    Kind::Unprotected,
    Kind::Staunch,
    Kind::StaunchFailFast,
    Kind::StaunchLlm,
    Kind::BackonRecloser,
    Kind::BackonFailsafe,
    Kind::TowerResilience,
];

impl Kind {
    /// The name in tables, JSON and charts.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Unprotected => "unprotected",
            Kind::Staunch => "staunch policy",
            Kind::StaunchFailFast => "staunch fail-fast",
            Kind::StaunchLlm => "staunch LLM preset",
            Kind::BackonRecloser => "backon + recloser",
            Kind::BackonFailsafe => "backon + failsafe",
            Kind::TowerResilience => "tower-resilience",
        }
    }

    /// Parses a name given on the command line (`staunch`, `llm`, `recloser`, ...).
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "unprotected" | "none" => Kind::Unprotected,
            "staunch" => Kind::Staunch,
            "fail-fast" | "staunch-fail-fast" => Kind::StaunchFailFast,
            "llm" | "staunch-llm" => Kind::StaunchLlm,
            "recloser" | "backon-recloser" => Kind::BackonRecloser,
            "failsafe" | "backon-failsafe" => Kind::BackonFailsafe,
            "tower" | "tower-resilience" => Kind::TowerResilience,
            _ => return None,
        })
    }
}

/// The tower stack's request: the call's count of attempts that reached the dependency
/// (the retry layer clones it for each attempt).
type Reached = Arc<AtomicU32>;
type TowerService = tower::util::BoxCloneService<Reached, (), CircuitBreakerError<DependencyError>>;
type Failsafe = failsafe::StateMachine<
    failsafe::failure_policy::ConsecutiveFailures<failsafe::backoff::Constant>,
    (),
>;

enum Inner {
    Unprotected,
    Policy(Policy),
    BackonRecloser(backon::ExponentialBuilder, recloser::AsyncRecloser),
    BackonFailsafe(backon::ExponentialBuilder, Failsafe),
    Tower(Mutex<TowerService>),
}

/// A stack built around one dependency, with a count of the retries it made.
pub(crate) struct Stack {
    dependency: Arc<Dependency>,
    knobs: Knobs,
    retries: Arc<AtomicU64>,
    inner: Inner,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack").field("knobs", &self.knobs).finish()
    }
}

impl Stack {
    /// Builds `kind` with `knobs` in front of `dependency`.
    pub(crate) fn new(
        kind: Kind,
        knobs: Knobs,
        dependency: Arc<Dependency>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let retries = Arc::new(AtomicU64::new(0));
        let inner = match kind {
            Kind::Unprotected => Inner::Unprotected,
            Kind::Staunch => Inner::Policy(staunch_policy(&knobs).build()?),
            Kind::StaunchFailFast => Inner::Policy(
                staunch_policy(&knobs)
                    .max_probe_wait(Duration::ZERO)
                    .build()?,
            ),
            Kind::StaunchLlm => Inner::Policy(llm_policy(&knobs)?),
            Kind::BackonRecloser => {
                let recloser = recloser::Recloser::custom()
                    .error_rate(0.5)
                    .closed_len(2 * knobs.failure_threshold as usize)
                    .half_open_len(1)
                    .open_wait(knobs.recovery_timeout)
                    .build();
                Inner::BackonRecloser(backon(&knobs), recloser.into())
            }
            Kind::BackonFailsafe => {
                let policy = failsafe::failure_policy::consecutive_failures(
                    knobs.failure_threshold,
                    failsafe::backoff::constant(knobs.recovery_timeout),
                );
                Inner::BackonFailsafe(
                    backon(&knobs),
                    failsafe::Config::new().failure_policy(policy).build(),
                )
            }
            Kind::TowerResilience => Inner::Tower(Mutex::new(tower_stack(
                &knobs,
                Arc::clone(&dependency),
                Arc::clone(&retries),
            )?)),
        };
        Ok(Self {
            dependency,
            knobs,
            retries,
            inner,
        })
    }

    /// Retries made so far.
    pub(crate) fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// One caller's call through the stack: whether it got its answer, and how many of
    /// its attempts reached the dependency.
    pub(crate) async fn call(&self) -> (bool, u32) {
        let dependency = &*self.dependency;
        let timeout = self.knobs.attempt_timeout;
        let reached: Reached = Arc::new(AtomicU32::new(0));
        let mut attempt = 0u32;
        let mut next = || {
            if attempt > 0 {
                self.retries.fetch_add(1, Ordering::Relaxed);
            }
            attempt += 1;
        };
        let ok = match &self.inner {
            Inner::Unprotected => timed(timeout, dependency, &reached).await.is_ok(),
            Inner::Policy(policy) => policy
                .call(|| {
                    next();
                    counted(dependency, &reached)
                })
                .await
                .is_ok(),
            Inner::BackonRecloser(backoff, breaker) => (|| {
                next();
                breaker.call(timed(timeout, dependency, &reached))
            })
            .retry(*backoff)
            .sleep(tokio::time::sleep)
            .when(|e| matches!(e, recloser::Error::Inner(_)))
            .await
            .is_ok(),
            Inner::BackonFailsafe(backoff, breaker) => (|| {
                next();
                failsafe::futures::CircuitBreaker::call(
                    breaker,
                    timed(timeout, dependency, &reached),
                )
            })
            .retry(*backoff)
            .sleep(tokio::time::sleep)
            .when(|e| matches!(e, failsafe::Error::Inner(_)))
            .await
            .is_ok(),
            Inner::Tower(service) => {
                let service = service.lock().expect("the service lock").clone();
                service.oneshot(Arc::clone(&reached)).await.is_ok()
            }
        };
        (ok, reached.load(Ordering::Relaxed))
    }
}

/// One request, counted in `reached` once it starts (a breaker that rejects the
/// attempt never starts it).
async fn counted(dependency: &Dependency, reached: &AtomicU32) -> Result<(), DependencyError> {
    reached.fetch_add(1, Ordering::Relaxed);
    dependency.request().await
}

/// One request under a timeout, as an HTTP client with a request timeout makes it.
async fn timed(
    timeout: Duration,
    dependency: &Dependency,
    reached: &AtomicU32,
) -> Result<(), DependencyError> {
    tokio::time::timeout(timeout, counted(dependency, reached))
        .await
        .unwrap_or(Err(DependencyError::Timeout))
}

fn staunch_policy(k: &Knobs) -> staunch::PolicyBuilder {
    Policy::builder("outage")
        .max_attempts(k.max_attempts)
        .wait_min(k.wait_min)
        .wait_max(k.wait_max)
        .jitter(Jitter::Full)
        .seed(k.seed)
        .failure_threshold(k.failure_threshold)
        .recovery_timeout(k.recovery_timeout)
        .attempt_timeout(k.attempt_timeout)
}

/// The LLM preset's policy as `Policy::llm()` builds it (its breaker, retry, jitter and
/// budget), with the scenario's numbers as its settings.
fn llm_policy(k: &Knobs) -> Result<Policy, staunch::ConfigError> {
    let mut settings = LLM.defaults();
    settings.circuit_failure_threshold = k.failure_threshold;
    settings.circuit_recovery_timeout = k.recovery_timeout;
    settings.retry_max_attempts = k.max_attempts;
    settings.retry_wait_min = k.wait_min;
    settings.retry_wait_max = k.wait_max;
    settings.attempt_timeout = Some(k.attempt_timeout);
    let breaker = LLM.breaker_builder(&settings).seed(k.seed).build()?;
    LLM.policy_builder(&settings, breaker)
        .budget(RetryBudget::default())
        .seed(k.seed)
        .build()
}

fn backon(k: &Knobs) -> backon::ExponentialBuilder {
    backon::ExponentialBuilder::default()
        .with_min_delay(k.wait_min)
        .with_max_delay(k.wait_max)
        .with_max_times(k.max_attempts.saturating_sub(1) as usize)
        .with_jitter()
        .with_jitter_seed(k.seed)
}

fn tower_stack(
    k: &Knobs,
    dependency: Arc<Dependency>,
    retries: Arc<AtomicU64>,
) -> Result<TowerService, Box<dyn std::error::Error>> {
    let timeout = k.attempt_timeout;
    let inner = tower::service_fn(move |reached: Reached| {
        let dependency = Arc::clone(&dependency);
        async move { timed(timeout, &dependency, &reached).await }
    });
    let breaker = CircuitBreakerLayer::builder()
        .consecutive_failures(k.failure_threshold as usize)
        .wait_duration_in_open(k.recovery_timeout)
        .permitted_calls_in_half_open(1)
        .build()?;
    let backoff = ExponentialRandomBackoff::new(k.wait_min, 0.5)?.max_interval(k.wait_max);
    let retry = RetryLayer::<Reached, (), CircuitBreakerError<DependencyError>>::builder()
        .max_attempts(k.max_attempts as usize)
        .backoff(backoff)
        .retry_on(|e: &CircuitBreakerError<DependencyError>| !e.is_circuit_open())
        .on_retry(move |_, _| {
            retries.fetch_add(1, Ordering::Relaxed);
        })
        .build();
    let service = tower::ServiceBuilder::new()
        .layer(retry)
        .layer(breaker)
        .service(inner);
    Ok(tower::util::BoxCloneService::new(service))
}
