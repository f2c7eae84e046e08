//! The behaviour table as one parametrized suite: each scenario runs through every call
//! form of its family (async, blocking, tower, attribute on `fn` and on `async fn`), and
//! every form must make the same attempts, sleep the same sleeps, end with the same
//! outcome, leave the breaker in the same state and emit the same events. A retry alone
//! and the policy agree with each other too.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::task::{Context, Poll};
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{
    circuit_breaker, resilient, retry_on_exception, AttemptTimeout, BlockingRetryable,
    CircuitBreaker, CircuitOpen, Clock, Policy, Registry, RetryPolicy, Retryable,
};
use tower_layer::Layer;
use tower_service::Service;

use crate::retry::block_on;
use crate::retry_events::support;

/// The error every form sees: `"fatal"` is not retried, anything else is transient.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fail(&'static str);

impl From<CircuitOpen> for Fail {
    fn from(_: CircuitOpen) -> Self {
        Fail("open")
    }
}

impl From<AttemptTimeout> for Fail {
    fn from(_: AttemptTimeout) -> Self {
        Fail("timeout")
    }
}

fn transient(error: &Fail) -> bool {
    error.0 != "fatal"
}

thread_local! {
    static SCRIPT: RefCell<VecDeque<Result<u32, Fail>>> = const { RefCell::new(VecDeque::new()) };
    static CALLS: RefCell<u32> = const { RefCell::new(0) };
}

/// The next scripted outcome of the dependency.
fn next() -> Result<u32, Fail> {
    CALLS.with(|calls| *calls.borrow_mut() += 1);
    SCRIPT.with(|script| script.borrow_mut().pop_front().unwrap_or(Ok(0)))
}

/// What one run of a scenario through one form showed.
#[derive(Debug, PartialEq)]
struct Observed {
    calls: u32,
    sleeps: Vec<Duration>,
    outcome: Result<u32, &'static str>,
    failures: u32,
    /// Level, message, reason, attempt(s), delay, layer: everything but the name.
    events: Vec<String>,
}

fn observe(
    script: &[Result<u32, Fail>],
    run: impl FnOnce(&FakeClock) -> Result<u32, &'static str>,
    breaker: Option<&CircuitBreaker>,
) -> Observed {
    observe_on(&FakeClock::new(), script, run, breaker)
}

/// [`observe`] on `fake`, which may have slept before: only the run's sleeps count.
fn observe_on(
    fake: &FakeClock,
    script: &[Result<u32, Fail>],
    run: impl FnOnce(&FakeClock) -> Result<u32, &'static str>,
    breaker: Option<&CircuitBreaker>,
) -> Observed {
    let slept = fake.sleeps().len();
    SCRIPT.with(|s| *s.borrow_mut() = script.iter().copied().collect());
    CALLS.with(|c| *c.borrow_mut() = 0);
    if let Some(breaker) = breaker {
        breaker.reset();
    }
    let mut outcome = None;
    let events = support::capture("staunch::retry", || outcome = Some(run(fake)));
    let events = events
        .iter()
        .map(|e| {
            let fields = ["reason", "attempt", "attempts", "delay_ms", "layer"]
                .map(|f| format!("{f}={}", e.field(f)));
            format!("{} {} {}", e.level, e.field("message"), fields.join(" "))
        })
        .collect();
    Observed {
        calls: CALLS.with(|c| *c.borrow()),
        sleeps: fake.sleeps().split_off(slept),
        outcome: outcome.unwrap(),
        failures: breaker.map_or(0, CircuitBreaker::failure_count),
        events,
    }
}

/// A dependency as a tower service.
#[derive(Clone)]
struct Dependency;

impl Service<()> for Dependency {
    type Response = u32;
    type Error = Fail;
    type Future = std::future::Ready<Result<u32, Fail>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Fail>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, (): ()) -> Self::Future {
        std::future::ready(next())
    }
}

