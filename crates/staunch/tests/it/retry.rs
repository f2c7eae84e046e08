//! Retry behaviour on the fake clock; every scenario runs through the async and the
//! blocking API and both must agree exactly.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{
    AllTransient, BlockingRetryable, Classify, RetryError, RetryErrorKind, RetryPolicy, Retryable,
    Verdict,
};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub(crate) struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Polls a future to completion on the current thread (fake-clock sleeps are ready at once).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(NoopWake));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

/// What one run of a scenario did.
#[derive(Debug, PartialEq)]
pub(crate) struct Run<E> {
    pub(crate) result: Result<u32, RetryError<E>>,
    pub(crate) calls: u32,
    pub(crate) sleeps: Vec<Duration>,
    pub(crate) end: Duration,
}

/// Runs `script` (called with the 1-based call number and the fake clock) under
/// `policy` and `classify`, async and blocking, asserts both runs agree, returns one.
pub(crate) fn both<E, C>(
    policy: RetryPolicy,
    classify: C,
    script: impl Fn(u32, &FakeClock) -> Result<u32, E>,
) -> Run<E>
where
    E: std::fmt::Debug + PartialEq,
    C: Classify<E> + Clone,
{
    let fake = FakeClock::new();
    let mut calls = 0;
    let result = block_on(
        (|| {
            calls += 1;
            let outcome = script(calls, &fake);
            async move { outcome }
        })
        .retry(policy)
        .classify(classify.clone())
        .clock(fake.clock()),
    );
    let async_run = Run {
        result,
        calls,
        sleeps: fake.sleeps(),
        end: fake.now(),
    };

    let fake = FakeClock::new();
    let mut calls = 0;
    let result = (|| {
        calls += 1;
        script(calls, &fake)
    })
    .retry_blocking(policy)
    .classify(classify)
    .clock(fake.clock())
    .call();
    let blocking_run = Run {
        result,
        calls,
        sleeps: fake.sleeps(),
        end: fake.now(),
    };

    assert_eq!(async_run, blocking_run, "async and blocking runs differ");
    async_run
}

fn always_fails(_: u32, _: &FakeClock) -> Result<u32, &'static str> {
    Err("unavailable")
}

#[test]
fn seed_policy_makes_three_attempts_sleeping_1_then_2_seconds() {
    let run = both(
        RetryPolicy::retry_on_exception(),
        AllTransient,
        always_fails,
    );
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), RetryErrorKind::Exhausted);
    assert_eq!((err.attempts(), run.calls), (3, 3));
    assert_eq!(run.sleeps, [secs(1), secs(2)]);
    assert_eq!(err.elapsed(), secs(3));
    assert_eq!(*err.last_error(), "unavailable");
}

#[test]
fn longer_seed_schedule_caps_at_wait_max() {
    let policy = RetryPolicy::builder().max_attempts(7).build().unwrap();
    let run = both(policy, AllTransient, always_fails);
    let expected: Vec<_> = [1, 2, 4, 8, 10, 10].map(secs).to_vec();
    assert_eq!(run.sleeps, expected);
    assert_eq!(run.end, secs(35));
    assert_eq!(run.result.unwrap_err().attempts(), 7);
}

#[test]
fn success_on_the_third_attempt_returns_the_value() {
    let run = both(
        RetryPolicy::retry_on_exception(),
        AllTransient,
        |call, _| {
            if call < 3 {
                Err("busy")
            } else {
                Ok(call * 10)
            }
        },
    );
    assert_eq!(run.result, Ok(30));
    assert_eq!(run.sleeps, [secs(1), secs(2)]);
}

#[test]
fn first_attempt_success_makes_one_call_and_never_sleeps() {
    let run = both(RetryPolicy::retry_on_exception(), AllTransient, |_, _| {
        Ok::<_, ()>(1)
    });
    assert_eq!((run.result, run.calls, run.sleeps.len()), (Ok(1), 1, 0));
}

