//! A `DatabaseService` on the database preset, in blocking code: a slow query counts as
//! a timeout failure, repeated failures open the shared `database` breaker, and further
//! calls fail fast. The database is an in-process fake.
//!
//! Run with `cargo run -p staunch --example database_service`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use staunch::{CircuitState, Policy, PolicyError, DATABASE_CIRCUIT_BREAKER};

#[derive(Debug)]
#[allow(dead_code)] // the fields are shown through `Debug`
enum DbError {
    ConnectionReset,
    NoSuchRow(u32),
}

/// A database that answers slowly once, then drops connections.
struct FakeDatabase {
    queries: AtomicU32,
}

impl FakeDatabase {
    fn query(&self, id: u32) -> Result<String, DbError> {
        // Relaxed: a counter only this thread reads.
        match self.queries.fetch_add(1, Ordering::Relaxed) {
            0 => Ok(format!("user {id}")),
            1 => {
                std::thread::sleep(Duration::from_millis(150)); // over the 100 ms timeout
                Ok(format!("user {id} (slow)"))
            }
            _ if id == 0 => Err(DbError::NoSuchRow(id)),
            _ => Err(DbError::ConnectionReset),
        }
    }
}

struct DatabaseService {
    db: FakeDatabase,
    policy: Policy,
}

impl DatabaseService {
    fn new() -> Self {
        let policy = Policy::database()
            .to_builder()
            .attempt_timeout(Duration::from_millis(100))
            .wait_min(Duration::from_millis(10))
            .wait_max(Duration::from_millis(50))
            .build()
            .expect("valid settings");
        Self {
            db: FakeDatabase {
                queries: AtomicU32::new(0),
            },
            policy,
        }
    }

    fn user(&self, id: u32) -> Result<String, PolicyError<DbError>> {
        self.policy
            .blocking(|| self.db.query(id))
            // A missing row is the caller's business: returned at once, not counted.
            .when(|e| matches!(e, DbError::ConnectionReset))
            .call()
    }
}

fn main() {
    let service = DatabaseService::new();
    for id in 1..=5 {
        match service.user(id) {
            Ok(user) => println!("user({id}) = {user}"),
            Err(err) => println!("user({id}) failed: {err}"),
        }
        let b = &*DATABASE_CIRCUIT_BREAKER;
        println!(
            "  breaker `{}`: {}, {} failures",
            b.name(),
            b.state(),
            b.failure_count()
        );
    }
    assert_eq!(DATABASE_CIRCUIT_BREAKER.state(), CircuitState::Open);
}