fn tower_call<S: Service<()>>(mut service: S) -> Result<S::Response, S::Error> {
    block_on(std::future::poll_fn(|cx| service.poll_ready(cx)))?;
    block_on(service.call(()))
}

// ---- the attribute forms, with the settings' defaults: 3 attempts, 1 s doubling, 5 failures

#[retry_on_exception(name = "table-retry", when = transient, clock = clock.clone())]
fn retry_fn(clock: &Clock) -> Result<u32, Fail> {
    next()
}

#[retry_on_exception(name = "table-retry-async", when = transient, clock = clock.clone())]
async fn retry_async_fn(clock: &Clock) -> Result<u32, Fail> {
    next()
}

#[resilient(name = "table-resilient", when = transient, clock = clock.clone())]
fn resilient_fn(clock: &Clock) -> Result<u32, Fail> {
    next()
}

#[resilient(name = "table-resilient-async", when = transient, clock = clock.clone())]
async fn resilient_async_fn(clock: &Clock) -> Result<u32, Fail> {
    next()
}

// A circuit that opens at the first failure and stays open longer than `wait_max`: 20 s,
// against waits of 10 s at most, over 4 attempts.
#[resilient(name = "table-probing", when = transient, clock = clock.clone(),
    max_attempts = 4, failure_threshold = 1, recovery_timeout = 20)]
fn probing_fn(clock: &Clock) -> Result<u32, Fail> {
    next()
}

#[resilient(name = "table-probing-async", when = transient, clock = clock.clone(),
    max_attempts = 4, failure_threshold = 1, recovery_timeout = 20)]
async fn probing_async_fn(clock: &Clock) -> Result<u32, Fail> {
    next()
}

#[circuit_breaker(name = "table-breaker", when = transient, clock = clock.clone())]
fn breaker_fn(clock: &Clock) -> Result<u32, Fail> {
    next()
}

#[circuit_breaker(name = "table-breaker-async", when = transient, clock = clock.clone())]
async fn breaker_async_fn(clock: &Clock) -> Result<u32, Fail> {
    next()
}

/// The fake clock of an attribute's breaker, made with the first call: every run of that
/// attribute goes on the same clock, so that the breaker and the retry agree on the time.
fn attribute_clock(name: &'static str) -> FakeClock {
    static CLOCKS: std::sync::Mutex<Vec<(&str, FakeClock)>> = std::sync::Mutex::new(Vec::new());
    let mut clocks = CLOCKS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match clocks.iter().find(|(n, _)| *n == name) {
        Some((_, fake)) => fake.clone(),
        None => {
            clocks.push((name, FakeClock::new()));
            clocks[clocks.len() - 1].1.clone()
        }
    }
}

fn registered(name: &str) -> CircuitBreaker {
    Registry::global()
        .get(name)
        .expect("the attribute registered its breaker")
}

const OK: Result<u32, Fail> = Ok(7);
const DOWN: Result<u32, Fail> = Err(Fail("down"));
const FATAL: Result<u32, Fail> = Err(Fail("fatal"));

/// The scenarios of the table: a first success, a success after a retry, exhaustion, a
/// fatal error after a transient one.
fn scenarios() -> Vec<Vec<Result<u32, Fail>>> {
    vec![
        vec![OK],
        vec![DOWN, OK],
        vec![DOWN, DOWN, DOWN],
        vec![DOWN, FATAL],
    ]
}

