//! Circuit breakers: stop calling a dependency that keeps failing, probe it after a
//! while, resume when it answers again.
//!
//! A [`CircuitBreaker`] is a cheap handle (clones share one breaker) with a name, shared by
//! functions with different error types: errors are classified at the call site
//! ([`call_with`](CircuitBreaker::call_with)), never stored. By default it behaves like the
//! seed's `CircuitBreaker(failure_threshold=5, recovery_timeout=60)`:
//!
//! - CLOSED: calls pass; 5 consecutive counted failures open the circuit; a success resets
//!   the count; errors the classifier does not count pass through uncounted.
//! - OPEN: calls are rejected with [`CircuitOpen`], which says when to come back. After the
//!   recovery timeout the next call (checked lazily, no timer thread) becomes a probe.
//! - HALF_OPEN: the probe's success closes the circuit; its failure opens it again.
//!
//! Beyond that, per breaker: a failure rate over a sliding count window or a time window,
//! slow-call detection, several probes with a success threshold, an open period that grows
//! on repeated trips, delay hints that hold the circuit open, and manual states
//! ([`force_open`](CircuitBreaker::force_open), [`disable`](CircuitBreaker::disable)). See
//! [`CircuitBreakerBuilder`].
//!
//! # How it works
//!
//! Underneath everything is a permit ([`CircuitBreaker::try_acquire`] → [`Permit`]): the
//! call wrappers, the tower layer and the attributes all take one, run the call, and report
//! the outcome. A permit dropped without a report (a cancelled future) counts nothing and
//! gives its half-open slot back; reports from an older state are ignored (every change
//! of state bumps a generation that permits carry).
//!
//! The state machine is one 64-bit word holding state, generation, consecutive failures,
//! probes in flight, probe successes and trips, changed only by compare-and-swap of the
//! result of a pure transition function. A successful call on a healthy breaker reads that
//! word twice and writes nothing.
//!
//! ```
//! use std::time::Duration;
//! use staunch::{test_util::FakeClock, BreakerError, CircuitBreaker, CircuitState};
//!
//! let fake = FakeClock::new();
//! let breaker = CircuitBreaker::builder("llm").clock(fake.clock()).build()?;
//! for _ in 0..5 {
//!     let _ = breaker.call_blocking(|| Err::<(), _>("503"));
//! }
//! assert_eq!(breaker.state(), CircuitState::Open);
//! let err = breaker.call_blocking(|| Ok::<_, &str>(())).unwrap_err();
//! assert!(matches!(err, BreakerError::Open(_)));
//!
//! fake.advance(Duration::from_secs(60));
//! breaker.call_blocking(|| Ok::<_, &str>(())).unwrap(); // the probe succeeds
//! assert_eq!(breaker.state(), CircuitState::Closed);
//! # Ok::<(), staunch::ConfigError>(())
//! ```

use std::fmt;
use std::sync::Arc;

mod authority;
mod builder;
mod call;
mod core;
mod error;
mod event;
mod handle;
#[cfg(feature = "metrics")]
mod metrics;
mod open_period;
mod permit;
mod record;
mod snapshot;
mod state;
mod transition;
mod window;
mod word;

pub use authority::{Authority, AuthorityHandle, AuthorityStatus, Outcome, OutcomeKind};
pub use builder::CircuitBreakerBuilder;
#[cfg(feature = "tower")]
pub(crate) use call::finish;
pub use call::{BlockingBreakerCall, BreakerCall};
pub use error::{BreakerError, CircuitOpen};
pub use event::{Event, ListenerId, Transition};
pub use permit::{OwnedPermit, Permit};
pub use snapshot::Snapshot;
pub use state::{CircuitState, ParseStateError};

use self::core::Inner;

/// A circuit breaker: a cheap, thread-safe handle; clones share one breaker.
///
/// Not generic over the error type: one breaker protects one dependency, whatever the
/// functions calling it return.
///
/// ```
/// use staunch::{test_util::FakeClock, CircuitBreaker};
///
/// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
/// let io: Result<u8, std::io::Error> = breaker.call_blocking(|| Ok(1)).map_err(|e| e.into_inner().unwrap());
/// let parse: Result<u8, std::num::ParseIntError> = breaker.call_blocking(|| "2".parse()).map_err(|e| e.into_inner().unwrap());
/// assert_eq!((io.unwrap(), parse.unwrap()), (1, 2));
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct CircuitBreaker {
    inner: Arc<Inner>,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.inner.load();
        f.debug_struct("CircuitBreaker")
            .field("name", &self.inner.name)
            .field(
                "state",
                &self.inner.reported_state(w, self.inner.clock.now()),
            )
            .field("failure_count", &self.inner.failure_count_of(w))
            .finish()
    }
}
