//! The seed's `DatabaseService` on SQLite through `sqlx`: `#[retry_on_exception]` around
//! `#[circuit_breaker(DATABASE_CIRCUIT_BREAKER)]`, with `classify::sqlx` deciding what a
//! failure means. The failures are real: a second connection holds the write lock
//! (`BEGIN IMMEDIATE`), so SQLite answers "database is locked" once its busy timeout
//! passes; a duplicate e-mail is a constraint violation, the caller's own mistake.
//!
//! Run with `cargo run -p staunch-examples --bin sql_query`.

use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Connection, SqliteConnection};
use staunch::presets::DATABASE;
use staunch::DATABASE_CIRCUIT_BREAKER;
use staunch::{circuit_breaker, classify, retry_on_exception, CircuitOpen, Verdict};
use staunch_examples::Log;
use tokio::sync::Notify;

/// What a query can fail with: the database's error, or the open circuit.
#[derive(Debug)]
enum DbError {
    Sql(sqlx::Error),
    Open(CircuitOpen),
}

impl DbError {
    /// `classify::sqlx` for the database's errors; an open circuit is not retried.
    fn verdict(&self) -> Verdict {
        match self {
            DbError::Sql(e) => classify::sqlx::verdict(e),
            DbError::Open(_) => Verdict::IGNORE,
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        DbError::Sql(e)
    }
}

impl From<CircuitOpen> for DbError {
    fn from(e: CircuitOpen) -> Self {
        DbError::Open(e)
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Sql(e) => e.fmt(f),
            DbError::Open(e) => e.fmt(f),
        }
    }
}

/// Transparent: the message is the inner error's, and so are the causes.
impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DbError::Sql(e) => e.source(),
            DbError::Open(e) => e.source(),
        }
    }
}

struct DatabaseService {
    pool: SqlitePool,
    log: Log,
    /// Told when a query met the lock, so the example's lock holder can let go.
    locked_out: Arc<Notify>,
}

impl DatabaseService {
    /// Every attempt passes the shared `database` breaker (it counts each busy answer);
    /// the retry around it gives up at once when the circuit is open.
    #[circuit_breaker(DATABASE_CIRCUIT_BREAKER, classify = DbError::verdict)]
    #[retry_on_exception(max_attempts = 3, wait_min = "20ms", wait_max = "100ms", classify = DbError::verdict)]
    async fn add_user(&self, email: &str) -> Result<i64, DbError> {
        self.log.attempt();
        let result = sqlx::query("INSERT INTO users (email) VALUES (?)")
            .bind(email)
            .execute(&self.pool)
            .await;
        match result {
            Ok(done) => Ok(done.last_insert_rowid()),
            Err(e) => {
                if classify::sqlx::is_transient(&e) {
                    self.locked_out.notify_one();
                }
                Err(e.into())
            }
        }
    }
}

/// A second connection that holds the write lock until told to commit.
async fn hold_write_lock(options: &SqliteConnectOptions) -> SqliteConnection {
    let mut conn = SqliteConnection::connect_with(options)
        .await
        .expect("second connection");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut conn)
        .await
        .expect("take the write lock");
    conn
}

async fn release(mut conn: SqliteConnection) {
    sqlx::query("COMMIT")
        .execute(&mut conn)
        .await
        .expect("release the write lock");
}

#[tokio::main]
async fn main() {
    let mut settings = DATABASE.settings().expect("valid DATABASE_ settings");
    settings.circuit_failure_threshold = 3;
    settings.circuit_recovery_timeout = Duration::from_millis(500);
    DATABASE.install(&settings).expect("valid settings");

    let dir = std::env::temp_dir().join(format!("staunch-sql-query-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let options = SqliteConnectOptions::new()
        .filename(dir.join("users.db"))
        .create_if_missing(true)
        .busy_timeout(Duration::from_millis(50));
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options.clone())
        .await
        .expect("open the database");
    sqlx::query("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)")
        .execute(&pool)
        .await
        .expect("create the table");

    let log = Log::watch(&DATABASE_CIRCUIT_BREAKER);
    let locked_out = Arc::new(Notify::new());
    let service = DatabaseService {
        pool,
        log: log.clone(),
        locked_out: Arc::clone(&locked_out),
    };
    let add = |email: &'static str, what: &str| {
        log.call(what);
        let service = &service;
        let log = &log;
        async move {
            match service.add_user(email).await {
                Ok(id) => log.outcome(format!("ok: {email} is user {id}")),
                Err(e) => log.outcome(format!("error: {}", staunch_examples::report(&e))),
            }
        }
    };

    add("alice@example.com", "a new user").await;
    add(
        "alice@example.com",
        "the same e-mail: a constraint violation, not retried, not counted",
    )
    .await;

    let lock = hold_write_lock(&options).await;
    let holder = tokio::spawn(async move {
        locked_out.notified().await;
        release(lock).await;
    });
    add(
        "bob@example.com",
        "another connection holds the write lock, then lets go",
    )
    .await;
    holder.await.expect("lock holder");

    let lock = hold_write_lock(&options).await;
    add(
        "carol@example.com",
        "the lock stays held: three failures open the circuit",
    )
    .await;
    add("dave@example.com", "circuit open: rejected without a query").await;
    release(lock).await;

    let retry_in = DATABASE_CIRCUIT_BREAKER.retry_in().unwrap_or_default();
    tokio::time::sleep(retry_in + Duration::from_millis(50)).await;
    add("carol@example.com", "after the recovery timeout: a probe").await;

    let _ = std::fs::remove_dir_all(&dir);
    println!("summary: {}", log.summary());
}
