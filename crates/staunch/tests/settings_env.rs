//! A variable the operator set but that does not parse is never replaced silently:
//! `check_env` reports it at start-up, and a preset that falls back to its defaults says so
//! at error level and in `fallbacks`. One binary and one test of its own: the test sets
//! process variables and creates the process-wide LLM breaker, and `tracing` keeps a
//! process-wide level hint.

use staunch::presets::LLM_CIRCUIT_BREAKER;
use tracing::Level;

#[path = "support/capture.rs"]
mod support;

#[test]
fn a_bad_variable_is_reported_at_start_up_and_by_the_preset_that_falls_back() {
    std::env::set_var("LLM_RETRY_MAX_ATTEMPTS", "abc");

    let err = staunch::settings::check_env().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid LLM_RETRY_MAX_ATTEMPTS `abc`: not a whole number"
    );

    let events = support::capture("staunch", || {
        assert_eq!(LLM_CIRCUIT_BREAKER.name(), "llm");
    });
    let fallback: Vec<_> = events
        .iter()
        .filter(|e| e.field("preset") == "llm")
        .collect();
    assert_eq!(fallback.len(), 1, "{events:?}");
    assert_eq!(fallback[0].level, Level::ERROR);
    assert!(
        fallback[0]
            .field("error")
            .contains("LLM_RETRY_MAX_ATTEMPTS `abc`"),
        "{:?}",
        fallback[0]
    );

    let fallbacks = staunch::settings::fallbacks();
    let llm = fallbacks.iter().find(|f| f.name == "llm").unwrap();
    assert_eq!(
        (llm.error.field(), llm.error.value()),
        ("LLM_RETRY_MAX_ATTEMPTS", "abc")
    );
    // The preset runs on its defaults, as the fallback says.
    assert_eq!(staunch::Policy::llm().retry().max_attempts(), 3);
}
