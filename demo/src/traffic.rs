//! The load: each service is called at a steady rate, whatever the answers, as a fleet of
//! users would (open-loop), with a bound on the calls in flight.

use std::sync::Arc;
use std::time::Duration;

use staunch::Clock;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::breakers::Guards;
use crate::clients::{database, llm, mcp};
use crate::script::Service;
use crate::services::Services;
use crate::stats::Stats;

/// Calls in flight per service at most; beyond it a tick is skipped.
const MAX_IN_FLIGHT: usize = 32;

/// The running load generators; dropping it stops them.
#[derive(Debug)]
pub(crate) struct Traffic {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Traffic {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// What every call needs.
#[derive(Debug, Clone)]
struct Context {
    http: reqwest::Client,
    clock: Clock,
    guards: Guards,
    stats: Arc<Stats>,
    services: Arc<Services>,
}

/// Starts calling each service `rate` times a second.
pub(crate) fn start(
    services: Arc<Services>,
    guards: Guards,
    stats: Arc<Stats>,
    clock: Clock,
    rate: u32,
) -> Traffic {
    let http = reqwest::Client::new();
    let context = Context {
        http,
        clock,
        guards,
        stats,
        services,
    };
    let interval = Duration::from_secs(1) / rate.max(1);
    let tasks = Service::ALL
        .map(|service| tokio::spawn(drive(context.clone(), service, interval)))
        .into();
    Traffic { tasks }
}

async fn drive(context: Context, service: Service, interval: Duration) {
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    for n in 0u64.. {
        context.clock.sleep(interval).await;
        let Ok(permit) = Arc::clone(&in_flight).try_acquire_owned() else {
            continue;
        };
        let context = context.clone();
        tokio::spawn(async move {
            let (outcome, attempts) = one_call(&context, service, n).await;
            context.stats.calls(service).record(outcome, attempts);
            drop(permit);
        });
    }
}

async fn one_call(context: &Context, service: Service, n: u64) -> (crate::stats::Outcome, u32) {
    let Context {
        http,
        clock,
        guards,
        services,
        ..
    } = context;
    match service {
        Service::Llm => {
            let prompt = format!("summarize ticket #{n}");
            let llm = services.llm;
            let call = || llm::complete(http, clock, llm, &prompt);
            guards.llm.call(call).await
        }
        Service::Mcp => {
            let mcp = services.mcp;
            let call = || mcp::call_tool(http, clock, mcp, n, "search_docs");
            guards.mcp.call(call).await
        }
        Service::Database => {
            let sql = format!("SELECT * FROM orders WHERE id = {n}");
            let db = services.database;
            let call = || database::query(clock, db, &sql);
            guards.database.call(call).await
        }
    }
}
