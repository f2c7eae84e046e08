//! Fallbacks: the seed's cached response when the dependency is down. Both APIs.

use std::time::Duration;

use staunch::policy::{PolicyError, PolicyErrorKind};
use staunch::test_util::FakeClock;

use crate::policy::{builder, BOTH};

fn cached(err: PolicyError<&'static str>) -> Result<String, PolicyError<&'static str>> {
    match err.kind() {
        PolicyErrorKind::NotRetryable => Err(err),
        kind => Ok(format!("cached ({kind})")),
    }
}

#[test]
fn an_open_circuit_serves_the_cached_response() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake).build().unwrap();
        policy.breaker().force_open();
        let reply = call_both!(api, policy, || Ok::<_, &'static str>(String::from("fresh")), .fallback(cached));
        assert_eq!(reply.unwrap(), "cached (breaker_open)", "{api:?}");
    }
}

#[test]
fn every_final_error_of_the_dependency_can_fall_back() {
    for api in BOTH {
        let fake = FakeClock::new();
        let exhausted = builder(&fake).build().unwrap();
        let reply = call_both!(api, exhausted, || Err::<String, _>("down"), .fallback(cached));
        assert_eq!(reply.unwrap(), "cached (exhausted)", "{api:?}");

        let timed_out = builder(&fake)
            .max_attempts(1)
            .attempt_timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let slow = || {
            fake.advance(Duration::from_secs(2));
            Err::<String, _>("slow")
        };
        let reply = call_both!(api, timed_out, slow, .fallback(cached));
        assert_eq!(reply.unwrap(), "cached (timeout)", "{api:?}");
    }
}

#[test]
fn a_fallback_can_hand_the_error_back() {
    for api in BOTH {
        let fake = FakeClock::new();
        let policy = builder(&fake).build().unwrap();
        let err = call_both!(
            api,
            policy,
            || Err::<String, _>("bad request"),
            .when(|e: &&str| *e != "bad request"),
            .fallback(cached),
        )
        .unwrap_err();
        assert_eq!(err.kind(), PolicyErrorKind::NotRetryable, "{api:?}");
        assert_eq!(err.into_inner(), Some("bad request"), "{api:?}");
    }
}
