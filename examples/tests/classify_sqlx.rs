//! `classify::sqlx` on errors that SQLite raised through `sqlx`: a real lock held by a
//! second connection, a real pool running dry, real constraint violations.

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Connection, Row, SqliteConnection};
use staunch::{classify, Verdict};

struct Db {
    dir: std::path::PathBuf,
    options: SqliteConnectOptions,
    pool: SqlitePool,
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn database(name: &str) -> Db {
    let dir = std::env::temp_dir().join(format!("staunch-classify-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let options = SqliteConnectOptions::new()
        .filename(dir.join("test.db"))
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(Duration::from_millis(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(100))
        .connect_with(options.clone())
        .await
        .expect("open the database");
    for statement in [
        "CREATE TABLE teams (id INTEGER PRIMARY KEY)",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, \
         age INTEGER CHECK (age >= 0), team INTEGER REFERENCES teams(id))",
        "INSERT INTO teams (id) VALUES (1)",
        "INSERT INTO users (email, age, team) VALUES ('a@example.com', 30, 1)",
    ] {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .expect(statement);
    }
    Db { dir, options, pool }
}

async fn fails(pool: &SqlitePool, sql: &'static str) -> sqlx::Error {
    sqlx::query(sql).execute(pool).await.expect_err(sql)
}

#[tokio::test]
async fn errors_raised_by_sqlite() {
    let db = database("errors").await;
    let pool = &db.pool;
    let table: Vec<(&str, sqlx::Error, Verdict)> = vec![
        (
            "unique violation",
            fails(pool, "INSERT INTO users (email) VALUES ('a@example.com')").await,
            Verdict::IGNORE,
        ),
        (
            "not null violation",
            fails(pool, "INSERT INTO users (email) VALUES (NULL)").await,
            Verdict::IGNORE,
        ),
        (
            "check violation",
            fails(
                pool,
                "INSERT INTO users (email, age) VALUES ('b@example.com', -1)",
            )
            .await,
            Verdict::IGNORE,
        ),
        (
            "foreign key violation",
            fails(
                pool,
                "INSERT INTO users (email, team) VALUES ('c@example.com', 9)",
            )
            .await,
            Verdict::IGNORE,
        ),
        (
            "syntax error",
            fails(pool, "SELEC 1").await,
            Verdict::IGNORE,
        ),
        (
            "no such table",
            fails(pool, "SELECT * FROM nothing").await,
            Verdict::IGNORE,
        ),
        (
            "no row",
            sqlx::query("SELECT id FROM users WHERE id = 99")
                .fetch_one(pool)
                .await
                .unwrap_err(),
            Verdict::IGNORE,
        ),
        (
            "no such column in the row",
            sqlx::query("SELECT id FROM users")
                .fetch_one(pool)
                .await
                .expect("a row")
                .try_get::<i64, _>("missing")
                .unwrap_err(),
            Verdict::IGNORE,
        ),
    ];
    check(table);
}

#[tokio::test]
async fn a_write_lock_held_elsewhere_is_transient() {
    let db = database("locked").await;
    let mut holder = SqliteConnection::connect_with(&db.options)
        .await
        .expect("connect");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .expect("lock");
    let locked = fails(
        &db.pool,
        "INSERT INTO users (email) VALUES ('d@example.com')",
    )
    .await;
    let database_error = locked.as_database_error().expect("a database error");
    assert_eq!(database_error.code().as_deref(), Some("5"), "{locked}");
    assert!(
        locked.to_string().contains("database is locked"),
        "{locked}"
    );
    sqlx::query("COMMIT")
        .execute(&mut holder)
        .await
        .expect("unlock");
    check(vec![("database is locked", locked, Verdict::TRANSIENT)]);
}

#[tokio::test]
async fn a_pool_that_runs_dry_or_closes() {
    let db = database("pool").await;
    let held = db.pool.acquire().await.expect("the only connection");
    let timed_out = db.pool.acquire().await.unwrap_err();
    drop(held);
    db.pool.close().await;
    let closed = db.pool.acquire().await.unwrap_err();
    let cannot_open = SqliteConnection::connect_with(
        &SqliteConnectOptions::new().filename(db.dir.join("no/such/dir/x.db")),
    )
    .await
    .unwrap_err();
    check(vec![
        ("pool timed out", timed_out, Verdict::TRANSIENT),
        ("pool closed", closed, Verdict::IGNORE),
        ("cannot open the file", cannot_open, Verdict::FATAL),
    ]);
}

fn check(table: Vec<(&str, sqlx::Error, Verdict)>) {
    for (what, error, expected) in table {
        assert_eq!(
            classify::sqlx::verdict(&error),
            expected,
            "{what}: {error:?}"
        );
        assert_eq!(
            classify::sqlx::is_transient(&error),
            expected.should_retry(),
            "{what}"
        );
    }
}