fn retry_forms(script: &[Result<u32, Fail>]) -> Vec<(&'static str, Observed)> {
    let policy = RetryPolicy::retry_on_exception();
    let retry_err = |e: staunch::RetryError<Fail>| e.into_inner().0;
    vec![
        (
            "Retry",
            observe(
                script,
                |f| {
                    block_on(next_async.retry(policy).when(transient).clock(f.clock()))
                        .map_err(retry_err)
                },
                None,
            ),
        ),
        (
            "BlockingRetry",
            observe(
                script,
                |f| {
                    next.retry_blocking(policy)
                        .when(transient)
                        .clock(f.clock())
                        .call()
                        .map_err(retry_err)
                },
                None,
            ),
        ),
        (
            "Retry, policy borrowed",
            observe(
                script,
                |f| {
                    block_on(next_async.retry(&policy).when(transient).clock(f.clock()))
                        .map_err(retry_err)
                },
                None,
            ),
        ),
        (
            "BlockingRetry, policy borrowed",
            observe(
                script,
                |f| {
                    next.retry_blocking(&policy)
                        .when(transient)
                        .clock(f.clock())
                        .call()
                        .map_err(retry_err)
                },
                None,
            ),
        ),
        (
            "RetryLayer",
            observe(
                script,
                |f| {
                    let layer = staunch::tower::RetryLayer::new(policy)
                        .when(transient)
                        .clock(f.clock());
                    tower_call(layer.layer(Dependency)).map_err(retry_err)
                },
                None,
            ),
        ),
        (
            "#[retry_on_exception] fn",
            observe(script, |f| retry_fn(&f.clock()).map_err(|e| e.0), None),
        ),
        (
            "#[retry_on_exception] async fn",
            observe(
                script,
                |f| block_on(retry_async_fn(&f.clock())).map_err(|e| e.0),
                None,
            ),
        ),
    ]
}

async fn next_async() -> Result<u32, Fail> {
    next()
}

fn policy_err(e: staunch::PolicyError<Fail>) -> &'static str {
    e.last_error().map_or(e.kind().as_str(), |f| f.0)
}

fn policy_forms(script: &[Result<u32, Fail>]) -> Vec<(&'static str, Observed)> {
    let fake_for = |f: &FakeClock| {
        Policy::builder("table-policy")
            .clock(f.clock())
            .build()
            .unwrap()
    };
    let attributes = Attributes {
        sync: resilient_fn,
        asynchronous: |clock| block_on(resilient_async_fn(clock)),
        names: ("table-resilient", "table-resilient-async"),
    };
    policy_forms_of(script, fake_for, &attributes)
}

/// The `#[resilient]` functions of a policy family, with their breakers' names.
struct Attributes {
    sync: fn(&Clock) -> Result<u32, Fail>,
    asynchronous: fn(&Clock) -> Result<u32, Fail>,
    names: (&'static str, &'static str),
}

/// Every policy form, built by `fake_for` (the attributes by their own arguments, which
/// must say the same).
fn policy_forms_of(
    script: &[Result<u32, Fail>],
    fake_for: impl Fn(&FakeClock) -> Policy,
    attributes: &Attributes,
) -> Vec<(&'static str, Observed)> {
    // The attributes' breakers exist after a first call, on their clocks.
    let clocks = (
        attribute_clock(attributes.names.0),
        attribute_clock(attributes.names.1),
    );
    let _ = (attributes.sync)(&clocks.0.clock());
    let _ = (attributes.asynchronous)(&clocks.1.clock());
    let (sync, asynchronous) = (
        registered(attributes.names.0),
        registered(attributes.names.1),
    );
    let mut forms = Vec::new();
    forms.push(("PolicyCall", {
        let mut held = None;
        let mut o = observe(
            script,
            |f| {
                let policy = fake_for(f);
                let out = block_on(policy.call(next_async).when(transient)).map_err(policy_err);
                held = Some(policy);
                out
            },
            None,
        );
        o.failures = held.unwrap().breaker().failure_count();
        o
    }));
    forms.push(("BlockingPolicyCall", {
        let mut held = None;
        let mut o = observe(
            script,
            |f| {
                let policy = fake_for(f);
                let out = policy
                    .blocking(next)
                    .when(transient)
                    .call()
                    .map_err(policy_err);
                held = Some(policy);
                out
            },
            None,
        );
        o.failures = held.unwrap().breaker().failure_count();
        o
    }));
    forms.push(("PolicyLayer", {
        let mut held = None;
        let mut o = observe(
            script,
            |f| {
                let policy = fake_for(f);
                let service = staunch::tower::PolicyLayer::new(policy.clone())
                    .when(transient)
                    .layer(Dependency);
                held = Some(policy);
                tower_call(service).map_err(policy_err)
            },
            None,
        );
        o.failures = held.unwrap().breaker().failure_count();
        o
    }));
    forms.push((
        "#[resilient] fn",
        observe_on(
            &clocks.0,
            script,
            |f| (attributes.sync)(&f.clock()).map_err(|e| e.0),
            Some(&sync),
        ),
    ));
    forms.push((
        "#[resilient] async fn",
        observe_on(
            &clocks.1,
            script,
            |f| (attributes.asynchronous)(&f.clock()).map_err(|e| e.0),
            Some(&asynchronous),
        ),
    ));
    forms
}

