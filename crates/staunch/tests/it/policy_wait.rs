//! The breaker-aware retry: it waits exactly until the probe when that fits its patience,
//! and fails fast when it doesn't. Both APIs, on the fake clock.

use std::cell::Cell;
use std::time::Duration;

use staunch::policy::PolicyErrorKind;
use staunch::test_util::FakeClock;
use staunch::CircuitState;

use crate::policy::{builder, BOTH};

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn a_failure_that_opens_the_circuit_waits_exactly_for_the_probe() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake)
            .failure_threshold(1)
            .recovery_timeout(5 * SECOND)
            .build()
            .unwrap();
        let calls = Cell::new(0);
        let value = call_both!(api, policy, || {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                Err("overloaded")
            } else {
                Ok("answer")
            }
        })
        .unwrap();
        assert_eq!(value, "answer", "{api:?}");
        // Not the 1 s backoff into an open circuit: 5 s, exactly to the probe.
        assert_eq!(fake.sleeps(), [5 * SECOND], "{api:?}");
        assert_eq!(
            (calls.get(), policy.breaker().state()),
            (2, CircuitState::Closed),
            "{api:?}"
        );
        assert_eq!(policy.breaker().snapshot().rejected_calls, 0, "{api:?}");
    }
}

#[test]
fn a_refused_call_waits_for_the_probe() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake)
            .failure_threshold(1)
            .recovery_timeout(5 * SECOND)
            .build()
            .unwrap();
        policy.breaker().try_acquire().unwrap().failure();
        fake.advance(SECOND);
        let calls = Cell::new(0);
        let value = call_both!(api, policy, || {
            calls.set(calls.get() + 1);
            Ok::<_, String>(calls.get())
        })
        .unwrap();
        assert_eq!((value, fake.sleeps()), (1, vec![4 * SECOND]), "{api:?}");
        assert_eq!(policy.breaker().state(), CircuitState::Closed, "{api:?}");
    }
}

#[test]
fn each_probe_is_waited_for_while_attempts_last() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake)
            .failure_threshold(1)
            .recovery_timeout(5 * SECOND)
            .build()
            .unwrap();
        let err = call_both!(api, policy, || Err::<(), _>("down")).unwrap_err();
        assert_eq!(
            (err.kind(), err.attempts()),
            (PolicyErrorKind::Exhausted, 3),
            "{api:?}"
        );
        assert_eq!(fake.sleeps(), [5 * SECOND, 5 * SECOND], "{api:?}");
    }
}

#[test]
fn fails_fast_when_the_probe_is_further_than_the_retry_would_wait() {
    for api in BOTH {
        let fake = FakeClock::new();
        // The seed's numbers: 60 s open, waits of at most 10 s, 2 retries: 20 s of patience.
        let policy = builder(&fake).failure_threshold(1).build().unwrap();
        let calls = Cell::new(0);
        let attempt = || {
            calls.set(calls.get() + 1);
            Err::<(), _>("down")
        };
        let err = call_both!(api, policy, attempt).unwrap_err();
        assert_eq!(
            (err.kind(), err.attempts()),
            (PolicyErrorKind::BreakerOpen, 1),
            "{api:?}"
        );
        assert_eq!(err.last_error(), Some(&"down"), "{api:?}");
        assert_eq!(err.retry_after(), Some(60 * SECOND), "{api:?}");
        // A second call is refused without running, and without sleeping either.
        let err = call_both!(api, policy, attempt).unwrap_err();
        assert_eq!(
            (err.kind(), err.last_error()),
            (PolicyErrorKind::BreakerOpen, None),
            "{api:?}"
        );
        assert_eq!(calls.get(), 1, "{api:?}");
        assert!(fake.sleeps().is_empty(), "{api:?}");
    }
}

#[test]
fn a_deadline_sets_the_patience() {
    for (recovery, waits) in [(20, true), (40, false)] {
        for api in BOTH {
            let fake = FakeClock::new();
            let policy = builder(&fake)
                .failure_threshold(1)
                .recovery_timeout(recovery * SECOND)
                .deadline(30 * SECOND)
                .build()
                .unwrap();
            let calls = Cell::new(0);
            let result = call_both!(api, policy, || {
                calls.set(calls.get() + 1);
                if calls.get() == 1 {
                    Err("down")
                } else {
                    Ok(())
                }
            });
            if waits {
                assert!(result.is_ok(), "{api:?}");
                assert_eq!(fake.sleeps(), [20 * SECOND], "{api:?}");
            } else {
                assert_eq!(
                    result.unwrap_err().kind(),
                    PolicyErrorKind::BreakerOpen,
                    "{api:?}"
                );
                assert!(fake.sleeps().is_empty(), "{api:?}");
            }
        }
    }
}