#[test]
fn a_non_retryable_error_returns_after_one_call() {
    let only_timeouts = |e: &&str| {
        if *e == "timeout" {
            Verdict::TRANSIENT
        } else {
            Verdict::IGNORE
        }
    };
    let run = both(RetryPolicy::retry_on_exception(), only_timeouts, |_, _| {
        Err("bad request")
    });
    let err = run.result.unwrap_err();
    assert_eq!(
        (err.kind(), err.attempts(), run.calls),
        (RetryErrorKind::NotRetryable, 1, 1)
    );
    assert!(run.sleeps.is_empty());

    let run = both(
        RetryPolicy::retry_on_exception(),
        only_timeouts,
        |call, _| {
            if call == 1 {
                Err("timeout")
            } else {
                Err("bad request")
            }
        },
    );
    let err = run.result.unwrap_err();
    assert_eq!(
        (err.kind(), err.attempts()),
        (RetryErrorKind::NotRetryable, 2)
    );
    assert_eq!(run.sleeps, [secs(1)]);
}

#[test]
fn deadline_stops_before_a_wait_that_would_reach_it() {
    let policy = RetryPolicy::builder()
        .max_attempts(10)
        .deadline(secs(5))
        .build()
        .unwrap();
    let run = both(policy, AllTransient, always_fails);
    // 1 + 2, then 4 would pass the deadline: an attempt at 5 s would have no time left,
    // so the call ends at 3 s instead of sleeping to the deadline.
    assert_eq!(run.sleeps, [secs(1), secs(2)]);
    let err = run.result.unwrap_err();
    assert_eq!(
        (err.kind(), err.attempts(), err.elapsed()),
        (RetryErrorKind::Deadline, 3, secs(3))
    );
}

#[test]
fn a_wait_that_ends_before_the_deadline_is_kept() {
    let policy = RetryPolicy::builder()
        .max_attempts(10)
        .deadline(secs(8))
        .build()
        .unwrap();
    let run = both(policy, AllTransient, always_fails);
    // 1 + 2 + 4 end at 7 s, before the deadline; the next wait (8 s) would reach it.
    assert_eq!(run.sleeps, [secs(1), secs(2), secs(4)]);
    let err = run.result.unwrap_err();
    assert_eq!(
        (err.kind(), err.attempts(), err.elapsed()),
        (RetryErrorKind::Deadline, 4, secs(7))
    );
}

#[test]
fn deadline_counts_the_time_attempts_take() {
    let policy = RetryPolicy::builder()
        .max_attempts(10)
        .deadline(secs(6))
        .build()
        .unwrap();
    let run = both(policy, AllTransient, |_, fake: &FakeClock| {
        fake.advance(secs(2)); // each attempt takes 2 s
        Err::<u32, _>("slow")
    });
    // t=2 fail, sleep 1; t=5 fail, 1 s left: a wait would use it all, so the call ends.
    assert_eq!(run.sleeps, [secs(1)]);
    let err = run.result.unwrap_err();
    assert_eq!(
        (err.kind(), err.attempts(), err.elapsed()),
        (RetryErrorKind::Deadline, 2, secs(5))
    );
}

fn hinted(hint: Duration) -> impl Fn(&&'static str) -> Verdict + Clone {
    move |_| Verdict::TRANSIENT.with_delay_hint(hint)
}

#[test]
fn a_server_hint_is_a_minimum_wait() {
    let policy = RetryPolicy::builder().max_attempts(4).build().unwrap();
    let run = both(policy, hinted(Duration::from_millis(2500)), always_fails);
    // max(backoff, hint): max(1, 2.5), max(2, 2.5), max(4, 2.5)
    assert_eq!(
        run.sleeps,
        [
            Duration::from_millis(2500),
            Duration::from_millis(2500),
            secs(4)
        ]
    );
}