fn breaker_forms(script: &[Result<u32, Fail>]) -> Vec<(&'static str, Observed)> {
    let breaker = CircuitBreaker::builder("table-breaker-value")
        .build()
        .unwrap();
    let _ = breaker_fn(&FakeClock::new().clock());
    let _ = block_on(breaker_async_fn(&FakeClock::new().clock()));
    let (sync, asynchronous) = (
        registered("table-breaker"),
        registered("table-breaker-async"),
    );
    let classify = staunch::classify::when(transient);
    let breaker_err = |e: staunch::BreakerError<Fail>| match e {
        staunch::BreakerError::Inner(f) => f.0,
        _ => "open",
    };
    vec![
        (
            "call",
            observe(
                script,
                |_| block_on(breaker.call_with(classify, next_async)).map_err(breaker_err),
                Some(&breaker),
            ),
        ),
        (
            "call_blocking",
            observe(
                script,
                |_| {
                    breaker
                        .call_blocking_with(classify, next)
                        .map_err(breaker_err)
                },
                Some(&breaker),
            ),
        ),
        (
            "CircuitBreakerLayer",
            observe(
                script,
                |_| {
                    let layer =
                        staunch::tower::CircuitBreakerLayer::new(breaker.clone()).when(transient);
                    tower_call(layer.layer(Dependency)).map_err(breaker_err)
                },
                Some(&breaker),
            ),
        ),
        (
            "#[circuit_breaker] fn",
            observe(
                script,
                |f| breaker_fn(&f.clock()).map_err(|e| e.0),
                Some(&sync),
            ),
        ),
        (
            "#[circuit_breaker] async fn",
            observe(
                script,
                |f| block_on(breaker_async_fn(&f.clock())).map_err(|e| e.0),
                Some(&asynchronous),
            ),
        ),
    ]
}

