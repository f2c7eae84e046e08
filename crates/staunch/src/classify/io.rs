//! Ready classification of `std::io` errors and runtime timeouts.

use std::io;

use super::Verdict;

/// Whether an I/O error kind is usually transient: timeouts, refused, reset or aborted
/// connections, broken pipes, interruptions and unexpected end of stream.
///
/// ```
/// use std::io::ErrorKind;
/// use staunch::classify::io::is_transient_kind;
///
/// assert!(is_transient_kind(ErrorKind::ConnectionRefused));
/// assert!(!is_transient_kind(ErrorKind::PermissionDenied));
/// ```
pub const fn is_transient_kind(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::TimedOut
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::NotConnected
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::UnexpectedEof
    )
}

/// Whether an I/O error is usually transient (see [`is_transient_kind`]).
///
/// ```
/// use std::io;
/// assert!(staunch::classify::io::is_transient(&io::Error::from(io::ErrorKind::TimedOut)));
/// ```
pub fn is_transient(error: &io::Error) -> bool {
    is_transient_kind(error.kind())
}

/// Classifies an I/O error: transient kinds are [`Verdict::TRANSIENT`], the rest are
/// [`Verdict::IGNORE`] (a missing file or a permission problem is not the dependency
/// being unhealthy).
///
/// ```
/// use std::io;
/// use staunch::{classify, Verdict};
///
/// assert_eq!(classify::io::verdict(&io::ErrorKind::BrokenPipe.into()), Verdict::TRANSIENT);
/// assert_eq!(classify::io::verdict(&io::ErrorKind::NotFound.into()), Verdict::IGNORE);
/// ```
pub fn verdict(error: &io::Error) -> Verdict {
    if is_transient(error) {
        Verdict::TRANSIENT
    } else {
        Verdict::IGNORE
    }
}

/// Whether any error in the `source()` chain is a transient I/O error or a tokio timeout
/// (feature `tokio`). Useful for boxed errors and error enums that wrap `io::Error`.
///
/// ```
/// use std::io;
/// let boxed: Box<dyn std::error::Error + Send + Sync> =
///     Box::new(io::Error::from(io::ErrorKind::ConnectionReset));
/// assert!(staunch::classify::io::chain_is_transient(boxed.as_ref()));
/// ```
pub fn chain_is_transient(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<io::Error>() {
            if is_transient(io) {
                return true;
            }
        }
        if is_runtime_timeout(error) {
            return true;
        }
        current = error.source();
    }
    false
}

/// Whether `error` is the async runtime's timeout error (`tokio::time::error::Elapsed`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use std::time::Duration;
/// let elapsed = tokio::time::timeout(Duration::from_millis(1), std::future::pending::<()>())
///     .await
///     .unwrap_err();
/// assert!(staunch::classify::io::is_runtime_timeout(&elapsed));
/// # }
/// ```
pub fn is_runtime_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    #[cfg(feature = "tokio")]
    {
        error.is::<tokio::time::error::Elapsed>()
    }
    #[cfg(not(feature = "tokio"))]
    {
        let _ = error;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanent_kinds_are_not_transient() {
        for kind in [
            io::ErrorKind::NotFound,
            io::ErrorKind::PermissionDenied,
            io::ErrorKind::InvalidInput,
            io::ErrorKind::InvalidData,
            io::ErrorKind::AlreadyExists,
        ] {
            assert!(!is_transient_kind(kind), "{kind:?}");
        }
    }

    #[test]
    fn chain_finds_a_wrapped_io_error() {
        #[derive(Debug)]
        struct Wrapper(io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("wrapper")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        assert!(chain_is_transient(&Wrapper(io::ErrorKind::TimedOut.into())));
        assert!(!chain_is_transient(&Wrapper(
            io::ErrorKind::NotFound.into()
        )));
    }
}
