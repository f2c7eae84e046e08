//! The readiness error of a [`RetryService`](super::RetryService).

use std::time::Duration;

use crate::{RetryError, RetryErrorKind};

/// The error of a request whose inner service failed readiness: not retryable, nothing
/// attempted.
pub(super) fn not_ready<E>(error: E) -> RetryError<E> {
    RetryError::new(RetryErrorKind::NotRetryable, error, 0, Duration::ZERO, None)
}
