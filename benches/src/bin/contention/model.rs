//! The published simulator's model, message for message.
//!
//! One row with a version number sits on a server; every client updates it exactly
//! once, by optimistic concurrency. Each message crosses the network with its own delay,
//! `|Normal(10 ms, 2 ms)|`, drawn when it is sent:
//!
//! 1. at time 0 every client sends a read; it reaches the server after one delay;
//! 2. the server answers with the version it holds *when the read arrives*; the answer
//!    reaches the client after one delay;
//! 3. the client sends a write conditional on that version; it reaches the server after
//!    one delay, and the server counts one call: the write wins if the version is still
//!    the one read (the version then moves on), and loses otherwise;
//! 4. the verdict reaches the client after one delay. A winner is done. A loser counts
//!    one more attempt `n` and sends its next read, which reaches the server after one
//!    delay plus the wait of retry `n`; back to 2.
//!
//! The run ends when the last verdict is delivered; its time is the completion time.
//! Events are taken in time order (ties, which the published simulator never meets with
//! its continuous delays, in the order they were scheduled).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use crate::scheme::Scheme;

/// What one run produced.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Outcome {
    /// Conditional writes that reached the server ("work").
    pub(crate) calls: u64,
    /// Time, in nanoseconds, at which the last client learnt that its write won.
    pub(crate) completion_ns: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// A read reaches the server.
    Read,
    /// The server's answer, carrying `version`, reaches the client.
    ReadReply { version: u64 },
    /// A write made against `version` reaches the server.
    Write { version: u64 },
    /// The verdict reaches the client.
    WriteReply { won: bool },
}

/// `|Normal(10 ms, 2 ms)|` in nanoseconds (Box–Muller).
fn network_delay(rng: &mut fastrand::Rng) -> u64 {
    let (u1, u2) = (1.0 - rng.f64(), rng.f64());
    let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    ((10.0 + 2.0 * normal).abs() * 1e6) as u64
}

/// One run of `clients` clients backing off by `scheme`, reproducible from `seed`.
pub(crate) fn run(scheme: Scheme, clients: usize, seed: u64) -> Outcome {
    let mut net = fastrand::Rng::with_seed(seed);
    let mut waits: Vec<_> = (0..clients)
        .map(|c| scheme.waits(seed ^ (c as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407)))
        .collect();
    // (time, order of scheduling, client, event): a min-heap on time, then order.
    let mut queue = BinaryHeap::with_capacity(clients);
    let mut order = 0u64;
    let mut send = |queue: &mut BinaryHeap<_>, at: u64, client: usize, event: Event| {
        queue.push(Reverse((at, order, client, event)));
        order += 1;
    };
    for client in 0..clients {
        let at = network_delay(&mut net);
        send(&mut queue, at, client, Event::Read);
    }
    let (mut version, mut calls, mut now) = (0u64, 0u64, 0u64);
    while let Some(Reverse((at, _, client, event))) = queue.pop() {
        now = at;
        let delay = network_delay(&mut net);
        match event {
            Event::Read => send(
                &mut queue,
                now + delay,
                client,
                Event::ReadReply { version },
            ),
            Event::ReadReply { version: read } => {
                send(
                    &mut queue,
                    now + delay,
                    client,
                    Event::Write { version: read },
                );
            }
            Event::Write { version: read } => {
                calls += 1;
                let won = read == version;
                if won {
                    version += 1;
                }
                send(&mut queue, now + delay, client, Event::WriteReply { won });
            }
            Event::WriteReply { won: true } => {}
            Event::WriteReply { won: false } => {
                let wait = waits[client].next().unwrap_or(Duration::ZERO);
                let wait = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
                send(&mut queue, now + delay + wait, client, Event::Read);
            }
        }
    }
    debug_assert_eq!(version, clients as u64, "every client won once");
    Outcome {
        calls,
        completion_ns: now,
    }
}
