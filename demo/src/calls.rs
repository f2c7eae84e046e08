//! One call to each service, through its preset policy, and how it ended.
//!
//! The LLM's calls show the fallback too: while the service is down, a ticket it has
//! summarized before is answered from the cache of its last summary.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};

use rmcp::ServiceError;
use sqlx::SqlitePool;
use staunch::policy::PolicyErrorKind;
use staunch::{classify, Policy, PolicyError, Verdict};

use crate::clients::mcp::McpClient;
use crate::clients::{database, llm, mcp, CallError};
use crate::stats::{Call, ErrorCounts, Outcome};

/// The LLM is asked to summarize these many tickets in turn, so answers repeat and a
/// cached one is usually at hand.
const TICKETS: u64 = 8;

/// The last summary of each ticket: the LLM's fallback.
#[derive(Debug, Default)]
pub(crate) struct AnswerCache(Mutex<HashMap<u64, String>>);

impl AnswerCache {
    fn get(&self, ticket: u64) -> Option<String> {
        let answers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        answers.get(&ticket).cloned()
    }

    fn put(&self, ticket: u64, answer: String) {
        let mut answers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        answers.insert(ticket, answer);
    }
}

/// Asks the LLM to summarize a ticket through [`Policy::llm`]; when the policy gives up
/// because the service is down (not because the request is wrong), the cached summary
/// answers instead.
pub(crate) async fn llm(
    http: &reqwest::Client,
    addr: SocketAddr,
    cache: &AnswerCache,
    errors: &ErrorCounts,
    n: u64,
) -> Call {
    let ticket = n % TICKETS;
    let prompt = format!("summarize ticket #{ticket}");
    let ran = Attempts::default();
    let cached = cache.get(ticket);
    let mut fell_back = None;
    let result = Policy::llm()
        .call(|| {
            ran.start();
            errors.watch(llm::complete(http, addr, &prompt), CallError::to_string)
        })
        .classify(CallError::verdict)
        .fallback(|err| match cached {
            Some(answer) if err.kind() != PolicyErrorKind::NotRetryable => {
                fell_back = Some(outcome(Some(&err), ran.get()));
                Ok(answer)
            }
            _ => Err(err),
        })
        .await;
    match (result, fell_back) {
        (Ok(_), Some(outcome)) => Call::new(outcome, ran.get()).cached(),
        (Ok(answer), None) => {
            cache.put(ticket, answer);
            Call::new(Outcome::Succeeded, ran.get())
        }
        (Err(err), _) => Call::new(outcome(Some(&err), ran.get()), ran.get()),
    }
}

/// Calls the MCP tool `search_docs` with the `rmcp` client through [`Policy::mcp`]: a
/// hang is cut by the attempt timeout; MCP errors are judged by [`classify::rmcp`].
pub(crate) async fn mcp(client: &McpClient, errors: &ErrorCounts, n: u64) -> Call {
    let query = format!("retry budget #{n}");
    through(
        Policy::mcp(),
        errors,
        classify::rmcp::verdict,
        describe_mcp,
        || mcp::search_docs(client, &query),
    )
    .await
}

/// Runs a write on the SQLite file through [`Policy::database`]: while the maintenance
/// job holds the write lock, SQLite answers "database is locked" once the busy timeout
/// has passed, which [`classify::sqlx`] finds transient.
pub(crate) async fn database(pool: &SqlitePool, errors: &ErrorCounts, n: u64) -> Call {
    through(
        Policy::database(),
        errors,
        classify::sqlx::verdict,
        describe_sql,
        || database::read_order(pool, n),
    )
    .await
}

/// Runs `call` under `policy`, its errors judged by `verdict`; counts each attempt's
/// error under `describe`'s words, and attempts cut by the timeout.
async fn through<T, E, F, Fut>(
    policy: &Policy,
    errors: &ErrorCounts,
    verdict: fn(&E) -> Verdict,
    describe: fn(&E) -> String,
    mut call: F,
) -> Call
where
    E: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let ran = Attempts::default();
    let result = policy
        .call(|| {
            ran.start();
            errors.watch(call(), describe)
        })
        .classify(verdict)
        .await;
    Call::new(outcome(result.as_ref().err(), ran.get()), ran.get())
}

/// An MCP error in a few words: the JSON-RPC code and message the server answered.
fn describe_mcp(error: &ServiceError) -> String {
    match error {
        ServiceError::McpError(e) => format!("mcp error {}: {}", e.code.0, e.message),
        other => other.to_string(),
    }
}

/// A database error in a few words: SQLite's own message.
fn describe_sql(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(e) => e.message().to_owned(),
        other => other.to_string(),
    }
}

/// How a call ended: `error` is what ended it, if anything; `ran` the attempts that
/// reached the service. A call the open circuit ended before any attempt ran was
/// rejected; one it ended after attempts had failed, failed.
fn outcome<E>(error: Option<&PolicyError<E>>, ran: u32) -> Outcome {
    match error {
        None => Outcome::Succeeded,
        Some(err) if err.is_circuit_open() && ran == 0 => Outcome::Rejected,
        Some(_) => Outcome::Failed,
    }
}

/// Attempts that reached the service: the policy makes an attempt only once the breaker
/// has let it through.
#[derive(Debug, Default)]
struct Attempts(AtomicU32);

impl Attempts {
    fn start(&self) {
        // Relaxed: read after the call, on the same task.
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> u32 {
        // Relaxed: as above.
        self.0.load(Ordering::Relaxed)
    }
}
