//! The process-wide breakers and policies of the presets: created once from the
//! environment, never panicking on bad settings.

use super::preset::Preset;
use crate::{
    CircuitBreaker, CircuitBreakerBuilder, ConfigError, Policy, Registry, ResilienceSettings,
};

impl Preset {
    /// Makes the process-wide breaker and policy of this service from `settings` rather
    /// than from the environment, and returns that policy.
    ///
    /// The breaker is registered in [`Registry::global`] under the service's name, so it
    /// is the one [`LLM_CIRCUIT_BREAKER`](super::LLM_CIRCUIT_BREAKER) (or its sibling),
    /// the dashboard and the attributes see; the policy, with the service's
    /// [budget](Self::budget), is the one [`Policy::llm`] (or its sibling) returns. Call
    /// it once at start-up, before anything uses the preset: once the breaker or the
    /// policy exists, or a breaker of that name is registered, it changes nothing and
    /// returns an error naming the preset. Invalid settings are refused the same way as
    /// by the builders.
    ///
    /// ```
    /// use std::time::Duration;
    /// use staunch::presets::{MCP, MCP_CIRCUIT_BREAKER};
    /// use staunch::{Policy, Registry};
    ///
    /// let mut settings = MCP.settings()?;
    /// settings.circuit_recovery_timeout = Duration::from_secs(2);
    /// settings.attempt_timeout = Some(Duration::from_millis(500));
    /// let policy = MCP.install(&settings)?;
    /// assert!(std::ptr::eq(policy, Policy::mcp()));
    /// assert!(policy.breaker().ptr_eq(&MCP_CIRCUIT_BREAKER));
    /// assert!(Registry::global().get("mcp").unwrap().ptr_eq(&MCP_CIRCUIT_BREAKER));
    /// assert_eq!(policy.attempt_timeout(), Some(Duration::from_millis(500)));
    ///
    /// let err = MCP.install(&settings).unwrap_err(); // once only
    /// assert_eq!(err.to_string(), "invalid preset `mcp`: already in use; install it before its first use");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn install(&self, settings: &ResilienceSettings) -> Result<&'static Policy, ConfigError> {
        self.install_with(settings, |builder| builder)
    }

    /// [`install`](Self::install), with `customize` given the breaker's builder before it
    /// is built: to attach an [authority](crate::breaker::Authority) such as a fleet's
    /// shared state, a listener or a clock.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use staunch::breaker::{Authority, AuthorityStatus};
    /// use staunch::presets::DATABASE;
    /// use staunch::Policy;
    ///
    /// #[derive(Debug)]
    /// struct Fleet;
    /// impl Authority for Fleet {
    ///     fn status(&self) -> Option<AuthorityStatus> {
    ///         Some(AuthorityStatus::new("fleet", true, None, 3, 1))
    ///     }
    /// }
    /// DATABASE.install_with(&DATABASE.settings()?, |builder| builder.authority(Arc::new(Fleet)))?;
    /// assert_eq!(Policy::database().breaker().authority_status().unwrap().members, 3);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn install_with(
        &self,
        settings: &ResilienceSettings,
        customize: impl FnOnce(CircuitBreakerBuilder) -> CircuitBreakerBuilder,
    ) -> Result<&'static Policy, ConfigError> {
        let in_use = || {
            ConfigError::new(
                "preset",
                self.name(),
                "already in use; install it before its first use",
            )
        };
        let breaker = customize(self.breaker_builder(settings)).build()?;
        let policy = self
            .policy_builder(settings, breaker.clone())
            .budget(self.budget().clone())
            .build()?;
        let slot = super::process_policy(self);
        if slot.get().is_some() {
            return Err(in_use());
        }
        let registered =
            Registry::global().get_or_insert_with(self.name(), || Ok(breaker.clone()))?;
        if !registered.ptr_eq(&breaker) {
            return Err(in_use());
        }
        slot.set(policy).map_err(|_| in_use())?;
        Ok(self.policy())
    }

    /// The settings from `lookup`, or the defaults when they are invalid: logged at error
    /// level and listed by [`fallbacks`](crate::settings::fallbacks).
    pub(crate) fn settings_or_defaults(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> ResilienceSettings {
        self.settings_from(lookup).unwrap_or_else(|error| {
            self.fall_back(&error);
            self.defaults()
        })
    }

    /// Says, at error level and in [`fallbacks`](crate::settings::fallbacks), that this
    /// preset runs on its defaults because of `error`.
    fn fall_back(&self, error: &ConfigError) {
        tracing::error!(
            target: "staunch",
            preset = self.name(),
            %error,
            "invalid resilience settings for a preset; it runs on its defaults"
        );
        crate::settings::record_fallback(self.name(), error);
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
                self.fall_back(&error);
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
            .or_else(|error| {
                self.fall_back(&error);
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
    fn a_preset_in_use_is_not_installed_again() {
        let breaker = Preset::MCP.policy().breaker().clone();
        let mut settings = Preset::MCP.defaults();
        settings.circuit_recovery_timeout = std::time::Duration::from_secs(1);
        let err = Preset::MCP.install(&settings).unwrap_err();
        assert_eq!((err.field(), err.value()), ("preset", "mcp"));
        assert!(Registry::global().get("mcp").unwrap().ptr_eq(&breaker));
        assert!(Preset::MCP.policy().breaker().ptr_eq(&breaker));
    }

    #[test]
    fn only_the_registered_preset_breakers_are_presets() {
        let llm = super::super::LLM_CIRCUIT_BREAKER.clone();
        assert_eq!(Preset::of(&llm), Some(Preset::LLM));
        let impostor = CircuitBreaker::builder("llm").build().unwrap();
        assert_eq!(Preset::of(&impostor), None);
    }
}
