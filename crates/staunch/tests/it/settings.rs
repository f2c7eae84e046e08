//! `ResilienceSettings`: variables, precedence, `.env` files, serde, bad input.

use std::collections::HashMap;
use std::time::Duration;

use proptest::prelude::*;
use staunch::settings::parse_duration;
use staunch::{ConfigError, ResilienceSettings};

const THRESHOLD: &str = "CIRCUIT_BREAKER_FAILURE_THRESHOLD";
const RECOVERY: &str = "CIRCUIT_BREAKER_RECOVERY_TIMEOUT";
const ATTEMPTS: &str = "RETRY_MAX_ATTEMPTS";
const WAIT_MIN: &str = "RETRY_WAIT_MIN";
const WAIT_MAX: &str = "RETRY_WAIT_MAX";

/// A lookup over fixed pairs, in place of the process environment.
fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    let map: HashMap<&str, &str> = pairs.iter().copied().collect();
    move |name| map.get(name).map(|v| (*v).to_owned())
}

fn load(pairs: &[(&str, &str)]) -> Result<ResilienceSettings, ConfigError> {
    ResilienceSettings::from_lookup(env(pairs))
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// The default settings with one field changed through `set`.
fn default_with(set: impl FnOnce(&mut ResilienceSettings)) -> ResilienceSettings {
    let mut settings = ResilienceSettings::default();
    set(&mut settings);
    settings
}

#[test]
fn nothing_set_gives_the_seed_defaults() {
    let settings = load(&[]).unwrap();
    assert_eq!(settings, ResilienceSettings::default());
    assert_eq!(settings.circuit_failure_threshold, 10);
    assert_eq!(settings.circuit_recovery_timeout, secs(60.0));
    assert_eq!(settings.retry_max_attempts, 3);
    assert_eq!(settings.retry_wait_min, secs(1.0));
    assert_eq!(settings.retry_wait_max, secs(10.0));
    assert_eq!(settings.attempt_timeout, None);
}

#[test]
fn unrelated_variables_are_ignored() {
    let settings = load(&[
        ("RETRY_MAX", "x"),
        ("retry_max_attempts", "x"),
        ("PATH", "/bin"),
    ]);
    assert_eq!(settings, Ok(ResilienceSettings::default()));
}

#[test]
fn every_variable_accepts_its_valid_forms() {
    type Case = (&'static str, &'static str, fn(&mut ResilienceSettings));
    let cases: &[Case] = &[
        (THRESHOLD, "1", |s| s.circuit_failure_threshold = 1),
        (THRESHOLD, "10", |s| s.circuit_failure_threshold = 10),
        (THRESHOLD, " 7\n", |s| s.circuit_failure_threshold = 7),
        (THRESHOLD, "+3", |s| s.circuit_failure_threshold = 3),
        (THRESHOLD, "4294967295", |s| {
            s.circuit_failure_threshold = u32::MAX
        }),
        (RECOVERY, "60", |s| s.circuit_recovery_timeout = secs(60.0)),
        (RECOVERY, "1.5", |s| s.circuit_recovery_timeout = secs(1.5)),
        (RECOVERY, "0.001", |s| {
            s.circuit_recovery_timeout = secs(0.001)
        }),
        (RECOVERY, "1e2", |s| {
            s.circuit_recovery_timeout = secs(100.0)
        }),
        (RECOVERY, "500ms", |s| {
            s.circuit_recovery_timeout = secs(0.5)
        }),
        (RECOVERY, "2m", |s| s.circuit_recovery_timeout = secs(120.0)),
        (RECOVERY, "1h 30m", |s| {
            s.circuit_recovery_timeout = secs(5400.0)
        }),
        (RECOVERY, "1h30m", |s| {
            s.circuit_recovery_timeout = secs(5400.0)
        }),
        (RECOVERY, "2 days", |s| {
            s.circuit_recovery_timeout = secs(172_800.0)
        }),
        (ATTEMPTS, "1", |s| s.retry_max_attempts = 1),
        (ATTEMPTS, "3", |s| s.retry_max_attempts = 3),
        (ATTEMPTS, "100", |s| s.retry_max_attempts = 100),
        (WAIT_MIN, "0", |s| s.retry_wait_min = Duration::ZERO),
        (WAIT_MIN, "0.25", |s| s.retry_wait_min = secs(0.25)),
        (WAIT_MIN, "1.0", |s| s.retry_wait_min = secs(1.0)),
        (WAIT_MIN, "250ms", |s| s.retry_wait_min = secs(0.25)),
        (WAIT_MIN, "10s", |s| s.retry_wait_min = secs(10.0)),
        (WAIT_MAX, "1", |s| s.retry_wait_max = secs(1.0)),
        (WAIT_MAX, "10.0", |s| s.retry_wait_max = secs(10.0)),
        (WAIT_MAX, "1m", |s| s.retry_wait_max = secs(60.0)),
        (WAIT_MAX, " 1h 30m ", |s| s.retry_wait_max = secs(5400.0)),
    ];
    for &(variable, value, set) in cases {
        assert_eq!(
            load(&[(variable, value)]),
            Ok(default_with(set)),
            "{variable}={value:?}"
        );
    }
}

#[test]
fn every_bad_value_names_its_variable_and_value() {
    let cases: &[(&str, &str, &str)] = &[
        (THRESHOLD, "", "must not be empty"),
        (THRESHOLD, "   ", "must not be empty"),
        (THRESHOLD, "0", "must be at least 1"),
        (THRESHOLD, "-1", "must not be negative"),
        (THRESHOLD, "ten", "not a whole number"),
        (THRESHOLD, "2.5", "must be a whole number"),
        (THRESHOLD, "4294967296", "too large"),
        (THRESHOLD, "NaN", "whole number"),
        (RECOVERY, "", "must not be empty"),
        (RECOVERY, "0", "must be greater than zero"),
        (RECOVERY, "0ms", "must be greater than zero"),
        (RECOVERY, "-5", "must not be negative"),
        (RECOVERY, "-5s", "must not be negative"),
        (RECOVERY, "inf", "must be finite"),
        (RECOVERY, "-infinity", "must be finite"),
        (RECOVERY, "NaN", "not a number"),
        (RECOVERY, "1e400", "must be finite"),
        (RECOVERY, "1e30", "too large"),
        (RECOVERY, "600 years", "too large"),
        (RECOVERY, "99999999999999999999h", "too large"),
        (RECOVERY, "5 parsecs", "unknown unit `parsecs`"),
        (RECOVERY, "soon", "not a duration"),
        (RECOVERY, "1,5", "not a duration"),
        (ATTEMPTS, "", "must not be empty"),
        (ATTEMPTS, "0", "must be at least 1"),
        (ATTEMPTS, "-3", "must not be negative"),
        (ATTEMPTS, "3.5", "must be a whole number"),
        (ATTEMPTS, "three", "not a whole number"),
        (ATTEMPTS, "99999999999", "too large"),
        (WAIT_MIN, "", "must not be empty"),
        (WAIT_MIN, "-1", "must not be negative"),
        (WAIT_MIN, "nan", "not a number"),
        (WAIT_MIN, "infinity", "must be finite"),
        (WAIT_MIN, "11", "must not exceed retry_wait_max (10s)"),
        (WAIT_MIN, "1m", "must not exceed retry_wait_max (10s)"),
        (WAIT_MAX, "", "must not be empty"),
        (WAIT_MAX, "0.5", "must not be less than retry_wait_min (1s)"),
        (WAIT_MAX, "1 fortnight", "unknown unit"),
    ];
    for &(variable, value, reason) in cases {
        let err = load(&[(variable, value)]).unwrap_err();
        assert_eq!(err.field(), variable, "{value:?}");
        assert_eq!(err.value(), value, "{variable}");
        assert!(
            err.reason().contains(reason),
            "{variable}={value:?}: `{}` lacks `{reason}`",
            err.reason()
        );
        assert_eq!(
            err.to_string(),
            format!("invalid {variable} `{value}`: {}", err.reason())
        );
    }
}

#[test]
fn waits_set_together_blame_the_minimum_and_name_the_maximum() {
    let err = load(&[(WAIT_MIN, "5s"), (WAIT_MAX, "2s")]).unwrap_err();
    assert_eq!(err.field(), WAIT_MIN);
    assert_eq!(err.value(), "5s");
    assert_eq!(err.reason(), "must not exceed RETRY_WAIT_MAX (2s)");
    // Equal is fine.
    assert!(load(&[(WAIT_MIN, "2s"), (WAIT_MAX, "2")]).is_ok());
}

#[test]
fn prefixed_variables_win_over_plain_ones_field_by_field() {
    let pairs = [
        (ATTEMPTS, "5"),
        ("LLM_RETRY_MAX_ATTEMPTS", "2"),
        (WAIT_MAX, "30"),
        ("LLM_CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "15s"),
        ("MCP_RETRY_MAX_ATTEMPTS", "8"),
    ];
    let mut llm_defaults = ResilienceSettings::default();
    llm_defaults.circuit_failure_threshold = 5;
    llm_defaults.circuit_recovery_timeout = secs(90.0);
    llm_defaults.attempt_timeout = Some(secs(30.0));

    let llm = ResilienceSettings::loader()
        .prefix("LLM_")
        .defaults(llm_defaults)
        .load_from(env(&pairs))
        .unwrap();
    assert_eq!(llm.retry_max_attempts, 2, "prefixed beats plain");
    assert_eq!(
        llm.retry_wait_max,
        secs(30.0),
        "plain beats the preset default"
    );
    assert_eq!(
        llm.circuit_recovery_timeout,
        secs(15.0),
        "prefixed beats the preset default"
    );
    assert_eq!(
        llm.circuit_failure_threshold, 5,
        "preset default without variables"
    );
    assert_eq!(
        llm.attempt_timeout,
        Some(secs(30.0)),
        "extensions come from the defaults"
    );
    assert_eq!(llm.retry_wait_min, secs(1.0));

    let plain = load(&pairs).unwrap();
    assert_eq!(
        plain.retry_max_attempts, 5,
        "no prefix reads plain variables only"
    );
    assert_eq!(plain.circuit_recovery_timeout, secs(60.0));

    let empty = ResilienceSettings::loader()
        .prefix("")
        .load_from(env(&pairs));
    assert_eq!(empty, Ok(plain));
}

#[test]
fn only_the_winning_value_is_read() {
    let pairs = [(ATTEMPTS, "many"), ("LLM_RETRY_MAX_ATTEMPTS", "4")];
    let llm = ResilienceSettings::loader()
        .prefix("LLM_")
        .load_from(env(&pairs));
    assert_eq!(llm.map(|s| s.retry_max_attempts), Ok(4));
    assert_eq!(load(&pairs).unwrap_err().field(), ATTEMPTS);
}

#[test]
fn bad_prefixed_values_name_the_prefixed_variable() {
    let pairs = [(WAIT_MIN, "1"), ("DB_RETRY_WAIT_MIN", "-2")];
    let err = ResilienceSettings::loader()
        .prefix("DB_")
        .load_from(env(&pairs))
        .unwrap_err();
    assert_eq!(err.field(), "DB_RETRY_WAIT_MIN");
    assert_eq!(err.value(), "-2");
    assert_eq!(err.reason(), "must not be negative");

    let pairs = [("DB_RETRY_WAIT_MIN", "20"), (WAIT_MAX, "15")];
    let err = ResilienceSettings::loader()
        .prefix("DB_")
        .load_from(env(&pairs))
        .unwrap_err();
    assert_eq!(err.field(), "DB_RETRY_WAIT_MIN");
    assert_eq!(err.reason(), "must not exceed RETRY_WAIT_MAX (15s)");
}

#[test]
fn values_set_in_code_win_over_everything() {
    let pairs = [
        (ATTEMPTS, "5"),
        ("LLM_RETRY_MAX_ATTEMPTS", "4"),
        (RECOVERY, "not even a duration"),
    ];
    let mut defaults = ResilienceSettings::default();
    defaults.retry_max_attempts = 9;
    let settings = ResilienceSettings::loader()
        .prefix("LLM_")
        .defaults(defaults)
        .retry_max_attempts(2)
        .circuit_recovery_timeout(secs(5.0))
        .attempt_timeout(secs(1.0))
        .load_from(env(&pairs))
        .unwrap();
    assert_eq!(settings.retry_max_attempts, 2);
    assert_eq!(settings.circuit_recovery_timeout, secs(5.0));
    assert_eq!(settings.attempt_timeout, Some(secs(1.0)));

    let cleared = ResilienceSettings::loader()
        .defaults(settings)
        .attempt_timeout(None)
        .load_from(|_| None)
        .unwrap();
    assert_eq!(cleared.attempt_timeout, None);
}

#[test]
fn bad_values_in_code_name_the_field() {
    let cases = [
        (
            ResilienceSettings::loader().circuit_failure_threshold(0),
            "circuit_failure_threshold",
            "0",
        ),
        (
            ResilienceSettings::loader().circuit_recovery_timeout(Duration::ZERO),
            "circuit_recovery_timeout",
            "0s",
        ),
        (
            ResilienceSettings::loader().retry_max_attempts(0),
            "retry_max_attempts",
            "0",
        ),
        (
            ResilienceSettings::loader().retry_wait_min(secs(11.0)),
            "retry_wait_min",
            "11s",
        ),
        (
            ResilienceSettings::loader().retry_wait_max(secs(0.5)),
            "retry_wait_max",
            "500ms",
        ),
        (
            ResilienceSettings::loader().attempt_timeout(Duration::ZERO),
            "attempt_timeout",
            "0s",
        ),
        (
            ResilienceSettings::loader().circuit_recovery_timeout(Duration::MAX),
            "circuit_recovery_timeout",
            "",
        ),
    ];
    for (loader, field, value) in cases {
        let err = loader.load_from(|_| None).unwrap_err();
        assert_eq!(err.field(), field);
        if !value.is_empty() {
            assert_eq!(err.value(), value, "{field}");
        }
    }
}

#[test]
fn a_variable_clashing_with_code_is_the_one_blamed() {
    let err = ResilienceSettings::loader()
        .retry_wait_min(secs(20.0))
        .load_from(env(&[(WAIT_MAX, "5")]))
        .unwrap_err();
    assert_eq!(err.field(), WAIT_MAX);
    assert_eq!(err.value(), "5");
    assert_eq!(err.reason(), "must not be less than retry_wait_min (20s)");
}

#[test]
fn validate_checks_hand_built_settings() {
    let mut settings = ResilienceSettings::default();
    assert_eq!(settings.validate(), Ok(()));
    settings.retry_wait_min = secs(30.0);
    let err = settings.validate().unwrap_err();
    assert_eq!(
        (err.field(), err.value(), err.reason()),
        (
            "retry_wait_min",
            "30s",
            "must not exceed retry_wait_max (10s)"
        )
    );
    settings.retry_wait_min = Duration::ZERO;
    settings.retry_wait_max = Duration::ZERO;
    assert_eq!(settings.validate(), Ok(()), "zero waits retry at once");
}

#[test]
fn parse_duration_is_public_and_precise() {
    assert_eq!(parse_duration("0.1"), Ok(Duration::from_millis(100)));
    assert_eq!(parse_duration("1.000000001"), Ok(Duration::new(1, 1)));
    assert_eq!(parse_duration("1500us"), Ok(Duration::from_micros(1500)));
    let err = parse_duration("1e30").unwrap_err();
    assert_eq!(
        (err.input(), err.reason()),
        ("1e30", "too large (at most about 584 years)")
    );
}

#[cfg(feature = "dotenv")]
mod dotenv {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
    }

    #[test]
    fn the_file_fills_in_missing_variables() {
        let settings = ResilienceSettings::loader()
            .env_file(fixture("resilience.env"))
            .load_from(|_| None)
            .unwrap();
        assert_eq!(settings.circuit_failure_threshold, 4);
        assert_eq!(settings.circuit_recovery_timeout, secs(120.0));
        assert_eq!(settings.retry_max_attempts, 7, "the first definition wins");
        assert_eq!(settings.retry_wait_min, secs(0.5));
        assert_eq!(settings.retry_wait_max, secs(20.0));
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let settings = ResilienceSettings::loader()
            .env_file(fixture("resilience.env"))
            .load_from(env(&[(ATTEMPTS, "2"), (WAIT_MAX, "1m")]))
            .unwrap();
        assert_eq!(settings.retry_max_attempts, 2);
        assert_eq!(settings.retry_wait_max, secs(60.0));
        assert_eq!(settings.circuit_failure_threshold, 4, "still from the file");
    }

    #[test]
    fn prefixes_apply_over_file_and_environment_together() {
        let loader = ResilienceSettings::loader()
            .prefix("LLM_")
            .env_file(fixture("resilience.env"));
        // LLM_RETRY_WAIT_MAX from the file beats RETRY_WAIT_MAX from the environment ...
        let settings = loader.load_from(env(&[(WAIT_MAX, "45")])).unwrap();
        assert_eq!(settings.retry_wait_max, secs(90.0));
        // ... and the same variable in the environment beats the file.
        let settings = loader
            .load_from(env(&[("LLM_RETRY_WAIT_MAX", "50")]))
            .unwrap();
        assert_eq!(settings.retry_wait_max, secs(50.0));
    }

    #[test]
    fn the_process_environment_is_left_alone() {
        let marker = "STAUNCH_FIXTURE_MARKER";
        assert!(std::env::var_os(marker).is_none());
        let settings = ResilienceSettings::from_env_file(fixture("resilience.env")).unwrap();
        assert!(std::env::var_os(marker).is_none());
        if std::env::var_os(THRESHOLD).is_none() {
            assert_eq!(settings.circuit_failure_threshold, 4);
        }
    }

    #[test]
    fn bad_values_in_the_file_name_the_variable() {
        const SYNTAX_HINT: &str = "not a duration; write seconds (`1.5`) or a number with a \
                                   unit (`500ms`, `2m`, `1h 30m`)";
        let err = ResilienceSettings::loader()
            .env_file(fixture("invalid.env"))
            .load_from(|_| None)
            .unwrap_err();
        assert_eq!(
            (err.field(), err.value(), err.reason()),
            (WAIT_MIN, "soon", SYNTAX_HINT)
        );
    }

    #[test]
    fn unreadable_files_are_errors() {
        let missing = fixture("missing.env");
        let err = ResilienceSettings::loader()
            .env_file(&missing)
            .load_from(|_| None)
            .unwrap_err();
        assert_eq!(err.field(), "env file");
        assert_eq!(err.value(), missing.display().to_string());
        assert!(err.reason().starts_with("cannot read the file"), "{err}");

        let err = ResilienceSettings::loader()
            .env_file(fixture("malformed.env"))
            .load_from(|_| None)
            .unwrap_err();
        assert_eq!(err.field(), "env file");
        assert!(err.reason().starts_with("cannot parse line"), "{err}");
    }

    #[test]
    fn a_line_that_does_not_parse_is_named_by_number_never_echoed() {
        let path = fixture("secret.env");
        let err = ResilienceSettings::loader()
            .env_file(&path)
            .load_from(|_| None)
            .unwrap_err();
        assert_eq!(err.field(), "env file");
        assert_eq!(err.value(), path.display().to_string());
        assert_eq!(err.reason(), "cannot parse line 4");
        assert!(!err.to_string().contains("sk-live"), "{err}");
        assert!(!format!("{err:?}").contains("sk-live"), "{err:?}");
    }

    #[test]
    fn an_unterminated_quote_is_named_by_the_line_it_opens_on() {
        let err = ResilienceSettings::loader()
            .env_file(fixture("malformed.env"))
            .load_from(|_| None)
            .unwrap_err();
        assert_eq!(err.reason(), "cannot parse line 2");
    }
}

#[cfg(feature = "serde")]
mod serde {
    use super::*;
    use serde_json::json;

    fn from_json(value: serde_json::Value) -> Result<ResilienceSettings, String> {
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_serialize_as_seconds() {
        let json = serde_json::to_value(ResilienceSettings::default()).unwrap();
        assert_eq!(
            json,
            json!({
                "circuit_failure_threshold": 10,
                "circuit_recovery_timeout": 60,
                "retry_max_attempts": 3,
                "retry_wait_min": 1,
                "retry_wait_max": 10,
                "attempt_timeout": null,
            })
        );
    }

    #[test]
    fn round_trips_through_json() {
        let mut settings = ResilienceSettings::default();
        settings.circuit_failure_threshold = 4;
        settings.circuit_recovery_timeout = secs(0.25);
        settings.retry_wait_min = Duration::new(0, 1);
        settings.retry_wait_max = secs(5400.5);
        settings.attempt_timeout = Some(secs(1.5));
        for s in [ResilienceSettings::default(), settings] {
            let text = serde_json::to_string(&s).unwrap();
            assert_eq!(
                serde_json::from_str::<ResilienceSettings>(&text).unwrap(),
                s,
                "{text}"
            );
        }
    }

    #[test]
    fn reads_seconds_and_units() {
        let settings = from_json(json!({
            "circuit_failure_threshold": "7",
            "circuit_recovery_timeout": "2m",
            "retry_max_attempts": 5.0,
            "retry_wait_min": 0.5,
            "retry_wait_max": "1h 30m",
            "attempt_timeout": "500ms",
        }))
        .unwrap();
        assert_eq!(settings.circuit_failure_threshold, 7);
        assert_eq!(settings.circuit_recovery_timeout, secs(120.0));
        assert_eq!(settings.retry_max_attempts, 5);
        assert_eq!(settings.retry_wait_min, secs(0.5));
        assert_eq!(settings.retry_wait_max, secs(5400.0));
        assert_eq!(settings.attempt_timeout, Some(secs(0.5)));
    }

    #[test]
    fn missing_and_null_fields_take_the_defaults() {
        assert_eq!(from_json(json!({})), Ok(ResilienceSettings::default()));
        let settings =
            from_json(json!({"retry_max_attempts": null, "retry_wait_max": 20})).unwrap();
        assert_eq!(settings.retry_max_attempts, 3);
        assert_eq!(settings.retry_wait_max, secs(20.0));
    }

    #[test]
    fn bad_values_name_the_field_and_value() {
        let cases = [
            (
                json!({"retry_wait_min": -1}),
                "invalid retry_wait_min `-1`: must not be negative",
            ),
            (
                json!({"retry_wait_min": "soon"}),
                "invalid retry_wait_min `soon`: not a duration",
            ),
            (
                json!({"retry_wait_min": 20}),
                "invalid retry_wait_min `20`: must not exceed retry_wait_max (10s)",
            ),
            (
                json!({"retry_max_attempts": 0}),
                "invalid retry_max_attempts `0`: must be at least 1",
            ),
            (
                json!({"retry_max_attempts": -2}),
                "invalid retry_max_attempts `-2`: must not be negative",
            ),
            (
                json!({"retry_max_attempts": 5000000000_u64}),
                "invalid retry_max_attempts `5000000000`: too large",
            ),
            (
                json!({"circuit_failure_threshold": 2.5}),
                "invalid circuit_failure_threshold `2.5`: must be a whole number",
            ),
            (
                json!({"circuit_failure_threshold": -2.0}),
                "invalid circuit_failure_threshold `-2`: must not be negative",
            ),
            (
                json!({"circuit_failure_threshold": 1e10}),
                "invalid circuit_failure_threshold `10000000000`: too large",
            ),
            (
                json!({"circuit_recovery_timeout": 1e30}),
                "invalid circuit_recovery_timeout `1000000000000000000000000000000`: too large",
            ),
            (
                json!({"circuit_recovery_timeout": ""}),
                "invalid circuit_recovery_timeout ``: must not be empty",
            ),
            (
                json!({"attempt_timeout": 0}),
                "invalid attempt_timeout `0`: must be greater than zero",
            ),
            (
                json!({"retry_max_attempts": true}),
                "invalid type: boolean `true`",
            ),
        ];
        for (json, expected) in cases {
            let err = from_json(json.clone()).unwrap_err();
            assert!(err.starts_with(expected), "{json}: {err}");
        }
    }

    #[test]
    fn embeds_in_an_application_config() {
        #[derive(::serde::Deserialize)]
        struct App {
            name: String,
            resilience: ResilienceSettings,
            #[serde(flatten)]
            flat: ResilienceSettings,
        }
        let app: App = serde_json::from_str(
            r#"{"name": "chat", "resilience": {"retry_max_attempts": 5}, "retry_wait_max": "30s"}"#,
        )
        .unwrap();
        assert_eq!(app.name, "chat");
        assert_eq!(app.resilience.retry_max_attempts, 5);
        assert_eq!(app.flat.retry_wait_max, secs(30.0));
    }
}

/// Arbitrary text, and text close to valid numbers and durations.
fn values() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-+]?[0-9]{0,25}(\\.[0-9]{0,25})?([eE][-+]?[0-9]{1,4})?",
        "[ 0-9.]{1,12}(ns|us|µs|ms|s|m|h|d|w|y|months|years)?( [0-9]{1,12}[a-z]{0,3}){0,3}",
        "(?i)(nan|[-+]?inf(inity)?)",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// No string in any variable, plain or prefixed, makes loading panic; every failure
    /// names that variable and its value as given.
    #[test]
    fn no_value_makes_loading_panic(index in 0..5_usize, prefixed: bool, value in values()) {
        let variable = ResilienceSettings::ENV_VARS[index];
        let name = if prefixed { format!("LLM_{variable}") } else { variable.to_owned() };
        let result = ResilienceSettings::loader()
            .prefix("LLM_")
            .load_from(|asked| (asked == name).then(|| value.clone()));
        match result {
            Ok(settings) => prop_assert_eq!(settings.validate(), Ok(())),
            Err(err) => {
                prop_assert_eq!(err.field(), name.as_str());
                prop_assert_eq!(err.value(), value.as_str());
                prop_assert!(!err.reason().is_empty());
            }
        }
    }

    /// Every variable set at once, each to arbitrary text: no panic, a valid result or a
    /// named error.
    #[test]
    fn no_combination_makes_loading_panic(values in proptest::array::uniform5(values())) {
        let result = ResilienceSettings::from_lookup(|asked| {
            let index = ResilienceSettings::ENV_VARS.iter().position(|v| *v == asked)?;
            Some(values[index].clone())
        });
        match result {
            Ok(settings) => prop_assert_eq!(settings.validate(), Ok(())),
            Err(err) => prop_assert!(ResilienceSettings::ENV_VARS.contains(&err.field())),
        }
    }

    /// Whatever `parse_duration` accepts, a duration variable takes as is.
    #[test]
    fn durations_parse_the_same_everywhere(value in values()) {
        if let Ok(duration) = parse_duration(&value) {
            let settings = ResilienceSettings::loader()
                .retry_wait_max(Duration::from_nanos(u64::MAX))
                .load_from(|asked| (asked == WAIT_MIN).then(|| value.clone()));
            prop_assert_eq!(settings.map(|s| s.retry_wait_min), Ok(duration));
        }
    }
}
