//! The server-side script, its arguments and its reply.

use std::fmt;

use staunch::CircuitState;

/// The script's source with the clock left open (`--NOW--`).
const TEMPLATE: &str = include_str!("fleet.lua");

/// Production: the server's clock.
const SERVER_NOW: &str = "local t = redis.call('TIME')
now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
epoch_now = t[1] .. string.format('%06d', tonumber(t[2]))";

/// Tests only: the time (ms) comes as the last argument, so boundaries are exact.
#[cfg(test)]
const ARG_NOW: &str = "now = tonumber(ARGV[#ARGV])
epoch_now = s(now * 1000)";

/// The production script text.
pub(crate) fn source() -> String {
    TEMPLATE.replace("--NOW--", SERVER_NOW)
}

/// The test variant, reading the time from its last argument.
#[cfg(test)]
pub(crate) fn source_with_arg_clock() -> String {
    TEMPLATE.replace("--NOW--", ARG_NOW)
}

/// The shared state, as the script codes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Shared {
    Closed = 0,
    Open = 1,
    HalfOpen = 2,
    ForcedOpen = 3,
    ForcedClosed = 4,
}

impl Shared {
    pub(crate) fn from_code(code: i64) -> Option<Shared> {
        Some(match code {
            0 => Shared::Closed,
            1 => Shared::Open,
            2 => Shared::HalfOpen,
            3 => Shared::ForcedOpen,
            4 => Shared::ForcedClosed,
            _ => return None,
        })
    }

    /// The local state that mirrors this shared state.
    pub(crate) fn circuit_state(self) -> CircuitState {
        match self {
            Shared::Closed => CircuitState::Closed,
            Shared::Open => CircuitState::Open,
            Shared::HalfOpen => CircuitState::HalfOpen,
            Shared::ForcedOpen => CircuitState::ForcedOpen,
            Shared::ForcedClosed => CircuitState::Disabled,
        }
    }

    pub(crate) fn from_circuit_state(state: CircuitState) -> Shared {
        match state {
            CircuitState::Open => Shared::Open,
            CircuitState::HalfOpen => Shared::HalfOpen,
            CircuitState::ForcedOpen => Shared::ForcedOpen,
            CircuitState::Disabled => Shared::ForcedClosed,
            _ => Shared::Closed,
        }
    }
}

/// The shared trip policy and timings, sent with every call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Params {
    pub(crate) bucket_ms: u64,
    pub(crate) buckets: u64,
    pub(crate) min_calls: u64,
    pub(crate) rate_pct: u64,
    pub(crate) open_base_ms: u64,
    pub(crate) open_max_ms: u64,
    pub(crate) max_probes: u64,
    pub(crate) half_open_successes: u64,
    pub(crate) ttl_ms: u64,
    pub(crate) lease_ms: u64,
    pub(crate) quorum: u64,
    pub(crate) vote_window_ms: u64,
    pub(crate) replica_window_ms: u64,
}

/// One script call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Outcome deltas (zero deltas: a sync) and the replica's vote.
    Record {
        gen: u64,
        successes: u64,
        failures: u64,
        instance: String,
        local_tripped: bool,
    },
    /// Asks for a half-open probe lease.
    Acquire { lease: String },
    /// Reports a probe: 1 success, 0 failure, -1 abandoned.
    Complete {
        gen: u64,
        lease: String,
        outcome: i8,
    },
    /// Moves the shared state by hand.
    Force { to: Shared },
}

impl Op {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Op::Record { .. } => "record",
            Op::Acquire { .. } => "acquire",
            Op::Complete { .. } => "complete",
            Op::Force { .. } => "force",
        }
    }

    /// The op's own arguments, after the common ones.
    pub(crate) fn args(&self) -> Vec<String> {
        match self {
            Op::Record {
                gen,
                successes,
                failures,
                instance,
                local_tripped,
            } => vec![
                gen.to_string(),
                successes.to_string(),
                failures.to_string(),
                instance.clone(),
                u8::from(*local_tripped).to_string(),
            ],
            Op::Acquire { lease } => vec![lease.clone()],
            Op::Complete {
                gen,
                lease,
                outcome,
            } => vec![gen.to_string(), lease.clone(), outcome.to_string()],
            Op::Force { to } => vec![(*to as u8).to_string()],
        }
    }
}

