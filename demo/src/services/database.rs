//! The database: a SQLite file in a temporary directory, and a maintenance job that holds
//! its write lock during the outage.
//!
//! Healthy, queries run at once. During the outage a connection of its own holds the
//! write lock (`BEGIN IMMEDIATE`, as a long migration would), so every write waits out
//! its busy timeout and SQLite answers "database is locked". The directory and the file
//! are removed when the demo ends.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection};
use tempfile::TempDir;
use tokio::task::JoinHandle;

use crate::script::{Script, Service};

/// How often the maintenance job looks at the script.
const TICK: Duration = Duration::from_millis(20);

/// Orders in the table; the demo's queries touch them in turn.
pub(crate) const ORDERS: u64 = 100;

/// The database file, in a directory that lives as long as this value.
#[derive(Debug)]
pub(crate) struct Database {
    dir: TempDir,
}

impl Database {
    /// The path of the SQLite file.
    pub(crate) fn path(&self) -> PathBuf {
        file(self.dir.path())
    }
}

fn file(dir: &Path) -> PathBuf {
    dir.join("orders.db")
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        // A throwaway file: no write waits on the disk (an fsync on a busy machine can
        // take longer than the clients' busy timeout, and a healthy database would then
        // answer "database is locked"). Only the maintenance job's lock makes an outage.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Off)
        // The maintenance job waits for the writers in flight before it takes the lock.
        .busy_timeout(Duration::from_secs(5))
}

/// Creates the database with its `orders` table and starts the maintenance job.
pub(crate) async fn spawn(script: Script) -> io::Result<(Database, JoinHandle<()>)> {
    let dir = tempfile::Builder::new().prefix("staunch-demo-").tempdir()?;
    let path = file(dir.path());
    let mut conn = SqliteConnection::connect_with(&options(&path))
        .await
        .map_err(io::Error::other)?;
    let create = "CREATE TABLE orders (id INTEGER PRIMARY KEY, reads INTEGER NOT NULL DEFAULT 0)";
    sqlx::query(create)
        .execute(&mut conn)
        .await
        .map_err(io::Error::other)?;
    sqlx::query("WITH RECURSIVE n(id) AS (SELECT 0 UNION ALL SELECT id + 1 FROM n WHERE id + 1 < ?) INSERT INTO orders (id) SELECT id FROM n")
        .bind(ORDERS as i64)
        .execute(&mut conn)
        .await
        .map_err(io::Error::other)?;
    let task = tokio::spawn(maintain(conn, script));
    Ok((Database { dir }, task))
}

/// Holds the write lock while the script says the database is down.
async fn maintain(mut conn: SqliteConnection, script: Script) {
    let mut holding = false;
    loop {
        script.clock().sleep(TICK).await;
        let down = script.is_down(Service::Database);
        if down == holding {
            continue;
        }
        let statement = if down { "BEGIN IMMEDIATE" } else { "COMMIT" };
        // A failure leaves the lock as it was; the next tick tries again.
        if sqlx::query(statement).execute(&mut conn).await.is_ok() {
            holding = down;
        }
    }
}
