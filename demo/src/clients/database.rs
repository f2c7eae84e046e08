//! The database client: a `sqlx` pool on the SQLite file, its errors judged by
//! [`staunch::classify::sqlx`] ("database is locked" and pool timeouts are transient,
//! constraint violations are not).

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::services::database::ORDERS;

/// How long a query waits for a lock before SQLite answers "database is locked": well
/// within the preset's attempt timeout, so the failure is the database's own answer.
const BUSY_TIMEOUT: Duration = Duration::from_millis(100);

/// A pool of connections to the SQLite file at `path`.
pub(crate) async fn connect(path: &Path) -> std::io::Result<SqlitePool> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(BUSY_TIMEOUT)
        // The service made the file a write-ahead log; no write waits on the disk.
        .synchronous(SqliteSynchronous::Off);
    SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_millis(200))
        .connect_with(options)
        .await
        .map_err(std::io::Error::other)
}

/// Counts one more read of order `n` (modulo the table's size); returns its reads so far.
pub(crate) async fn read_order(pool: &SqlitePool, n: u64) -> Result<i64, sqlx::Error> {
    let id = (n % ORDERS) as i64;
    sqlx::query_scalar("UPDATE orders SET reads = reads + 1 WHERE id = ? RETURNING reads")
        .bind(id)
        .fetch_one(pool)
        .await
}
