//! Verdicts for the errors of [`sqlx`](https://docs.rs/sqlx) (feature `sqlx`).
//!
//! A database is fast or broken, and a few of its errors are neither: a lock held by
//! another connection. Those pass when the other transaction ends, so they are retried:
//!
//! | error | verdict |
//! |---|---|
//! | SQLite `SQLITE_BUSY` ("database is locked", busy timeout) and `SQLITE_LOCKED` | transient |
//! | Postgres/MySQL serialization failure `40001`, deadlock `40P01`, lock not available `55P03`, too many connections `53300`, shutdown `57P01`–`57P03`, connection exceptions `08…` | transient |
//! | pool timeout, I/O errors of a passing kind (reset, refused, timed out …) | transient |
//! | constraint violations (unique, foreign key, not null, check, exclusion) | ignored: the caller's data |
//! | no row, bad column, decode and encode errors, a syntax error or another error of the statement | ignored: the caller's query |
//! | SQLite `IOERR`, `CORRUPT`, `FULL`, `CANTOPEN`, `NOMEM`; other I/O, TLS and protocol errors; a crashed worker | fatal: counted, not retried |
//! | the pool closed by the application | ignored |
//!
//! ```
//! use staunch::{classify, Verdict};
//! assert_eq!(classify::sqlx::verdict(&sqlx_core::Error::PoolTimedOut), Verdict::TRANSIENT);
//! assert_eq!(classify::sqlx::verdict(&sqlx_core::Error::RowNotFound), Verdict::IGNORE);
//! ```
//!
//! The table tests of `staunch-examples` check each row on errors that SQLite itself
//! raised, through `sqlx`, with a second connection holding the write lock.

use sqlx_core::error::{DatabaseError, Error, ErrorKind};

use super::{io, Verdict};

/// The verdict for a `sqlx` error (see the [module docs](self) for the table).
///
/// ```
/// use staunch::{classify, Verdict};
/// let reset = sqlx_core::Error::Io(std::io::ErrorKind::ConnectionReset.into());
/// assert_eq!(classify::sqlx::verdict(&reset), Verdict::TRANSIENT);
/// assert_eq!(classify::sqlx::verdict(&sqlx_core::Error::PoolClosed), Verdict::IGNORE);
/// ```
pub fn verdict(error: &Error) -> Verdict {
    match error {
        Error::PoolTimedOut => Verdict::TRANSIENT,
        Error::Io(error) if io::is_transient(error) => Verdict::TRANSIENT,
        Error::Database(error) => database_verdict(error.as_ref()),
        Error::Io(_) | Error::Tls(_) | Error::Protocol(_) | Error::WorkerCrashed => Verdict::FATAL,
        Error::Configuration(_)
        | Error::InvalidArgument(_)
        | Error::RowNotFound
        | Error::TypeNotFound { .. }
        | Error::ColumnIndexOutOfBounds { .. }
        | Error::ColumnNotFound(_)
        | Error::ColumnDecode { .. }
        | Error::Encode(_)
        | Error::Decode(_)
        | Error::PoolClosed
        | Error::InvalidSavePointStatement => Verdict::IGNORE,
        _ => Verdict::FATAL,
    }
}

/// Whether a `sqlx` error is worth another attempt: the predicate for `.when(..)`.
///
/// ```
/// assert!(staunch::classify::sqlx::is_transient(&sqlx_core::Error::PoolTimedOut));
/// assert!(!staunch::classify::sqlx::is_transient(&sqlx_core::Error::RowNotFound));
/// ```
pub fn is_transient(error: &Error) -> bool {
    verdict(error).should_retry()
}

/// The verdict for an error the database returned, from its kind and code.
fn database_verdict(error: &dyn DatabaseError) -> Verdict {
    if !matches!(error.kind(), ErrorKind::Other) {
        return Verdict::IGNORE; // a constraint violation: the caller's data
    }
    match error.code() {
        Some(code) if code.len() == 5 => sqlstate_verdict(&code),
        Some(code) => code.parse().map_or(Verdict::IGNORE, sqlite_verdict),
        None => Verdict::IGNORE,
    }
}

/// The verdict for a SQLite (extended) result code, by its primary code.
///
/// ```
/// use staunch::{classify::sqlx::sqlite_verdict, Verdict};
/// assert_eq!(sqlite_verdict(5), Verdict::TRANSIENT); // SQLITE_BUSY
/// assert_eq!(sqlite_verdict(773), Verdict::TRANSIENT); // SQLITE_BUSY_TIMEOUT
/// assert_eq!(sqlite_verdict(2067), Verdict::IGNORE); // SQLITE_CONSTRAINT_UNIQUE
/// assert_eq!(sqlite_verdict(11), Verdict::FATAL); // SQLITE_CORRUPT
/// ```
pub const fn sqlite_verdict(code: i32) -> Verdict {
    match code & 0xff {
        5 | 6 => Verdict::TRANSIENT,             // BUSY, LOCKED
        7 | 10 | 11 | 13 | 14 => Verdict::FATAL, // NOMEM, IOERR, CORRUPT, FULL, CANTOPEN
        _ => Verdict::IGNORE,
    }
}

/// The verdict for a SQLSTATE (Postgres, MySQL).
///
/// ```
/// use staunch::{classify::sqlx::sqlstate_verdict, Verdict};
/// assert_eq!(sqlstate_verdict("40001"), Verdict::TRANSIENT); // serialization failure
/// assert_eq!(sqlstate_verdict("08006"), Verdict::TRANSIENT); // connection failure
/// assert_eq!(sqlstate_verdict("42601"), Verdict::IGNORE); // syntax error
/// assert_eq!(sqlstate_verdict("XX000"), Verdict::FATAL); // internal error
/// ```
pub fn sqlstate_verdict(code: &str) -> Verdict {
    match code {
        "40001" | "40P01" | "55P03" | "53300" | "57P01" | "57P02" | "57P03" => Verdict::TRANSIENT,
        _ if code.starts_with("08") => Verdict::TRANSIENT,
        _ if ["53", "58", "XX"]
            .iter()
            .any(|class| code.starts_with(class)) =>
        {
            Verdict::FATAL
        }
        _ => Verdict::IGNORE,
    }
}
