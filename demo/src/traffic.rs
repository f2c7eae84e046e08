//! The load: each service is called at a steady rate, whatever the answers, as a fleet of
//! users would (open-loop), with a bound on the calls in flight.

use std::sync::Arc;
use std::time::Duration;

use staunch::Clock;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::calls::{self, AnswerCache};
use crate::clients::Clients;
use crate::script::Service;
use crate::services::Services;
use crate::stats::{Call, Stats};

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
    clients: Arc<Clients>,
    clock: Clock,
    cache: Arc<AnswerCache>,
    stats: Arc<Stats>,
    services: Arc<Services>,
}

/// Starts calling each service `rate` times a second with its client, through the preset
/// policies.
pub(crate) fn start(
    services: Arc<Services>,
    clients: Arc<Clients>,
    stats: Arc<Stats>,
    clock: Clock,
    rate: u32,
) -> Traffic {
    let context = Context {
        clients,
        clock,
        cache: Arc::default(),
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
            let call = one_call(&context, service, n).await;
            context.stats.calls(service).record(call);
            drop(permit);
        });
    }
}

async fn one_call(context: &Context, service: Service, n: u64) -> Call {
    let Context {
        clients,
        cache,
        services,
        stats,
        ..
    } = context;
    let errors = stats.errors(service);
    match service {
        Service::Llm => calls::llm(&clients.http, services.llm, cache, errors, n).await,
        Service::Mcp => calls::mcp(&clients.mcp, errors, n).await,
        Service::Database => calls::database(&clients.database, errors, n).await,
    }
}
