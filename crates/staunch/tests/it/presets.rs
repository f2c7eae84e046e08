//! The predefined breakers and policies: registered, shared by functions with different
//! error types, with per-service defaults and settings.

use std::io;
use std::num::ParseIntError;
use std::time::Duration;

use staunch::classify::http::status_verdict;
use staunch::policy::PolicyErrorKind;
use staunch::presets::{self, DATABASE, LLM, MCP};
use staunch::test_util::FakeClock;
use staunch::{
    CircuitState, Policy, Registry, DATABASE_CIRCUIT_BREAKER, LLM_CIRCUIT_BREAKER,
    MCP_CIRCUIT_BREAKER,
};

use crate::policy::{Api, BOTH};

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn presets_are_registered_under_their_service_names() {
    for (name, breaker) in [
        ("llm", &*LLM_CIRCUIT_BREAKER),
        ("mcp", &*MCP_CIRCUIT_BREAKER),
        ("database", &*DATABASE_CIRCUIT_BREAKER),
    ] {
        assert_eq!(breaker.name(), name);
        assert!(Registry::global().get(name).unwrap().ptr_eq(breaker));
    }
    assert!(Policy::llm().breaker().ptr_eq(&LLM_CIRCUIT_BREAKER));
    assert!(Policy::mcp().breaker().ptr_eq(&MCP_CIRCUIT_BREAKER));
    assert!(Policy::database()
        .breaker()
        .ptr_eq(&DATABASE_CIRCUIT_BREAKER));
    assert!(presets::try_database()
        .unwrap()
        .ptr_eq(&DATABASE_CIRCUIT_BREAKER));
}

fn load_user(
    api: Api,
    policy: &Policy,
    id: u32,
) -> Result<String, staunch::PolicyError<io::Error>> {
    call_both!(api, policy, || Err::<String, _>(io::Error::from(
        io::ErrorKind::TimedOut
    )))
    .map(|name| format!("{id}:{name}"))
}

fn count_rows(api: Api, policy: &Policy) -> Result<u64, staunch::PolicyError<ParseIntError>> {
    call_both!(api, policy, || "many".parse::<u64>())
}

#[test]
fn one_preset_breaker_serves_functions_with_different_errors() {
    for api in BOTH {
        DATABASE_CIRCUIT_BREAKER.reset();
        let fake = FakeClock::new();
        let policy = Policy::database()
            .to_builder()
            .max_attempts(1)
            .clock(fake.clock())
            .build()
            .unwrap();
        assert!(policy.breaker().ptr_eq(&DATABASE_CIRCUIT_BREAKER));
        for _ in 0..3 {
            assert_eq!(
                load_user(api, &policy, 7).unwrap_err().kind(),
                PolicyErrorKind::Exhausted
            );
        }
        assert_eq!(
            count_rows(api, &policy).unwrap_err().kind(),
            PolicyErrorKind::Exhausted
        );
        assert_eq!(DATABASE_CIRCUIT_BREAKER.failure_count(), 4, "{api:?}");
        // The fifth failure, of either type, opens the shared circuit for both.
        let _ = count_rows(api, &policy);
        assert_eq!(
            DATABASE_CIRCUIT_BREAKER.state(),
            CircuitState::Open,
            "{api:?}"
        );
        assert!(
            load_user(api, &policy, 7).unwrap_err().is_circuit_open(),
            "{api:?}"
        );
        assert!(
            count_rows(api, &policy).unwrap_err().is_circuit_open(),
            "{api:?}"
        );
        DATABASE_CIRCUIT_BREAKER.reset();
    }
}

#[test]
fn each_preset_has_its_own_defaults() {
    let table = [
        (LLM, 5, 60, 3, 2_000, 30, 120),
        (MCP, 3, 30, 2, 500, 5, 30),
        (DATABASE, 5, 10, 3, 100, 1, 5),
    ];
    for (preset, threshold, recovery, attempts, wait_min_ms, wait_max, timeout) in table {
        let d = preset.defaults();
        assert_eq!(d.circuit_failure_threshold, threshold, "{}", preset.name());
        assert_eq!(d.circuit_recovery_timeout, recovery * SECOND);
        assert_eq!(d.retry_max_attempts, attempts);
        assert_eq!(d.retry_wait_min, Duration::from_millis(wait_min_ms));
        assert_eq!(d.retry_wait_max, wait_max * SECOND);
        assert_eq!(d.attempt_timeout, Some(timeout * SECOND));
        assert!(d.validate().is_ok());
    }
}

