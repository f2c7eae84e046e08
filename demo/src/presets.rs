//! staunch's presets at demo speed.
//!
//! The demo calls its services through the predefined breakers and policies, as an
//! application would: [`LLM_CIRCUIT_BREAKER`](staunch::presets::LLM_CIRCUIT_BREAKER) and
//! [`Policy::llm`](staunch::Policy::llm), and their `mcp` and `database` siblings, registered in
//! [`Registry::global`](staunch::Registry::global) where the dashboard finds them. Each
//! preset keeps its own way of judging health (a failure rate for the LLM, consecutive
//! failures for MCP and the database), its attempts, jitter, retry budget and its
//! handling of `Retry-After`, and reads its variables (`LLM_RETRY_MAX_ATTEMPTS` ...) as
//! usual. Only the durations are set here, in code: the production ones (circuits open
//! for 60, 30 and 10 s, attempts that may take up to 120 s) would show one cycle a
//! minute, so every circuit probes again after one second, and the attempt timeouts fit
//! local services that answer in milliseconds.
//!
//! The retry waits shrink with the recovery timeout, so that the retries decide as in
//! production: an LLM call waits for the probe of an open circuit (its retries could
//! wait that long anyway: 2 × 500 ms here, 2 × 30 s in production), while an MCP or
//! database call on an open circuit ends at once.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use staunch::presets::{Preset, DATABASE, LLM, MCP};
use staunch::{ConfigError, ResilienceSettings};
use staunch_redis::SharedExt;

/// How long every open circuit waits before it lets a probe through.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(1);

/// A preset's settings from the environment, with the demo's durations.
fn demo_settings(preset: &Preset) -> Result<ResilienceSettings, ConfigError> {
    let ms = Duration::from_millis;
    // (wait_min, wait_max, attempt_timeout) at demo speed; production values in comments.
    let (wait_min, wait_max, attempt_timeout) = match preset.name() {
        "llm" => (ms(50), ms(500), ms(1_000)), // 2 s, 30 s, 120 s
        "mcp" => (ms(20), ms(200), ms(500)),   // 500 ms, 5 s, 30 s
        _ => (ms(10), ms(100), ms(250)),       // 100 ms, 1 s, 5 s
    };
    let mut settings = preset.settings()?;
    settings.circuit_recovery_timeout = RECOVERY_TIMEOUT;
    settings.retry_wait_min = wait_min;
    settings.retry_wait_max = wait_max;
    settings.attempt_timeout = Some(attempt_timeout);
    Ok(settings)
}

/// Installs the three presets with the demo's settings, once per process: from then on
/// the statics, [`Policy::llm`](staunch::Policy::llm) and its siblings, and the registry
/// hold the demo's breakers and policies.
///
/// In a fleet's replica, the breakers share their state through `fleet`.
pub(crate) fn install(fleet: Option<&staunch_redis::Fleet>) -> Result<(), ConfigError> {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    if !*installed {
        for preset in [LLM, MCP, DATABASE] {
            let settings = demo_settings(&preset)?;
            match fleet {
                Some(fleet) => preset.install_with(&settings, |builder| builder.shared(fleet)),
                None => preset.install(&settings),
            }?;
        }
        *installed = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_keeps_the_presets_judgement_and_shortens_their_durations() {
        for preset in [LLM, MCP, DATABASE] {
            let (Ok(settings), Ok(env)) = (demo_settings(&preset), preset.settings()) else {
                continue; // invalid variables in this environment
            };
            assert_eq!(
                settings.circuit_failure_threshold,
                env.circuit_failure_threshold
            );
            assert_eq!(settings.retry_max_attempts, env.retry_max_attempts);
            assert_eq!(settings.circuit_recovery_timeout, RECOVERY_TIMEOUT);
            assert!(settings.attempt_timeout < preset.defaults().attempt_timeout);
            assert!(preset.breaker_builder(&settings).build().is_ok());
        }
    }
}