/// The attributes' breakers are process-wide: one test at a time uses them.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn assert_all_alike(
    family: &str,
    script: &[Result<u32, Fail>],
    forms: &[(&'static str, Observed)],
) {
    let (first, expected) = &forms[0];
    for (form, observed) in &forms[1..] {
        assert_eq!(
            observed, expected,
            "{family} {script:?}: {form} differs from {first}"
        );
    }
}

#[test]
fn every_retry_form_behaves_alike() {
    let _serial = serial();
    for script in scenarios() {
        assert_all_alike("retry", &script, &retry_forms(&script));
    }
}

#[test]
fn every_policy_form_behaves_alike() {
    let _serial = serial();
    for script in scenarios() {
        assert_all_alike("policy", &script, &policy_forms(&script));
    }
}

#[test]
fn every_breaker_form_behaves_alike() {
    let _serial = serial();
    for script in scenarios() {
        let forms = breaker_forms(&script);
        assert_all_alike("breaker", &script, &forms);
        // A breaker alone makes one attempt and emits no retry events.
        assert_eq!((forms[0].1.calls, forms[0].1.events.len()), (1, 0));
    }
}

#[test]
fn every_policy_form_bounds_its_waits_for_probes_alike() {
    let _serial = serial();
    let fake_for = |f: &FakeClock| {
        Policy::builder("table-probing-policy")
            .max_attempts(4)
            .failure_threshold(1)
            .recovery_timeout(Duration::from_secs(20))
            .clock(f.clock())
            .build()
            .unwrap()
    };
    let attributes = Attributes {
        sync: probing_fn,
        asynchronous: |clock| block_on(probing_async_fn(clock)),
        names: ("table-probing", "table-probing-async"),
    };
    let script = [DOWN, DOWN, DOWN, DOWN];
    let forms = policy_forms_of(&script, fake_for, &attributes);
    assert_all_alike("policy", &script, &forms);
    // The backoff could wait 3 × 10 s at most over the call: the first probe, 20 s away,
    // fits; the next one, 20 s after the probe failed, does not fit the 10 s left, and the
    // call ends with the probe's failure rather than waiting 40 s in all.
    let observed = &forms[0].1;
    assert_eq!(
        (observed.calls, &observed.sleeps, observed.outcome),
        (2, &vec![Duration::from_secs(20)], Err("down"))
    );
}

#[test]
fn a_retry_alone_and_a_policy_agree() {
    let _serial = serial();
    for script in scenarios() {
        let retry = &retry_forms(&script)[0].1;
        let policy = &policy_forms(&script)[0].1;
        if script == [DOWN, DOWN, DOWN] {
            // Two retries and a warning that the call gave up, after 1 s and 2 s.
            assert_eq!(retry.events.len(), 3, "{:?}", retry.events);
            assert_eq!(
                retry.sleeps,
                [Duration::from_secs(1), Duration::from_secs(2)]
            );
            assert_eq!(policy.failures, 3);
        }
        assert_eq!(
            (retry.calls, &retry.sleeps, retry.outcome, &retry.events),
            (policy.calls, &policy.sleeps, policy.outcome, &policy.events),
            "{script:?}"
        );
    }
}

/// The fallback of the table: a value for any final error but a fatal one, which it hands
/// back. `Clone`, as the tower layers clone it for each request.
fn cached<Err>(
    fatal: impl Fn(&Err) -> bool + Clone,
) -> impl FnOnce(Err) -> Result<u32, Err> + Clone {
    move |err| if fatal(&err) { Err(err) } else { Ok(99) }
}

/// Every form that takes a fallback, by family, each run with [`cached`].
fn fallback_forms(
    script: &[Result<u32, Fail>],
) -> Vec<(&'static str, Vec<(&'static str, Observed)>)> {
    let retry = RetryPolicy::retry_on_exception();
    let retry_fatal = |e: &staunch::RetryError<Fail>| e.last_error().0 == "fatal";
    let retry_err = |e: staunch::RetryError<Fail>| e.into_inner().0;
    let policy_fatal =
        |e: &staunch::PolicyError<Fail>| e.last_error().is_some_and(|f| f.0 == "fatal");
    let breaker = CircuitBreaker::builder("table-fallback").build().unwrap();
    let breaker_fatal = |e: &staunch::BreakerError<Fail>| matches!(e, staunch::BreakerError::Inner(f) if f.0 == "fatal");
    let breaker_err = |e: staunch::BreakerError<Fail>| e.into_inner().map_or("open", |f| f.0);
    let policy_run = |script, run: &dyn Fn(&Policy) -> Result<u32, &'static str>| {
        let mut held = None;
        let mut o = observe(
            script,
            |f| {
                let policy = Policy::builder("table-policy")
                    .clock(f.clock())
                    .build()
                    .unwrap();
                let out = run(&policy);
                held = Some(policy);
                out
            },
            None,
        );
        o.failures = held.unwrap().breaker().failure_count();
        o
    };
    vec![
        (
            "retry",
            vec![
                (
                    "Retry",
                    observe(
                        script,
                        |f| {
                            block_on(
                                next_async
                                    .retry(retry)
                                    .when(transient)
                                    .fallback(cached(retry_fatal))
                                    .clock(f.clock()),
                            )
                            .map_err(retry_err)
                        },
                        None,
                    ),
                ),
                (
                    "BlockingRetry",
                    observe(
                        script,
                        |f| {
                            next.retry_blocking(retry)
                                .when(transient)
                                .fallback(cached(retry_fatal))
                                .clock(f.clock())
                                .call()
                                .map_err(retry_err)
                        },
                        None,
                    ),
                ),
                (
                    "RetryLayer",
                    observe(
                        script,
                        |f| {
                            let layer = staunch::tower::RetryLayer::new(retry)
                                .when(transient)
                                .fallback(cached(retry_fatal))
                                .clock(f.clock());
                            tower_call(layer.layer(Dependency)).map_err(retry_err)
                        },
                        None,
                    ),
                ),
            ],
        ),
        (
            "policy",
            vec![
                (
                    "PolicyCall",
                    policy_run(script, &|p| {
                        block_on(
                            p.call(next_async)
                                .when(transient)
                                .fallback(cached(policy_fatal)),
                        )
                        .map_err(policy_err)
                    }),
                ),
                (
                    "BlockingPolicyCall",
                    policy_run(script, &|p| {
                        p.blocking(next)
                            .when(transient)
                            .fallback(cached(policy_fatal))
                            .call()
                            .map_err(policy_err)
                    }),
                ),
                (
                    "PolicyLayer",
                    policy_run(script, &|p| {
                        let layer = staunch::tower::PolicyLayer::new(p.clone())
                            .when(transient)
                            .fallback(cached(policy_fatal));
                        tower_call(layer.layer(Dependency)).map_err(policy_err)
                    }),
                ),
            ],
        ),
        (
            "breaker",
            vec![
                (
                    "BreakerCall",
                    observe(
                        script,
                        |_| {
                            block_on(
                                breaker
                                    .call(next_async)
                                    .classify(transient)
                                    .fallback(cached(breaker_fatal)),
                            )
                            .map_err(breaker_err)
                        },
                        Some(&breaker),
                    ),
                ),
                (
                    "BlockingBreakerCall",
                    observe(
                        script,
                        |_| {
                            breaker
                                .blocking(next)
                                .classify(transient)
                                .fallback(cached(breaker_fatal))
                                .call()
                                .map_err(breaker_err)
                        },
                        Some(&breaker),
                    ),
                ),
                (
                    "CircuitBreakerLayer",
                    observe(
                        script,
                        |_| {
                            let layer = staunch::tower::CircuitBreakerLayer::new(breaker.clone())
                                .when(transient)
                                .fallback(cached(breaker_fatal));
                            tower_call(layer.layer(Dependency)).map_err(breaker_err)
                        },
                        Some(&breaker),
                    ),
                ),
            ],
        ),
    ]
}