#[test]
fn prefixed_variables_tune_one_preset() {
    let env = |name: &str| match name {
        "RETRY_MAX_ATTEMPTS" => Some("4".to_owned()),
        "LLM_RETRY_MAX_ATTEMPTS" => Some("2".to_owned()),
        "MCP_CIRCUIT_BREAKER_RECOVERY_TIMEOUT" => Some("5s".to_owned()),
        _ => None,
    };
    let llm = LLM.settings_from(env).unwrap();
    let mcp = MCP.settings_from(env).unwrap();
    assert_eq!((llm.retry_max_attempts, mcp.retry_max_attempts), (2, 4));
    assert_eq!(mcp.circuit_recovery_timeout, 5 * SECOND);
    assert_eq!(llm.retry_wait_max, 30 * SECOND); // the preset's default

    let err = DATABASE
        .settings_from(|name| (name == "DATABASE_RETRY_WAIT_MIN").then(|| "soon".to_owned()))
        .unwrap_err();
    assert_eq!(
        (err.field(), err.value()),
        ("DATABASE_RETRY_WAIT_MIN", "soon")
    );
}

#[test]
fn the_llm_breaker_opens_on_slow_calls() {
    let fake = FakeClock::new();
    let breaker = LLM
        .breaker_builder(&LLM.defaults())
        .clock(fake.clock())
        .build()
        .unwrap();
    let policy = LLM
        .policy_builder(&LLM.defaults(), breaker)
        .clock(fake.clock())
        .build()
        .unwrap();
    for _ in 0..5 {
        let reply = policy.call_blocking(|| {
            fake.advance(61 * SECOND); // slow, but within the 120 s attempt timeout
            Ok::<_, String>("a long completion")
        });
        assert!(reply.is_ok());
    }
    assert_eq!(policy.breaker().state(), CircuitState::Open);
}

#[test]
fn the_llm_policy_honours_retry_after() {
    for api in BOTH {
        let fake = FakeClock::new();
        let breaker = LLM
            .breaker_builder(&LLM.defaults())
            .clock(fake.clock())
            .build()
            .unwrap();
        let policy = LLM
            .policy_builder(&LLM.defaults(), breaker)
            .clock(fake.clock())
            .build()
            .unwrap();
        let rate_limited = |retry_after: u64| {
            move |status: &u16| {
                status_verdict(*status).with_delay_hint(Duration::from_secs(retry_after))
            }
        };
        let mut replies = vec![Ok("hi"), Err(429)].into_iter().rev();
        let reply =
            call_both!(api, policy, move || replies.next().unwrap(), .classify(rate_limited(7)));
        assert_eq!(reply.unwrap(), "hi", "{api:?}");
        assert_eq!(fake.sleeps(), [7 * SECOND], "{api:?}"); // above the jittered 2..4 s backoff

        let err = call_both!(api, policy, || Err::<(), _>(429u16), .classify(rate_limited(3600)))
            .unwrap_err();
        assert_eq!(
            (err.kind(), err.attempts()),
            (PolicyErrorKind::HintTooLong, 1),
            "{api:?}"
        );
    }
}

#[test]
fn an_mcp_hang_is_cut_by_the_attempt_timeout() {
    let fake = FakeClock::new();
    let breaker = MCP
        .breaker_builder(&MCP.defaults())
        .clock(fake.clock())
        .build()
        .unwrap();
    let policy = MCP
        .policy_builder(&MCP.defaults(), breaker)
        .clock(fake.clock())
        .build()
        .unwrap();
    let err = crate::policy::block_on(policy.call(std::future::pending::<Result<(), io::Error>>))
        .unwrap_err();
    assert_eq!((err.kind(), err.attempts()), (PolicyErrorKind::Timeout, 2));
    assert_eq!(policy.breaker().failure_count(), 2);
}
