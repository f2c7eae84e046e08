//! Start-up checks of the environment, and the record of what runs on defaults.
//!
//! The presets and the attributes read their settings lazily, at first use, and must not
//! panic there: a variable that does not parse makes them run on their defaults. So that
//! such a value is never replaced silently, [`check_env`] reports it at start-up, every
//! fallback is logged at `error` level (target `staunch`), and [`fallbacks`] lists what
//! runs on defaults, for a health check or the dashboard to show.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use crate::presets::{DATABASE, LLM, MCP};
use crate::{ConfigError, ResilienceSettings};

/// Checks every variable staunch reads, as the presets and the attributes would read them,
/// and returns the first error, naming the variable and its value.
///
/// It loads the settings without a prefix (what the attributes read), then those of each
/// preset (`LLM_`, `MCP_`, `DATABASE_` over the plain variables), with the `.env` file when
/// the feature `dotenv` is on. Call it at start-up and refuse to start on an error: later,
/// a preset or an attribute meeting the same value can only log it and use its defaults.
///
/// ```
/// fn main() -> Result<(), staunch::ConfigError> {
///     staunch::settings::check_env()?; // e.g. "invalid RETRY_MAX_ATTEMPTS `abc`: not a whole number"
///     // ... start serving
///     Ok(())
/// }
/// ```
pub fn check_env() -> Result<(), ConfigError> {
    check_env_from(|name| std::env::var_os(name).map(|value| value.to_string_lossy().into_owned()))
}

/// Like [`check_env`], with `lookup` in place of the process environment.
///
/// ```
/// let err = staunch::settings::check_env_from(|name| {
///     (name == "RETRY_MAX_ATTEMPTS").then(|| "abc".to_owned())
/// })
/// .unwrap_err();
/// assert_eq!(err.to_string(), "invalid RETRY_MAX_ATTEMPTS `abc`: not a whole number");
///
/// let err = staunch::settings::check_env_from(|name| {
///     (name == "MCP_CIRCUIT_BREAKER_RECOVERY_TIMEOUT").then(|| "0".to_owned())
/// })
/// .unwrap_err();
/// assert_eq!(err.field(), "MCP_CIRCUIT_BREAKER_RECOVERY_TIMEOUT");
///
/// assert!(staunch::settings::check_env_from(|_| None).is_ok());
/// ```
pub fn check_env_from(lookup: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    let loader = ResilienceSettings::loader();
    #[cfg(feature = "dotenv")]
    let loader = loader.dotenv();
    loader.load_from(&lookup)?;
    for preset in [LLM, MCP, DATABASE] {
        preset.settings_from(&lookup)?;
    }
    Ok(())
}

/// A preset, or an attributed function, running on defaults because its settings did not
/// load.
///
/// ```
/// use staunch::settings::SettingsFallback;
///
/// let fallbacks: Vec<SettingsFallback> = staunch::settings::fallbacks();
/// for fallback in &fallbacks {
///     eprintln!("{} runs on defaults: {}", fallback.name, fallback.error);
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SettingsFallback {
    /// The preset (`llm`, `mcp`, `database`) or the attribute's breaker or function name.
    pub name: String,
    /// Why the settings did not load: the variable and its value.
    pub error: ConfigError,
}

static FALLBACKS: Mutex<BTreeMap<String, ConfigError>> = Mutex::new(BTreeMap::new());

/// Everything in this process that runs on defaults because its settings did not load,
/// by name. Empty when every setting loaded (or nothing has read them yet).
///
/// ```
/// use staunch::presets::MCP_CIRCUIT_BREAKER;
///
/// std::env::set_var("MCP_RETRY_MAX_ATTEMPTS", "abc");
/// assert_eq!(MCP_CIRCUIT_BREAKER.name(), "mcp"); // created on defaults, logged at error level
/// let fallbacks = staunch::settings::fallbacks();
/// assert_eq!(fallbacks[0].name, "mcp");
/// assert_eq!(fallbacks[0].error.field(), "MCP_RETRY_MAX_ATTEMPTS");
/// ```
pub fn fallbacks() -> Vec<SettingsFallback> {
    let map = FALLBACKS.lock().unwrap_or_else(PoisonError::into_inner);
    map.iter()
        .map(|(name, error)| SettingsFallback {
            name: name.clone(),
            error: error.clone(),
        })
        .collect()
}

/// Notes that `name` runs on defaults because of `error` (the caller logs it). The names
/// are those of presets and attributed functions, a set fixed by the program's code.
pub(crate) fn record_fallback(name: &str, error: &ConfigError) {
    let mut map = FALLBACKS.lock().unwrap_or_else(PoisonError::into_inner);
    map.insert(name.to_owned(), error.clone());
}