#[test]
fn a_hint_above_max_delay_hint_stops_at_once() {
    let run = both(
        RetryPolicy::retry_on_exception(),
        hinted(secs(3600)),
        always_fails,
    );
    let err = run.result.unwrap_err();
    assert_eq!((err.kind(), run.calls), (RetryErrorKind::HintTooLong, 1));
    assert_eq!(err.delay_hint(), Some(secs(3600)));
    assert!(run.sleeps.is_empty());

    let patient = RetryPolicy::builder()
        .max_delay_hint(secs(3600))
        .build()
        .unwrap();
    let run = both(patient, hinted(secs(3600)), always_fails);
    assert_eq!(run.sleeps, [secs(3600), secs(3600)]);
}

#[test]
fn a_hint_that_does_not_fit_the_deadline_stops_instead_of_trimming() {
    let policy = RetryPolicy::builder().deadline(secs(10)).build().unwrap();
    let run = both(policy, hinted(secs(30)), always_fails);
    let err = run.result.unwrap_err();
    assert_eq!((err.kind(), run.calls), (RetryErrorKind::Deadline, 1));
    assert!(run.sleeps.is_empty());
}

#[test]
fn jittered_seed_policy_draws_inside_its_ranges() {
    for seed in 0..50 {
        let policy = RetryPolicy::retry_with_jitter()
            .to_builder()
            .seed(seed)
            .build()
            .unwrap();
        let run = both(policy, AllTransient, always_fails);
        assert_eq!(run.result.unwrap_err().attempts(), 5);
        for (sleep, ceiling) in run.sleeps.iter().zip([4, 8, 10, 10]) {
            assert!(
                secs(2) <= *sleep && *sleep <= secs(ceiling),
                "{sleep:?} vs {ceiling}"
            );
        }
    }
}

#[test]
fn io_helpers_select_the_errors_to_retry() {
    use std::io::{Error, ErrorKind};
    let fake = FakeClock::new();
    let mut calls = 0;
    let kinds = [
        ErrorKind::TimedOut,
        ErrorKind::ConnectionReset,
        ErrorKind::PermissionDenied,
    ];
    let err = (|| {
        calls += 1;
        Err::<(), _>(Error::from(kinds[calls - 1]))
    })
    .retry_blocking(RetryPolicy::builder().max_attempts(5).build().unwrap())
    .when(staunch::classify::io::is_transient)
    .clock(fake.clock())
    .call()
    .unwrap_err();
    assert_eq!((err.kind(), calls), (RetryErrorKind::NotRetryable, 3));
    assert_eq!(err.into_inner().kind(), ErrorKind::PermissionDenied);
}

#[test]
fn http_status_verdicts_drive_the_retry() {
    let policy = RetryPolicy::builder().max_attempts(5).build().unwrap();
    let by_status = |s: &u16| staunch::classify::http::status_verdict(*s);
    let run = both(policy, by_status, |call, _| match call {
        1 => Err(503),
        2 => Err(429),
        _ => Err(404),
    });
    let err = run.result.unwrap_err();
    assert_eq!(
        (err.kind(), err.attempts(), *err.last_error()),
        (RetryErrorKind::NotRetryable, 3, 404)
    );
}

#[test]
fn retry_on_ok_values_and_return_the_last_one_when_exhausted() {
    let fake = FakeClock::new();
    let mut n = 0;
    let value = block_on(
        (|| {
            n += 1;
            let v = n;
            async move { Ok::<_, ()>(v) }
        })
        .retry(RetryPolicy::retry_on_exception())
        .when_ok(|v: &u32| *v < 10)
        .clock(fake.clock()),
    );
    assert_eq!(value, Ok(3));
    assert_eq!(fake.sleeps(), [secs(1), secs(2)]);

    let fake = FakeClock::new();
    let mut n = 0;
    let value = (|| {
        n += 1;
        Ok::<_, ()>(n)
    })
    .retry_blocking(RetryPolicy::retry_on_exception())
    .when_ok(|v: &u32| *v < 2)
    .clock(fake.clock())
    .call();
    assert_eq!(value, Ok(2));
    assert_eq!(fake.sleeps(), [secs(1)]);
}

