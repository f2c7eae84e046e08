//! `#[retry_on_exception]` and `#[retry_with_jitter]` make the attempts and sleeps of the
//! policy built by hand.

use std::cell::Cell;
use std::io;
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{
    retry_on_exception, retry_with_jitter, BlockingRetryable, Clock, Jitter, RetryBuilder,
    RetryPolicy, Retryable, Verdict,
};

fn timed_out() -> io::Error {
    io::ErrorKind::TimedOut.into()
}

fn is_timeout(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::TimedOut
}

/// The sleeps of `policy` run by hand on a fake clock, for an operation that always fails.
fn sleeps_by_hand(policy: RetryPolicy) -> Vec<Duration> {
    let fake = FakeClock::new();
    let _ = (|| Err::<(), _>(timed_out()))
        .retry_blocking(policy)
        .clock(fake.clock())
        .call();
    fake.sleeps()
}

#[retry_on_exception(max_attempts = 3, wait_min = 1.0, wait_max = 10.0, when = is_timeout, clock = clock.clone())]
fn fetch(clock: &Clock, calls: &Cell<u32>, error: fn() -> io::Error) -> Result<u32, io::Error> {
    calls.set(calls.get() + 1);
    Err(error())
}

#[test]
fn retry_on_exception_matches_the_policy_by_hand() {
    let (fake, calls) = (FakeClock::new(), Cell::new(0));
    let err = fetch(&fake.clock(), &calls, timed_out).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut); // the last error, as it is
    assert_eq!(calls.get(), 3);
    assert_eq!(
        fake.sleeps(),
        sleeps_by_hand(RetryPolicy::retry_on_exception())
    );
    assert_eq!(
        fake.sleeps(),
        [Duration::from_secs(1), Duration::from_secs(2)]
    );
}

#[test]
fn errors_outside_the_predicate_are_returned_at_once() {
    let (fake, calls) = (FakeClock::new(), Cell::new(0));
    let err = fetch(&fake.clock(), &calls, || io::ErrorKind::NotFound.into()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert_eq!(calls.get(), 1);
    assert!(fake.sleeps().is_empty());
}

#[retry_on_exception(max_attempts = 6, wait_min = "500ms", wait_max = "2s", clock = clock.clone())]
async fn flaky(clock: &Clock, calls: &Cell<u32>, succeed_on: u32) -> Result<u32, io::Error> {
    calls.set(calls.get() + 1);
    tokio::task::yield_now().await;
    if calls.get() < succeed_on {
        return Err(timed_out());
    }
    Ok(calls.get())
}

#[tokio::test]
async fn async_functions_retry_until_success() {
    let (fake, calls) = (FakeClock::new(), Cell::new(0));
    assert_eq!(flaky(&fake.clock(), &calls, 5).await.unwrap(), 5);
    let ms: Vec<u128> = fake.sleeps().iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [500, 1000, 2000, 2000]);

    let by_hand = FakeClock::new();
    let policy = RetryBuilder::retry_on_exception()
        .max_attempts(6)
        .wait_min(Duration::from_millis(500))
        .wait_max(Duration::from_secs(2))
        .build()
        .unwrap();
    let _ = (|| async { Err::<(), _>(timed_out()) })
        .retry(policy)
        .clock(by_hand.clock())
        .await;
    assert_eq!(&by_hand.sleeps()[..4], &fake.sleeps()[..]);
}

#[retry_with_jitter(max_attempts = 5, base_wait = 2.0, max_wait = 10.0, jitter = true, seed = 7, clock = clock.clone())]
fn jittered(clock: &Clock) -> Result<(), io::Error> {
    Err(timed_out())
}

#[test]
fn retry_with_jitter_draws_the_seeded_policys_delays() {
    let fake = FakeClock::new();
    assert!(jittered(&fake.clock()).is_err());
    let policy = RetryBuilder::retry_with_jitter().seed(7).build().unwrap();
    assert_eq!(fake.sleeps(), sleeps_by_hand(policy));
    assert_eq!(fake.sleeps().len(), 4);
    for (n, delay) in fake.sleeps().into_iter().enumerate() {
        let ceiling = Duration::from_secs(2 << (n + 1)).min(Duration::from_secs(10));
        assert!(
            Duration::from_secs(2) <= delay && delay <= ceiling,
            "{delay:?}"
        );
    }
}

#[retry_with_jitter(max_attempts = 4, base_wait = "1s", max_wait = "8s", jitter = "decorrelated", seed = 3, clock = clock.clone())]
async fn decorrelated(clock: &Clock) -> Result<(), io::Error> {
    Err(timed_out())
}

#[tokio::test]
async fn jitter_modes_by_name() {
    let fake = FakeClock::new();
    assert!(decorrelated(&fake.clock()).await.is_err());
    let policy = RetryBuilder::retry_on_exception()
        .max_attempts(4)
        .wait_min(Duration::from_secs(1))
        .wait_max(Duration::from_secs(8))
        .jitter(Jitter::Decorrelated)
        .seed(3)
        .build()
        .unwrap();
    assert_eq!(fake.sleeps(), sleeps_by_hand(policy));
}

#[retry_on_exception(max_attempts = 5, classify = |e| if e.kind() == io::ErrorKind::TimedOut { Verdict::FATAL } else { Verdict::TRANSIENT }, clock = clock.clone())]
fn classified(clock: &Clock, calls: &Cell<u32>) -> Result<(), io::Error> {
    calls.set(calls.get() + 1);
    Err(if calls.get() < 3 {
        io::ErrorKind::ConnectionReset.into()
    } else {
        timed_out()
    })
}

#[test]
fn a_classifier_decides_per_error() {
    let (fake, calls) = (FakeClock::new(), Cell::new(0));
    assert_eq!(
        classified(&fake.clock(), &calls).unwrap_err().kind(),
        io::ErrorKind::TimedOut
    );
    assert_eq!(calls.get(), 3); // two transient resets, then a fatal timeout
    assert_eq!(fake.sleeps().len(), 2);
}
