//! Fleet mode, inside one replica: its breakers share their state with the other
//! replicas' through Redis, and every change of their state is printed as one line, with
//! what the replica knows of the fleet at that moment.
//!
//! The fleet opens when any one replica's breaker trips (a quorum of one): replica 0,
//! whose services have the outages, opens the breakers of the others, whose services stay
//! healthy. Shared open periods match the demo's recovery timeout.

use std::time::Duration;

use staunch::{CircuitBreaker, CircuitState, ConfigError, Event, ListenerId, Registry};
use staunch_redis::Fleet;

use crate::options::Options;
use crate::script::Service;

/// How long a shared OPEN lasts at first, and at most after failed probes.
const OPEN: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(10));

/// This process's place in a fleet.
#[derive(Debug)]
pub(crate) struct Replica {
    index: u32,
    fleet: Fleet,
    listener: Option<ListenerId>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(id) = self.listener.take() {
            Registry::global().remove_listener(id);
        }
    }
}

impl Replica {
    /// Joins the fleet named by `--replica-of` (never blocks: the connection is made in
    /// the background), or `None` outside fleet mode.
    pub(crate) fn join(options: &Options) -> Result<Option<Replica>, ConfigError> {
        let (Some(index), Some(url)) = (options.replica, options.replica_of.as_deref()) else {
            return Ok(None);
        };
        let fleet = Fleet::builder(url)
            .key_prefix(options.fleet_prefix.clone())
            .instance_id(format!("replica-{index}"))
            .quorum(1, Duration::from_secs(10))
            .open_period(OPEN.0, OPEN.1)
            // Longer than an LLM call with its retries, so a probe keeps its lease.
            .lease(Duration::from_secs(5))
            .flush_interval(Duration::from_millis(250))
            // The replicas and their services share the machine's cores: a slow answer is
            // not an outage, and a trip's vote lost to a timeout would leave the others
            // closed. No call waits on Redis either way.
            .op_timeout(Duration::from_secs(2))
            .idle_sync(Duration::from_secs(1))
            // The run's keys go soon after it ends.
            .ttl(Duration::from_secs(120))
            .connect()
            .map_err(|err| ConfigError::new("--replica-of", "the fleet's url", err.to_string()))?;
        Ok(Some(Replica {
            index,
            fleet,
            listener: None,
        }))
    }

    pub(crate) fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// Whether this replica's services have the scripted outages (replica 0 only).
    pub(crate) fn has_outages(&self) -> bool {
        self.index == 0
    }

    /// Prints every state change of the demo's breakers from now on, e.g.
    /// `llm: closed -> open by the fleet (fleet: open, 3 replicas)`, or `on its own calls`
    /// for a trip decided here. Called before the breakers are built, so that not even a
    /// state the fleet had before this replica joined goes unprinted.
    pub(crate) fn print_transitions(&mut self) {
        let id = Registry::global().add_listener(move |event| {
            let Event::Transition(transition) = event else {
                return;
            };
            if !Service::ALL
                .iter()
                .any(|service| service.breaker_name() == transition.name)
            {
                return;
            }
            // Breakers tell their listeners on the thread that made the transition.
            let by = if staunch_redis::from_fleet() {
                "by the fleet"
            } else {
                "on its own calls"
            };
            let fleet = Registry::global()
                .get(&transition.name)
                .map_or_else(|| "not shared".to_owned(), |breaker| fleet_view(&breaker));
            println!(
                "{}: {} -> {} {by} ({fleet})",
                transition.name,
                label(transition.from),
                label(transition.to),
            );
        });
        self.listener = Some(id);
    }
}

/// What the replica knows of the fleet's state of `breaker`.
fn fleet_view(breaker: &CircuitBreaker) -> String {
    match breaker.authority_status() {
        Some(status) if status.connected => format!(
            "fleet: {}, {} replicas",
            status.state.map_or("unknown", label),
            status.members
        ),
        Some(_) => "fleet unreachable: local only".to_owned(),
        None => "not shared".to_owned(),
    }
}

fn label(state: CircuitState) -> &'static str {
    state.as_str()
}