#[test]
fn every_form_falls_back_alike() {
    let _serial = serial();
    for script in scenarios() {
        let plain = [
            retry_forms(&script).swap_remove(0).1,
            policy_forms(&script).swap_remove(0).1,
            breaker_forms(&script).swap_remove(0).1,
        ];
        for ((family, forms), plain) in fallback_forms(&script).into_iter().zip(plain) {
            assert_all_alike(family, &script, &forms);
            let with = &forms[0].1;
            // The fallback changes the outcome only: the same attempts, sleeps and counts.
            assert_eq!(
                (with.calls, &with.sleeps, with.failures),
                (plain.calls, &plain.sleeps, plain.failures),
                "{family} {script:?}"
            );
            let mut events = plain.events.clone();
            match plain.outcome {
                Err(fatal @ "fatal") => assert_eq!(with.outcome, Err(fatal)),
                Err(_) => {
                    assert_eq!(with.outcome, Ok(99), "{family} {script:?}");
                    // A breaker alone has no retry events, the fallback's included.
                    if family != "breaker" {
                        events.push(
                            "DEBUG fallback used reason=exhausted attempt=<missing> attempts=<missing> \
                             delay_ms=<missing> layer=<missing>"
                                .to_string(),
                        );
                    }
                }
                ok => assert_eq!(with.outcome, ok),
            }
            assert_eq!(with.events, events, "{family} {script:?}");
        }
    }
}