#[test]
fn the_hook_sees_attempt_delay_and_error_before_each_sleep() {
    let fake = FakeClock::new();
    let mut async_log = Vec::new();
    let _ = block_on(
        (|| async { Err::<(), _>("down") })
            .retry(RetryPolicy::retry_on_exception())
            .notify(|r| async_log.push((r.attempt(), r.delay(), r.error().copied(), r.elapsed())))
            .clock(fake.clock()),
    );
    let fake = FakeClock::new();
    let mut blocking_log = Vec::new();
    let _ = (|| Err::<(), _>("down"))
        .retry_blocking(RetryPolicy::retry_on_exception())
        .notify(|r| blocking_log.push((r.attempt(), r.delay(), r.error().copied(), r.elapsed())))
        .clock(fake.clock())
        .call();
    let expected = vec![
        (1, secs(1), Some("down"), secs(0)),
        (2, secs(2), Some("down"), secs(1)),
    ];
    assert_eq!(async_log, expected);
    assert_eq!(blocking_log, expected);
}

struct Connection {
    queries: u32,
}

impl Connection {
    fn query(&mut self) -> Result<u32, String> {
        self.queries += 1;
        if self.queries < 2 {
            Err("reset".into())
        } else {
            Ok(self.queries)
        }
    }

    fn query_async(&mut self) -> impl Future<Output = Result<u32, String>> {
        let outcome = self.query();
        async move { outcome }
    }
}

#[test]
fn closures_may_borrow_mutable_state() {
    let fake = FakeClock::new();
    let mut conn = Connection { queries: 0 };
    let n = (|| conn.query())
        .retry_blocking(RetryPolicy::default())
        .clock(fake.clock())
        .call();
    assert_eq!(n, Ok(2));

    let mut conn = Connection { queries: 0 };
    let n = block_on(
        (|| conn.query_async())
            .retry(RetryPolicy::default())
            .clock(fake.clock()),
    );
    assert_eq!(n, Ok(2));
    assert_eq!(conn.queries, 2);
}

#[test]
fn policy_call_helpers_match_the_extension_traits() {
    let policy = RetryPolicy::retry_on_exception();
    assert_eq!(policy.call_blocking(|| Ok::<_, ()>(1)), Ok(1));
    let fake = FakeClock::new();
    let err = block_on(
        policy
            .call(|| async { Err::<(), _>(7) })
            .clock(fake.clock()),
    )
    .unwrap_err();
    assert_eq!((err.attempts(), err.into_inner()), (3, 7));
}

