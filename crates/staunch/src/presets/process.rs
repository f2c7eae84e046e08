//! The process-wide breakers and policies of the presets: created once from the
//! environment, never panicking on bad settings.

use super::preset::Preset;
use crate::{CircuitBreaker, Policy, Registry, ResilienceSettings};

impl Preset {
    /// The settings from `lookup`, or the defaults with a warning when they are invalid.
    pub(crate) fn settings_or_defaults(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> ResilienceSettings {
        self.settings_from(lookup).unwrap_or_else(|error| {
            tracing::warn!(
                target: "staunch",
                preset = self.name(),
                %error,
                "invalid resilience settings for a preset; using its defaults"
            );
            self.defaults()
        })
    }

    /// Creates (or finds) the registered breaker, from the environment or the defaults.
    pub(crate) fn make_breaker(&self) -> CircuitBreaker {
        let settings = self.settings_or_defaults(|name| {
            std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
        });
        let registry = Registry::global();
        registry
            .get_or_insert_with(self.name(), || self.breaker_builder(&settings).build())
            .or_else(|error| {
                tracing::warn!(target: "staunch", preset = self.name(), %error, "invalid preset breaker; using its defaults");
                registry.get_or_insert_with(self.name(), || {
                    self.breaker_builder(&self.defaults()).build()
                })
            })
            .unwrap_or_else(|_| unreachable!("the preset defaults are valid"))
    }

    /// Builds the process-wide policy around the process-wide breaker.
    pub(crate) fn make_policy(&self) -> Policy {
        let settings = self.settings_or_defaults(|name| {
            std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
        });
        let breaker = self.breaker().clone();
        let budget = self.budget().clone();
        self.policy_builder(&settings, breaker.clone())
            .budget(budget.clone())
            .build()
            .or_else(|_| {
                self.policy_builder(&self.defaults(), breaker.clone())
                    .budget(budget)
                    .build()
            })
            .unwrap_or_else(|_| default_policy(breaker))
    }
}

/// The last resort for settings that can't fail: the seed's policy around `breaker`.
fn default_policy(breaker: CircuitBreaker) -> Policy {
    Policy::builder(breaker.name())
        .breaker(breaker)
        .build()
        .unwrap_or_else(|_| unreachable!("the seed's defaults are valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_settings_fall_back_to_the_defaults_without_panicking() {
        let bad = |name: &str| (name == "LLM_RETRY_MAX_ATTEMPTS").then(|| "zero".to_owned());
        assert!(Preset::LLM.settings_from(bad).is_err());
        assert_eq!(
            Preset::LLM.settings_or_defaults(bad),
            Preset::LLM.defaults()
        );
        let fine = |name: &str| (name == "RETRY_MAX_ATTEMPTS").then(|| "4".to_owned());
        assert_eq!(Preset::LLM.settings_or_defaults(fine).retry_max_attempts, 4);
    }

    #[test]
    fn a_large_threshold_widens_the_llm_window() {
        let mut settings = Preset::LLM.defaults();
        settings.circuit_failure_threshold = 50;
        assert!(Preset::LLM.breaker_builder(&settings).build().is_ok());
    }

    #[test]
    fn only_the_registered_preset_breakers_are_presets() {
        let llm = super::super::LLM_CIRCUIT_BREAKER.clone();
        assert_eq!(Preset::of(&llm), Some(Preset::LLM));
        let impostor = CircuitBreaker::builder("llm").build().unwrap();
        assert_eq!(Preset::of(&impostor), None);
    }
}
