//! Retry: a policy, the async future and its blocking twin, and the state machine both
//! run on.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use std::{io, time::Duration};
//! use staunch::test_util::FakeClock;
//! use staunch::{BlockingRetryable, RetryPolicy, Retryable};
//!
//! let policy = RetryPolicy::retry_on_exception(); // 3 attempts, 1 s doubling to 10 s
//! let fake = FakeClock::new();
//!
//! // Async: retry timeouts and connection errors only (the seed's `exception_types`).
//! let err = (|| async { Err::<(), _>(io::Error::from(io::ErrorKind::TimedOut)) })
//!     .retry(policy)
//!     .when(staunch::classify::io::is_transient)
//!     .clock(fake.clock())
//!     .await
//!     .unwrap_err();
//! assert_eq!(err.attempts(), 3);
//!
//! // Blocking, same names.
//! let err = (|| Err::<(), _>(io::Error::from(io::ErrorKind::TimedOut)))
//!     .retry_blocking(policy)
//!     .when(staunch::classify::io::is_transient)
//!     .clock(fake.clock())
//!     .call()
//!     .unwrap_err();
//! assert_eq!(err.attempts(), 3);
//! assert_eq!(fake.total_slept(), Duration::from_secs(2 * (1 + 2)));
//! # }
//! ```
//!
//! # How the pieces fit
//!
//! - [`RetryPolicy`] (validated by [`RetryBuilder`]) is `Copy` and knows nothing of error
//!   types; the call site picks what to retry through the [`Classify`](crate::Classify)
//!   seam (`.when(pred)`, `.classify(c)`; default: everything).
//! - A call takes the policy by value (`.retry(policy)`: the future owns a copy and
//!   borrows nothing, so it can be spawned) or borrowed (`.retry(&policy)`, any
//!   `Borrow<RetryPolicy>`: the future keeps a pointer, which saves the copy on a hot
//!   path). Both run the same engine and behave alike.
//! - [`RetryState`] is the pure decision logic (next delay, stop reason, deadline
//!   trimming, server hints, externally imposed waits). [`Retry`] and [`BlockingRetry`]
//!   run it on the crate's one call engine, as a call without a breaker.
//! - Time and sleeps come from a [`Clock`](crate::Clock), so the retry runs on any
//!   runtime, or none, and tests run instantly on a fake clock.
//! - A first attempt that succeeds reads no clock, draws no random number, emits no
//!   event and allocates nothing.
//! - Each retry emits a `debug` event (`name`, `attempt`, `delay_ms`, `reason`, `error`)
//!   on target `staunch::retry`; giving up emits a `warn` event `gave up` (`debug` when
//!   the error is simply not retryable): the same events, with the same fields, as every
//!   other call form (see the [behaviour table](crate::guide#the-behaviour-table)). With feature `metrics` the counters `staunch_retry_calls_total`
//!   (`name`, `kind`) and `staunch_retry_attempts_total` (`name`) are recorded.

use std::time::Duration;

mod blocking;
mod builder;
mod error;
mod ext;
mod form;
mod future;
mod hooks;
mod policy;
mod state;

pub use blocking::BlockingRetry;
pub use builder::RetryBuilder;
pub use error::{RetryError, RetryErrorKind};
pub use ext::{BlockingRetryable, Retryable};
pub use future::Retry;
pub use hooks::{AcceptOk, NoNotify, Notify, RetryOk, Retrying};
pub use policy::RetryPolicy;
pub use state::{Decision, RetryState};

/// The default cap on server delay hints: one minute. Long enough for the usual
/// `429`/`503` pushback, short enough that `Retry-After: 3600` fails fast instead of
/// parking the caller for an hour.
///
/// ```
/// assert_eq!(staunch::RetryPolicy::default().max_delay_hint(), staunch::retry::DEFAULT_MAX_DELAY_HINT);
/// ```
pub const DEFAULT_MAX_DELAY_HINT: Duration = Duration::from_secs(60);
