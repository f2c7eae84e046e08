//! The readiness error of a [`PolicyService`](super::PolicyService).

use std::time::Duration;

use crate::{PolicyError, PolicyErrorKind};

/// The error of a request whose inner service failed readiness: not retryable, nothing
/// attempted.
pub(super) fn not_ready<E>(error: E) -> PolicyError<E> {
    PolicyError::new(
        PolicyErrorKind::NotRetryable,
        Some(error),
        None,
        0,
        Duration::ZERO,
    )
}