/// The keys of one breaker: all under the hash tag `{name}`, so one Redis Cluster slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Keys {
    pub(crate) state: String,
    pub(crate) probes: String,
    pub(crate) votes: String,
    pub(crate) replicas: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str, name: &str) -> Keys {
        let state = format!("{prefix}{{{name}}}");
        Keys {
            probes: format!("{state}:probes"),
            votes: format!("{state}:votes"),
            replicas: format!("{state}:replicas"),
            state,
        }
    }

    pub(crate) fn all(&self) -> [&str; 4] {
        [&self.state, &self.probes, &self.votes, &self.replicas]
    }
}

/// One call of the script: its keys, then the operation, the fleet's parameters, the
/// pub/sub channel (empty: no publish), the breaker's name and the operation's arguments,
/// in the order `fleet.lua` reads them.
pub(crate) fn invocation<'a>(
    script: &'a redis::Script,
    keys: &Keys,
    op: &Op,
    p: &Params,
    channel: &str,
    name: &str,
) -> redis::ScriptInvocation<'a> {
    let mut inv = script.prepare_invoke();
    for key in keys.all() {
        inv.key(key);
    }
    inv.arg(op.name());
    for n in [
        p.bucket_ms,
        p.buckets,
        p.min_calls,
        p.rate_pct,
        p.open_base_ms,
        p.open_max_ms,
        p.max_probes,
        p.half_open_successes,
        p.ttl_ms,
        p.lease_ms,
        p.quorum,
        p.vote_window_ms,
        p.replica_window_ms,
    ] {
        inv.arg(n);
    }
    inv.arg(channel).arg(name);
    for a in op.args() {
        inv.arg(a);
    }
    inv
}

/// Whether `name` may name a shared breaker: 1 to 128 of `A-Z a-z 0-9 . _ : -`.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The script's reply: the shared state after the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) applied: bool,
    pub(crate) state: Shared,
    pub(crate) gen: u64,
    pub(crate) since: u64,
    pub(crate) until: u64,
    pub(crate) now: u64,
    pub(crate) trips: u64,
    pub(crate) epoch: u64,
    pub(crate) half_open_successes: u64,
    pub(crate) replicas: u64,
}

/// A reply that doesn't parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BadReply(pub(crate) String);

impl fmt::Display for BadReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unexpected script reply {}", self.0)
    }
}

type Raw = (i64, i64, i64, i64, i64, i64, i64, String, i64, i64);

impl Reply {
    pub(crate) fn from_raw(raw: Raw) -> Result<Reply, BadReply> {
        let text = format!("{raw:?}");
        let bad = || BadReply(text.clone());
        let (applied, st, gen, since, until, now, trips, epoch, hs, replicas) = raw;
        let n = |x: i64| u64::try_from(x).map_err(|_| bad());
        Ok(Reply {
            applied: applied == 1,
            state: Shared::from_code(st).ok_or_else(bad)?,
            gen: n(gen)?,
            since: n(since)?,
            until: n(until)?,
            now: n(now)?,
            trips: n(trips)?,
            epoch: epoch.parse().map_err(|_| bad())?,
            half_open_successes: n(hs)?,
            replicas: n(replicas)?,
        })
    }
}

/// One published transition: `<name> <epoch> <gen> <state> <until_ms> <now_ms>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Message {
    pub(crate) name: String,
    pub(crate) epoch: u64,
    pub(crate) gen: u64,
    pub(crate) state: Shared,
    pub(crate) until: u64,
    pub(crate) now: u64,
}

impl Message {
    pub(crate) fn parse(text: &str) -> Option<Message> {
        let mut parts = text.split(' ');
        let name = parts.next()?.to_owned();
        let mut num = || parts.next()?.parse::<u64>().ok();
        let (epoch, gen, state, until, now) = (num()?, num()?, num()?, num()?, num()?);
        Some(Message {
            name,
            epoch,
            gen,
            state: Shared::from_code(i64::try_from(state).ok()?)?,
            until,
            now,
        })
    }
}

/// The shared state as one replica knows it: which news is newer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Version {
    pub(crate) epoch: u64,
    pub(crate) gen: u64,
}

impl Version {
    /// Whether `other` is news: a later incarnation of the keys (after a flush or expiry),
    /// or a later generation of the same one.
    pub(crate) fn is_older_than(self, other: Version) -> bool {
        other.epoch > self.epoch || (other.epoch == self.epoch && other.gen > self.gen)
    }
}

#[cfg(test)]
mod tests;
