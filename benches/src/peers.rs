//! The peers' breakers, configured alike in every benchmark that measures them: open for
//! an hour once tripped, so a benchmark of the open path never sees a probe.

use std::time::Duration;

/// How long a tripped breaker stays open in the benchmarks.
pub const HOUR: Duration = Duration::from_secs(3600);

/// failsafe's breaker type as [`mod@failsafe`] builds it.
pub type Failsafe = failsafe::StateMachine<
    failsafe::failure_policy::ConsecutiveFailures<failsafe::backoff::Constant>,
    (),
>;

/// failsafe's breaker, opening after `threshold` consecutive failures.
///
/// ```
/// use failsafe::CircuitBreaker as _;
/// let breaker = staunch_benches::peers::failsafe(5);
/// assert!(breaker.is_call_permitted());
/// ```
pub fn failsafe(threshold: u32) -> Failsafe {
    let policy = failsafe::failure_policy::consecutive_failures(
        threshold,
        failsafe::backoff::constant(HOUR),
    );
    failsafe::Config::new().failure_policy(policy).build()
}

/// recloser's breaker, opening at a failure rate of one half over its last `len` calls.
///
/// ```
/// let breaker = staunch_benches::peers::recloser(10);
/// assert_eq!(breaker.call(|| Ok::<_, ()>(1)).ok(), Some(1));
/// ```
pub fn recloser(len: usize) -> recloser::Recloser {
    recloser::Recloser::custom()
        .error_rate(0.5)
        .closed_len(len)
        .open_wait(HOUR)
        .build()
}
