//! The methods of [`Policy`]: constructors, accessors and the calls.

use std::future::Future;
use std::time::Duration;

use super::{BlockingPolicyCall, Policy, PolicyBuilder, PolicyCall, PolicyError};
use crate::engine::step::Layers;
use crate::{CircuitBreaker, Clock, ConfigError, RetryBudget, RetryPolicy};

impl Policy {
    /// The seed's `resilient(max_attempts, failure_threshold, recovery_timeout)`: a retry
    /// of `max_attempts` attempts with waits of 1 s doubling to 10 s, around a new breaker
    /// named `"resilient"`. Use [`builder`](Self::builder) to name it and set more.
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = staunch::Policy::resilient(3, 5, Duration::from_secs(60))?;
    /// assert_eq!(policy.retry().max_attempts(), 3);
    /// assert!(staunch::Policy::resilient(0, 5, Duration::from_secs(60)).is_err());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn resilient(
        max_attempts: u32,
        failure_threshold: u32,
        recovery_timeout: Duration,
    ) -> Result<Self, ConfigError> {
        Self::builder("resilient")
            .max_attempts(max_attempts)
            .failure_threshold(failure_threshold)
            .recovery_timeout(recovery_timeout)
            .build()
    }

    /// A builder for a policy named `name` (its breaker's name), with the seed's
    /// `@resilient` defaults.
    ///
    /// ```
    /// let policy = staunch::Policy::builder("chat").build()?;
    /// assert_eq!(policy.name(), "chat");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn builder(name: impl Into<String>) -> PolicyBuilder {
        PolicyBuilder::new(name.into())
    }

    /// A builder holding this policy's layers (the same breaker and budget), to derive a
    /// variant, such as a preset on a fake clock or with fewer attempts.
    ///
    /// ```
    /// let policy = staunch::Policy::builder("chat").build()?;
    /// let quick = policy.to_builder().max_attempts(1).build()?;
    /// assert!(quick.breaker().ptr_eq(policy.breaker()));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn to_builder(&self) -> PolicyBuilder {
        PolicyBuilder::from_policy(self)
    }

    /// The policy's name: its breaker's, used in events and metric labels.
    ///
    /// ```
    /// assert_eq!(staunch::Policy::resilient(3, 5, std::time::Duration::from_secs(60))?.name(), "resilient");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn name(&self) -> &str {
        self.inner.breaker.name()
    }

    /// The retry layer.
    ///
    /// ```
    /// let policy = staunch::Policy::builder("db").max_attempts(2).build()?;
    /// assert_eq!(policy.retry().max_attempts(), 2);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn retry(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// The breaker layer, to inspect, reset or force.
    ///
    /// ```
    /// use staunch::CircuitState;
    /// let policy = staunch::Policy::builder("db").build()?;
    /// assert_eq!(policy.breaker().state(), CircuitState::Closed);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.inner.breaker
    }

    /// The retry budget, if the policy has one.
    ///
    /// ```
    /// assert!(staunch::Policy::builder("db").build()?.budget().is_none());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn budget(&self) -> Option<&RetryBudget> {
        self.inner.budget.as_ref()
    }

    /// The time limit of each attempt, if any.
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = staunch::Policy::builder("mcp").attempt_timeout(Duration::from_secs(30)).build()?;
    /// assert_eq!(policy.attempt_timeout(), Some(Duration::from_secs(30)));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn attempt_timeout(&self) -> Option<Duration> {
        self.inner.attempt_timeout
    }

    /// The clock the retry and the timeouts run on.
    ///
    /// ```
    /// assert!(staunch::Policy::builder("db").build()?.clock().is_system());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Runs the futures `make` returns under the policy. The returned future can be
    /// refined ([`when`](PolicyCall::when), [`classify`](PolicyCall::classify),
    /// [`fallback`](PolicyCall::fallback)) before it is awaited; by default every error
    /// is transient.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// let policy = staunch::Policy::builder("llm").build()?;
    /// let answer = policy.call(|| async { Ok::<_, std::io::Error>(42) }).await.unwrap();
    /// assert_eq!(answer, 42);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn call<F, Fut, T, E>(&self, make: F) -> PolicyCall<'_, F, Fut>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        PolicyCall::new(self, make)
    }

    /// Runs `f` under the policy in blocking code, every error transient. For a
    /// classifier or a fallback use [`blocking`](Self::blocking).
    ///
    /// ```
    /// let policy = staunch::Policy::builder("db").build()?;
    /// assert_eq!(policy.call_blocking(|| Ok::<_, std::io::Error>(7)).unwrap(), 7);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn call_blocking<F, T, E>(&self, f: F) -> Result<T, PolicyError<E>>
    where
        F: FnMut() -> Result<T, E>,
        E: std::fmt::Debug,
    {
        self.blocking(f).call()
    }

    /// A blocking call under the policy, to refine like the async one
    /// ([`when`](BlockingPolicyCall::when), [`classify`](BlockingPolicyCall::classify),
    /// [`fallback`](BlockingPolicyCall::fallback)) and run with
    /// [`call`](BlockingPolicyCall::call).
    ///
    /// ```
    /// use std::io;
    /// use staunch::{classify, test_util::FakeClock, Policy};
    /// let policy = Policy::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let rows = policy
    ///     .blocking(|| Err::<Vec<u8>, _>(io::Error::from(io::ErrorKind::ConnectionReset)))
    ///     .when(classify::io::is_transient)
    ///     .fallback(|_| Ok(Vec::new()))
    ///     .call()
    ///     .unwrap();
    /// assert!(rows.is_empty());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn blocking<F, T, E>(&self, f: F) -> BlockingPolicyCall<'_, F>
    where
        F: FnMut() -> Result<T, E>,
    {
        BlockingPolicyCall::new(self, f)
    }

    /// What a first attempt needs, worked out when the policy was built.
    #[inline(always)]
    pub(crate) fn shape(&self) -> crate::engine::step::Shape {
        self.inner.shape
    }

    #[inline(always)]
    pub(crate) fn layers(&self) -> Layers<'_> {
        let inner = &*self.inner;
        Layers {
            retry: &inner.retry,
            breaker: Some(&inner.breaker),
            budget: inner.budget.as_ref(),
            attempt_timeout: inner.attempt_timeout,
            max_probe_wait: inner.max_probe_wait,
            clock: &inner.clock,
            name: inner.breaker.name(),
            quiet: false,
            #[cfg(feature = "metrics")]
            metrics: Some(&inner.metrics),
        }
    }
}
