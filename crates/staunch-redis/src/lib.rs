//! Shared circuit breaker state through Redis: a fleet of replicas trips and recovers
//! together.
//!
//! Attach breakers to a [`Fleet`]: breakers with the same name on every replica share
//! one circuit. A trip at one replica is seen by all, recovery is probed by at most
//! [`max_probes`](FleetBuilder::max_probes) replicas fleet-wide, and a close at the
//! prober closes all.
//!
//! ```
//! use staunch::CircuitBreaker;
//! use staunch_redis::{Fleet, SharedExt};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fleet = Fleet::connect("redis://127.0.0.1:1")?; // never blocks, even with Redis down
//! let llm = CircuitBreaker::builder("llm").failure_threshold(5).shared(&fleet).build()?;
//! let reply = llm.call(|| async { Ok::<_, std::io::Error>("hello") }).await?;
//! assert_eq!(reply, "hello");
//! # Ok(()) }
//! ```
//!
//! # How it works
//!
//! - **Nothing on the call path.** Admission is the local breaker's, which the fleet
//!   steers; an outcome adds to an atomic counter. No call ever waits on Redis.
//! - **Background flushes.** Outcomes are flushed every
//!   [`flush_interval`](FleetBuilder::flush_interval) (1 s), and at once when
//!   [`failure_burst`](FleetBuilder::failure_burst) failures (3) gathered, at most once
//!   per 50 ms. A replica with nothing to say still syncs every
//!   [`idle_sync`](FleetBuilder::idle_sync) (5 s).
//! - **One atomic script per transition**, on the server's clock (`TIME`), fenced by a
//!   generation: outcomes from an older generation are dropped. Every transition is
//!   published on `<prefix>events`; each (re)subscription re-reads everything, so a lost
//!   message costs nothing.
//! - **Bounded probes.** After the shared open period a replica needs an expiring lease
//!   to send a probe; at most `max_probes` unexpired leases exist fleet-wide, and a
//!   crashed prober's lease comes back after [`lease`](FleetBuilder::lease).
//! - **Against "one bad node poisons all".** The fleet opens on aggregated counts with a
//!   minimum volume ([`min_calls`](FleetBuilder::min_calls)), or on a
//!   [`quorum`](FleetBuilder::quorum) of replicas whose own breakers tripped; and each
//!   local breaker still opens on its own outcomes to protect its replica (a local
//!   veto) while the fleet stays closed.
//! - **Redis slow, down, flushed, restarted or absent**: every background call is
//!   bounded by [`op_timeout`](FleetBuilder::op_timeout); meanwhile each breaker runs
//!   locally; when Redis answers again the replica re-syncs. Construction never blocks.
//!
//! # Keys (protocol version 1)
//!
//! | Key | Type | Contents |
//! |---|---|---|
//! | `<prefix>{<name>}` | hash | `v` (1), `epoch`, `st`, `gen`, `since`, `until`, `trips`, `hs`, window buckets `e<i>`/`s<i>`/`f<i>` |
//! | `<prefix>{<name>}:probes` | zset | probe lease → expiry (server ms) |
//! | `<prefix>{<name>}:votes` | zset | replica → time of its local trip (quorum only) |
//! | `<prefix>{<name>}:replicas` | zset | replica → last sync |
//! | `<prefix>protocol` | string | the protocol version, `1` |
//! | `<prefix>events` | channel | `<name> <epoch> <gen> <state> <until_ms> <now_ms>` |
//!
//! All keys of a breaker share the hash tag `{<name>}` (one Redis Cluster slot) and expire
//! after [`ttl`](FleetBuilder::ttl) (1 h) unused. A client that finds another protocol
//! version logs an error and runs local-only rather than corrupting the other's state.
//! Needs Redis 5.0 or later (or Valkey).
//!
//! # Guarantees
//!
//! Best-effort coordination, not consensus: counts are approximate (batched, at most
//! once); a replica may admit calls for up to one round trip after a shared trip
//! (pub/sub) or one idle sync if the message is lost; with Redis unreachable each
//! replica is a correct local breaker.

mod error;
mod fleet;
mod link;
mod script;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;

pub use error::Error;
pub use fleet::{Fleet, FleetBuilder, FleetStats, SharedExt, SharedStatus, PROTOCOL_VERSION};
pub use link::from_fleet;