#[tokio::test]
async fn runs_on_tokio_with_the_fake_clock() {
    let fake = FakeClock::new();
    let err = (|| async { Err::<(), _>("x") })
        .retry(RetryPolicy::retry_with_jitter())
        .clock(fake.clock())
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 5);
    assert_eq!(fake.sleeps().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn runs_on_the_system_clock_under_paused_tokio_time() {
    let policy = RetryPolicy::builder()
        .wait_min(Duration::from_millis(1))
        .build()
        .unwrap();
    let mut calls = 0;
    let value = (|| {
        calls += 1;
        let fail = calls < 3;
        async move {
            if fail {
                Err("busy")
            } else {
                Ok(calls)
            }
        }
    })
    .retry(policy)
    .await;
    assert_eq!(value, Ok(3));
}

fn ready_one() -> std::future::Ready<Result<u8, ()>> {
    std::future::ready(Ok(1))
}

/// Every retried call carries the whole future, policy included, and moves it at least
/// once: its size is paid on every call. With a closure and a future of (almost)
/// nothing, what is left is the retry itself.
#[test]
fn the_retry_future_stays_small() {
    use std::mem::{size_of, size_of_val};

    let policy = RetryPolicy::default();
    assert!(
        size_of_val(&policy) <= 80,
        "policy: {} bytes",
        size_of_val(&policy)
    );
    let retry = ready_one.retry(policy);
    assert!(
        size_of_val(&retry) <= 176,
        "future: {} bytes",
        size_of_val(&retry)
    );
    let refined = ready_one.retry(policy).when(|_: &()| true);
    assert!(
        size_of_val(&refined) <= 176,
        "future: {} bytes",
        size_of_val(&refined)
    );
    assert!(format!("{retry:?}").contains(r#"phase: "start""#));
    // Borrowed, the policy is a pointer in the future rather than a copy.
    let borrowed = ready_one.retry(&policy);
    assert!(
        size_of_val(&borrowed) + size_of_val(&policy) - size_of::<&RetryPolicy>()
            <= size_of_val(&retry),
        "borrowed: {} bytes, owned: {} bytes",
        size_of_val(&borrowed),
        size_of_val(&retry)
    );
    assert_eq!(format!("{borrowed:?}"), format!("{retry:?}"));
    // On the system clock the future carries no clock: a clock set with `.clock(..)`
    // is what adds one.
    let clocked = ready_one.retry(&policy).clock(staunch::Clock::system());
    assert!(
        size_of_val(&clocked) >= size_of_val(&borrowed) + size_of::<staunch::Clock>(),
        "on a clock: {} bytes, on the system clock: {} bytes",
        size_of_val(&clocked),
        size_of_val(&borrowed)
    );
    assert_eq!(format!("{clocked:?}"), format!("{borrowed:?}"));
}

#[test]
fn a_policy_reads_its_deadline_back() {
    let forever = Duration::MAX;
    for (set, read) in [
        (Duration::from_nanos(1), Duration::from_nanos(1)),
        (secs(5), secs(5)),
        (
            Duration::from_nanos(u64::MAX - 1),
            Duration::from_nanos(u64::MAX - 1),
        ),
        // Past about 584 years a deadline means "forever", as the policy's docs say.
        (Duration::from_secs(u64::MAX / 2), forever),
        (forever, forever),
    ] {
        let policy = RetryPolicy::builder().deadline(set).build().unwrap();
        assert_eq!(policy.deadline(), Some(read), "set {set:?}");
    }
    assert_eq!(RetryPolicy::builder().build().unwrap().deadline(), None);
}

#[test]
fn policies_compare_and_print_by_their_settings() {
    let policy = RetryPolicy::retry_with_jitter();
    assert_eq!(policy, RetryPolicy::retry_with_jitter());
    assert_ne!(policy, policy.to_builder().name("llm").build().unwrap());
    assert_ne!(
        policy,
        policy.to_builder().deadline(secs(5)).build().unwrap()
    );
    assert_ne!(policy, policy.to_builder().seed(1).build().unwrap());
    let printed = format!(
        "{:?}",
        policy.to_builder().deadline(secs(5)).build().unwrap()
    );
    assert!(
        printed
            .starts_with("RetryPolicy { backoff: Backoff { strategy: Exponential { factor: 2.0 }")
            && printed.contains("jitter: Full, seed: None }")
            && printed.ends_with("max_attempts: 5, deadline: Some(5s) }"),
        "{printed}"
    );
}

#[test]
fn the_ok_predicate_is_asked_once_per_value() {
    let fake = FakeClock::new();
    for blocking in [true, false] {
        let asked = std::cell::Cell::new(0u32);
        let mut calls = 0u32;
        let predicate = |v: &u32| {
            asked.set(asked.get() + 1);
            *v == 0
        };
        let mut op = || {
            calls += 1;
            Ok::<u32, std::io::Error>(if calls < 3 { 0 } else { 7 })
        };
        let value = if blocking {
            op.retry_blocking(RetryPolicy::retry_on_exception())
                .when_ok(predicate)
                .clock(fake.clock())
                .call()
                .unwrap()
        } else {
            block_on(
                (|| {
                    let v = op();
                    async move { v }
                })
                .retry(RetryPolicy::retry_on_exception())
                .when_ok(predicate)
                .clock(fake.clock()),
            )
            .unwrap()
        };
        assert_eq!(value, 7);
        assert_eq!(
            asked.get(),
            3,
            "one question per value (blocking: {blocking})"
        );
    }
}
