//! `RetryError`: the caller's error by value, `source()`, `?` into anyhow and boxes.

use std::error::Error as _;
use std::io;
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{BlockingRetryable, ConfigError, RetryError, RetryErrorKind, RetryPolicy};

fn timed_out(fake: &FakeClock) -> RetryError<io::Error> {
    (|| {
        Err::<(), _>(io::Error::new(
            io::ErrorKind::TimedOut,
            "upstream timed out",
        ))
    })
    .retry_blocking(RetryPolicy::retry_on_exception())
    .clock(fake.clock())
    .call()
    .unwrap_err()
}

#[test]
fn is_send_sync_and_static_when_the_inner_error_is() {
    fn assert_traits<T: Send + Sync + 'static + std::error::Error>() {}
    assert_traits::<RetryError<io::Error>>();
    assert_traits::<ConfigError>();
}

#[test]
fn source_is_the_callers_error() {
    let err = timed_out(&FakeClock::new());
    let source = err.source().unwrap();
    assert_eq!(source.to_string(), "upstream timed out");
    assert!(source.downcast_ref::<io::Error>().is_some());
    assert_eq!(
        err.to_string(),
        "gave up after 3 attempts in 3s: retries exhausted"
    );
}

#[test]
fn converts_with_question_mark_into_anyhow() {
    fn run(fake: &FakeClock) -> anyhow::Result<()> {
        (|| Err::<(), _>(io::Error::from(io::ErrorKind::ConnectionReset)))
            .retry_blocking(RetryPolicy::retry_on_exception())
            .clock(fake.clock())
            .call()?;
        Ok(())
    }
    let err = run(&FakeClock::new()).unwrap_err();
    let retry = err.downcast_ref::<RetryError<io::Error>>().unwrap();
    assert_eq!(retry.kind(), RetryErrorKind::Exhausted);
    assert_eq!(err.chain().count(), 2);
    assert!(
        format!("{err:#}").ends_with(&io::Error::from(io::ErrorKind::ConnectionReset).to_string())
    );
}

#[test]
fn converts_with_question_mark_into_a_boxed_error() {
    fn run(fake: &FakeClock) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Err(timed_out(fake))?;
        Ok(())
    }
    let err = run(&FakeClock::new()).unwrap_err();
    assert!(err.downcast_ref::<RetryError<io::Error>>().is_some());
}

#[test]
fn hands_back_the_error_by_value_with_counts() {
    #[derive(Debug, PartialEq)]
    struct NotClone(u32);
    let fake = FakeClock::new();
    let err = (|| Err::<(), _>(NotClone(7)))
        .retry_blocking(RetryPolicy::retry_with_jitter())
        .clock(fake.clock())
        .call()
        .unwrap_err();
    assert_eq!(err.attempts(), 5);
    assert_eq!(err.elapsed(), fake.total_slept());
    assert_eq!(err.last_error(), &NotClone(7));
    assert_eq!(err.map(|e| e.0 + 1).into_inner(), 8);
}

#[test]
fn the_display_names_the_reason() {
    let fake = FakeClock::new();
    let hinted = (|| Err::<(), _>("429"))
        .retry_blocking(RetryPolicy::retry_on_exception())
        .classify(|_: &&str| staunch::Verdict::TRANSIENT.with_delay_hint(Duration::from_secs(120)))
        .clock(fake.clock())
        .call()
        .unwrap_err();
    assert_eq!(
        hinted.to_string(),
        "gave up after 1 attempt in 0s: server asked to wait 2m, more than max_delay_hint"
    );
    let fatal = (|| Err::<(), _>("400"))
        .retry_blocking(RetryPolicy::retry_on_exception())
        .when(|_: &&str| false)
        .call()
        .unwrap_err();
    assert_eq!(
        fatal.to_string(),
        "gave up after 1 attempt in 0s: error is not retryable"
    );
}

#[test]
fn builder_errors_name_the_field_and_value() {
    let cases = [
        (
            RetryPolicy::builder().max_attempts(0).build(),
            "max_attempts",
            "0",
        ),
        (
            RetryPolicy::builder().wait_min_secs(f64::NAN).build(),
            "wait_min",
            "NaN",
        ),
        (
            RetryPolicy::builder().wait_max_secs(-0.5).build(),
            "wait_max",
            "-0.5",
        ),
        (
            RetryPolicy::builder().deadline_secs(f64::INFINITY).build(),
            "deadline",
            "inf",
        ),
        (
            RetryPolicy::builder().max_delay_hint_secs(1e300).build(),
            "max_delay_hint",
            "1e300",
        ),
        (
            RetryPolicy::builder().wait_min_secs(20.0).build(),
            "wait_min",
            "20s",
        ),
        (
            RetryPolicy::builder().factor(f64::NAN).build(),
            "factor",
            "NaN",
        ),
    ];
    for (result, field, value) in cases {
        let err = result.unwrap_err();
        assert_eq!((err.field(), err.value()), (field, value), "{err}");
    }
    // The first bad value is the one reported.
    let err = RetryPolicy::builder()
        .wait_min_secs(-1.0)
        .wait_max_secs(f64::NAN)
        .build()
        .unwrap_err();
    assert_eq!(err.field(), "wait_min");
    // A good value given later does not hide an earlier bad one.
    let err = RetryPolicy::builder()
        .wait_min_secs(-1.0)
        .wait_min_secs(1.0)
        .build()
        .unwrap_err();
    assert_eq!(err.field(), "wait_min");
}

#[test]
fn f64_setters_accept_the_seed_settings() {
    let policy = RetryPolicy::builder()
        .wait_min_secs(1.0)
        .wait_max_secs(10.0)
        .build()
        .unwrap();
    assert_eq!(policy, RetryPolicy::retry_on_exception());
}