#[test]
fn max_probe_wait_overrides_the_patience() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake)
            .failure_threshold(1)
            .recovery_timeout(5 * SECOND)
            .max_probe_wait(Duration::ZERO)
            .build()
            .unwrap();
        let err = call_both!(api, policy, || Err::<(), _>("down")).unwrap_err();
        assert_eq!(err.kind(), PolicyErrorKind::BreakerOpen, "{api:?}");
        assert!(fake.sleeps().is_empty(), "{api:?}");
    }
}

#[test]
fn when_another_call_holds_the_probe_the_call_fails_fast() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake)
            .failure_threshold(1)
            .recovery_timeout(5 * SECOND)
            .build()
            .unwrap();
        policy.breaker().try_acquire().unwrap().failure();
        fake.advance(5 * SECOND);
        let probe = policy.breaker().try_acquire().unwrap();
        assert!(probe.is_probe());
        let err = call_both!(api, policy, || Ok::<_, String>(())).unwrap_err();
        // No known probe time: the outcome of the probe in flight decides.
        assert_eq!(
            (err.kind(), err.retry_after()),
            (PolicyErrorKind::BreakerOpen, None),
            "{api:?}"
        );
        assert!(fake.sleeps().is_empty(), "{api:?}");
        probe.success();
        assert_eq!(policy.breaker().state(), CircuitState::Closed, "{api:?}");
    }
}

#[test]
fn max_probe_wait_bounds_the_waits_of_a_call_in_total() {
    let ms = Duration::from_millis;
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake)
            .max_attempts(5)
            .wait_min(ms(1))
            .wait_max(ms(10))
            .failure_threshold(1)
            .recovery_timeout(ms(30))
            .max_probe_wait(ms(40))
            .build()
            .unwrap();
        let calls = Cell::new(0);
        let err = call_both!(api, policy, || {
            calls.set(calls.get() + 1);
            Err::<(), _>("down")
        })
        .unwrap_err();
        // The first probe, 30 ms away, fits the 40 ms; the second does not fit the 10 ms
        // left, and the call ends with the failure that reopened the circuit.
        assert_eq!(fake.sleeps(), [ms(30)], "{api:?}");
        assert_eq!(
            (err.kind(), err.attempts(), calls.get()),
            (PolicyErrorKind::BreakerOpen, 2, 2),
            "{api:?}"
        );
        assert_eq!(err.retry_after(), Some(ms(30)), "{api:?}");
    }
}

#[test]
fn a_refusal_waits_from_the_same_patience() {
    let ms = Duration::from_millis;
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake)
            .max_attempts(5)
            .wait_min(ms(1))
            .wait_max(ms(10))
            .failure_threshold(1)
            .recovery_timeout(ms(30))
            .max_probe_wait(ms(50))
            .build()
            .unwrap();
        policy.breaker().try_acquire().unwrap().failure();
        fake.advance(ms(5));
        let calls = Cell::new(0);
        let err = call_both!(api, policy, || {
            calls.set(calls.get() + 1);
            Err::<(), _>("down")
        })
        .unwrap_err();
        // Refused, it waits 25 ms for the probe; the probe fails and the next probe, 30 ms
        // away, does not fit the 25 ms left.
        assert_eq!(fake.sleeps(), [ms(25)], "{api:?}");
        assert_eq!(
            (err.kind(), calls.get()),
            (PolicyErrorKind::BreakerOpen, 1),
            "{api:?}"
        );
    }
}

#[test]
fn by_default_a_call_waits_no_longer_than_its_backoff_could() {
    for api in BOTH {
        let fake = FakeClock::new();
        // Waits of at most 10 s over 4 attempts: 30 s at most in all.
        let policy = builder(&fake)
            .max_attempts(4)
            .failure_threshold(1)
            .recovery_timeout(20 * SECOND)
            .build()
            .unwrap();
        let calls = Cell::new(0);
        let err = call_both!(api, policy, || {
            calls.set(calls.get() + 1);
            Err::<(), _>("down")
        })
        .unwrap_err();
        assert_eq!(fake.sleeps(), [20 * SECOND], "{api:?}");
        assert_eq!(
            (err.kind(), calls.get()),
            (PolicyErrorKind::BreakerOpen, 2),
            "{api:?}"
        );
    }
}
