//! The script against a real `redis-server`, and against an in-memory reference model on
//! random operation sequences (lost, duplicated and stale messages included).

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::testing::RedisServer;

fn params() -> Params {
    Params {
        bucket_ms: 100,
        buckets: 10,
        min_calls: 5,
        rate_pct: 50,
        open_base_ms: 1_000,
        open_max_ms: 8_000,
        max_probes: 2,
        half_open_successes: 2,
        ttl_ms: 3_600_000,
        lease_ms: 500,
        quorum: 0,
        vote_window_ms: 60_000,
        replica_window_ms: 60_000,
    }
}

/// A connection and the script with the clock taken from the last argument.
struct Server {
    _server: RedisServer,
    conn: redis::Connection,
    script: redis::Script,
    real: redis::Script,
    url: String,
}

impl Server {
    fn start() -> Option<Server> {
        let server = RedisServer::start()?;
        let url = server.url();
        let conn = redis::Client::open(url.as_str())
            .unwrap()
            .get_connection()
            .unwrap();
        Some(Server {
            _server: server,
            conn,
            script: redis::Script::new(&source_with_arg_clock()),
            real: redis::Script::new(&source()),
            url,
        })
    }

    fn run(
        &mut self,
        name: &str,
        p: &Params,
        channel: &str,
        op: &Op,
        now: Option<u64>,
    ) -> redis::RedisResult<Reply> {
        let keys = Keys::new("t:", name);
        let script = if now.is_some() {
            &self.script
        } else {
            &self.real
        };
        let mut inv = invocation(script, &keys, op, p, channel, name);
        if let Some(now) = now {
            inv.arg(now);
        }
        let raw: Raw = inv.invoke(&mut self.conn)?;
        Ok(Reply::from_raw(raw).unwrap())
    }
}

fn record(gen: u64, successes: u64, failures: u64, instance: &str, local_tripped: bool) -> Op {
    Op::Record {
        gen,
        successes,
        failures,
        instance: instance.into(),
        local_tripped,
    }
}

fn acquire(lease: &str) -> Op {
    Op::Acquire {
        lease: lease.into(),
    }
}

fn complete(gen: u64, lease: &str, outcome: i8) -> Op {
    Op::Complete {
        gen,
        lease: lease.into(),
        outcome,
    }
}

/// The reference model: what the script does, in plain Rust.
#[derive(Clone, Debug, Default)]
struct Model {
    hash: Option<Hash>,
    probes: BTreeMap<String, u64>,
    votes: BTreeMap<String, u64>,
    replicas: BTreeMap<String, u64>,
    published: Vec<String>,
}

#[derive(Clone, Debug)]
struct Hash {
    epoch: u64,
    st: u64,
    gen: u64,
    since: u64,
    until: u64,
    trips: u64,
    hs: u64,
    buckets: BTreeMap<u64, (u64, u64, u64)>,
}

impl Model {
    fn run(&mut self, name: &str, p: &Params, op: &Op, now: u64) -> Reply {
        if self.hash.is_none() {
            self.probes.clear();
            self.votes.clear();
            self.hash = Some(Hash {
                epoch: now * 1000,
                st: 0,
                gen: 1,
                since: now,
                until: 0,
                trips: 0,
                hs: 0,
                buckets: BTreeMap::new(),
            });
        }
        let mut h = self.hash.take().unwrap();
        let transition = |h: &mut Hash, m: &mut Model, to: u64| {
            h.gen += 1;
            h.st = to;
            h.since = now;
            h.hs = 0;
            if to == 1 {
                h.trips += 1;
                let d = p
                    .open_base_ms
                    .saturating_mul(1 << (h.trips - 1).min(40))
                    .min(p.open_max_ms);
                h.until = now + d;
            } else {
                h.until = 0;
            }
            if to == 0 || to == 4 {
                h.trips = 0;
            }
            h.buckets.clear();
            m.probes.clear();
            m.votes.clear();
            m.published.push(format!(
                "{name} {} {} {} {} {now}",
                h.epoch, h.gen, h.st, h.until
            ));
        };
        if h.st == 1 && now >= h.until {
            transition(&mut h, self, 2);
        }
        let mut applied = false;
        match op {
            Op::Record {
                gen,
                successes,
                failures,
                instance,
                local_tripped,
            } => {
                self.replicas.insert(instance.clone(), now);
                self.replicas.retain(|_, t| {
                    *t > now.saturating_sub(p.replica_window_ms) || now < p.replica_window_ms
                });
                if h.st == 0 && *gen == h.gen {
                    applied = true;
                    if successes + failures > 0 {
                        let b = now / p.bucket_ms;
                        let slot = b % p.buckets;
                        let e = h.buckets.entry(slot).or_insert((b, 0, 0));
                        if e.0 != b {
                            *e = (b, 0, 0);
                        }
                        e.1 += successes;
                        e.2 += failures;
                        if p.quorum == 0 {
                            let (mut calls, mut fails) = (0, 0);
                            for (e, s, f) in h.buckets.values() {
                                if e + p.buckets > b {
                                    calls += s + f;
                                    fails += f;
                                }
                            }
                            if calls >= p.min_calls && fails * 100 >= p.rate_pct * calls {
                                transition(&mut h, self, 1);
                            }
                        }
                    }
                    if h.st == 0 && p.quorum > 0 && *local_tripped {
                        self.votes.insert(instance.clone(), now);
                        self.votes
                            .retain(|_, t| *t as i64 > now as i64 - p.vote_window_ms as i64);
                        if self.votes.len() as u64 >= p.quorum {
                            transition(&mut h, self, 1);
                        }
                    }
                }
            }
            Op::Acquire { lease } => {
                if h.st == 2 {
                    self.probes.retain(|_, expiry| *expiry > now);
                    if self.probes.len() as u64 + h.hs < p.max_probes {
                        self.probes.insert(lease.clone(), now + p.lease_ms);
                        applied = true;
                    }
                }
            }
            Op::Complete {
                gen,
                lease,
                outcome,
            } => {
                let expiry = self.probes.remove(lease);
                if expiry.is_some_and(|e| e > now) && *gen == h.gen && h.st == 2 && *outcome != -1 {
                    applied = true;
                    if *outcome == 0 {
                        transition(&mut h, self, 1);
                    } else {
                        h.hs += 1;
                        if h.hs >= p.half_open_successes {
                            transition(&mut h, self, 0);
                        }
                    }
                }
            }
            Op::Force { to } => {
                transition(&mut h, self, *to as u64);
                applied = true;
            }
        }
        let reply = Reply {
            applied,
            state: Shared::from_code(h.st as i64).unwrap(),
            gen: h.gen,
            since: h.since,
            until: h.until,
            now,
            trips: h.trips,
            epoch: h.epoch,
            half_open_successes: h.hs,
            replicas: self.replicas.len() as u64,
        };
        self.hash = Some(h);
        reply
    }
}

/// Collects what was published on `channel` since `pubsub` subscribed.
fn drain(pubsub: &mut redis::PubSub<'_>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(msg) = pubsub.get_message() {
        out.push(msg.get_payload::<String>().unwrap());
    }
    out
}

#[test]
fn conformance_cases() {
    let Some(mut s) = Server::start() else { return };
    let p = params();
    let n = "case";
    let t0 = 1_000_000;
    let r = s
        .run(n, &p, "", &record(0, 0, 0, "a", false), Some(t0))
        .unwrap();
    assert_eq!(
        (r.state, r.gen, r.since, r.until, r.trips, r.applied),
        (Shared::Closed, 1, t0, 0, 0, false)
    );
    assert_eq!(r.epoch, t0 * 1000);
    // Stale deltas are dropped.
    let r = s
        .run(n, &p, "", &record(7, 0, 9, "a", false), Some(t0))
        .unwrap();
    assert!(!r.applied);
    assert_eq!(r.state, Shared::Closed);
    // 3 ok + 3 failed trips at 50 % with 5 calls minimum.
    let r = s
        .run(n, &p, "", &record(1, 3, 2, "a", false), Some(t0 + 10))
        .unwrap();
    assert_eq!(r.state, Shared::Closed);
    let r = s
        .run(n, &p, "", &record(1, 0, 1, "b", false), Some(t0 + 20))
        .unwrap();
    assert_eq!(
        (r.state, r.gen, r.until, r.trips),
        (Shared::Open, 2, t0 + 20 + 1_000, 1)
    );
    // No probe while OPEN; after the period: HALF_OPEN (gen + 1) and leases up to 2.
    assert!(
        !s.run(n, &p, "", &acquire("a:1"), Some(t0 + 500))
            .unwrap()
            .applied
    );
    let r = s.run(n, &p, "", &acquire("a:1"), Some(t0 + 1_020)).unwrap();
    assert_eq!((r.applied, r.state, r.gen), (true, Shared::HalfOpen, 3));
    assert!(
        s.run(n, &p, "", &acquire("b:1"), Some(t0 + 1_021))
            .unwrap()
            .applied
    );
    assert!(
        !s.run(n, &p, "", &acquire("c:1"), Some(t0 + 1_022))
            .unwrap()
            .applied,
        "max probes 2"
    );
    // A failed probe reopens for twice as long.
    let r = s
        .run(n, &p, "", &complete(3, "a:1", 0), Some(t0 + 1_100))
        .unwrap();
    assert_eq!(
        (r.applied, r.state, r.gen, r.trips, r.until),
        (true, Shared::Open, 4, 2, t0 + 1_100 + 2_000)
    );
    // b's probe belonged to the old generation: ignored.
    assert!(
        !s.run(n, &p, "", &complete(3, "b:1", 1), Some(t0 + 1_200))
            .unwrap()
            .applied
    );
    // Half-open again; a lease leaks and is reclaimed after lease_ms, its late report ignored.
    let r = s.run(n, &p, "", &acquire("a:2"), Some(t0 + 3_100)).unwrap();
    assert_eq!((r.applied, r.state, r.gen), (true, Shared::HalfOpen, 5));
    assert!(
        s.run(n, &p, "", &acquire("b:2"), Some(t0 + 3_101))
            .unwrap()
            .applied
    );
    assert!(
        !s.run(n, &p, "", &acquire("c:2"), Some(t0 + 3_102))
            .unwrap()
            .applied
    );
    assert!(
        s.run(n, &p, "", &acquire("c:2"), Some(t0 + 3_100 + 500))
            .unwrap()
            .applied,
        "a:2 expired"
    );
    assert!(
        !s.run(n, &p, "", &complete(5, "a:2", 1), Some(t0 + 3_700))
            .unwrap()
            .applied,
        "late"
    );
    // Two successes close (half_open_successes 2) and reset the trips.
    let r = s
        .run(n, &p, "", &complete(5, "c:2", 1), Some(t0 + 3_701))
        .unwrap();
    assert_eq!(
        (r.applied, r.state, r.half_open_successes),
        (true, Shared::HalfOpen, 1)
    );
    assert!(
        s.run(n, &p, "", &acquire("d:2"), Some(t0 + 3_702))
            .unwrap()
            .applied,
        "b:2 expired too"
    );
    let r = s
        .run(n, &p, "", &complete(5, "d:2", 1), Some(t0 + 3_703))
        .unwrap();
    assert_eq!((r.state, r.gen, r.trips), (Shared::Closed, 6, 0));
    // An abandoned probe frees its slot at once.
    let mut q = p.clone();
    q.max_probes = 1;
    q.half_open_successes = 1;
    s.run(
        "ab",
        &q,
        "",
        &Op::Force {
            to: Shared::HalfOpen,
        },
        Some(t0),
    )
    .unwrap();
    assert!(
        s.run("ab", &q, "", &acquire("x"), Some(t0))
            .unwrap()
            .applied
    );
    assert!(
        !s.run("ab", &q, "", &acquire("y"), Some(t0))
            .unwrap()
            .applied
    );
    let gen = s
        .run("ab", &q, "", &complete(0, "x", -1), Some(t0))
        .unwrap()
        .gen;
    assert!(
        s.run("ab", &q, "", &acquire("y"), Some(t0))
            .unwrap()
            .applied
    );
    let r = s
        .run("ab", &q, "", &complete(gen, "y", 1), Some(t0))
        .unwrap();
    assert_eq!(r.state, Shared::Closed);
}

#[test]
fn quorum_needs_distinct_replicas() {
    let Some(mut s) = Server::start() else { return };
    let mut p = params();
    p.quorum = 2;
    let t = 5_000_000;
    s.run("q", &p, "", &record(0, 0, 0, "a", false), Some(t))
        .unwrap();
    let r = s
        .run("q", &p, "", &record(1, 0, 50, "a", true), Some(t + 1))
        .unwrap();
    assert_eq!(
        r.state,
        Shared::Closed,
        "failures alone don't trip with a quorum"
    );
    let r = s
        .run("q", &p, "", &record(1, 0, 0, "a", true), Some(t + 2))
        .unwrap();
    assert_eq!(
        r.state,
        Shared::Closed,
        "a repeat vote from the same replica"
    );
    let r = s
        .run("q", &p, "", &record(1, 0, 0, "b", true), Some(t + 3))
        .unwrap();
    assert_eq!(r.state, Shared::Open);
    // Votes outside the window don't count.
    s.run("q2", &p, "", &record(0, 0, 0, "a", false), Some(t))
        .unwrap();
    s.run("q2", &p, "", &record(1, 0, 0, "a", true), Some(t))
        .unwrap();
    let r = s
        .run("q2", &p, "", &record(1, 0, 0, "b", true), Some(t + 60_001))
        .unwrap();
    assert_eq!(r.state, Shared::Closed);
}

#[test]
fn an_unknown_op_or_state_is_rejected_before_any_write() {
    let Some(mut s) = Server::start() else { return };
    let p = params();
    let bad = Op::Force { to: Shared::Closed };
    // A forged op name: run the script by hand.
    let keys = Keys::new("t:", "bad");
    let mut inv = s.real.prepare_invoke();
    for k in keys.all() {
        inv.key(k);
    }
    inv.arg("explode");
    let err = inv.invoke::<Raw>(&mut s.conn).unwrap_err();
    assert!(err.to_string().contains("unknown op explode"), "{err}");
    let exists: u64 = redis::cmd("EXISTS")
        .arg(&keys.all()[..])
        .query(&mut s.conn)
        .unwrap();
    assert_eq!(exists, 0);
    let mut inv = s.real.prepare_invoke();
    for k in keys.all() {
        inv.key(k);
    }
    inv.arg("force");
    for _ in 0..15 {
        inv.arg(1);
    }
    inv.arg(9);
    assert!(inv
        .invoke::<Raw>(&mut s.conn)
        .unwrap_err()
        .to_string()
        .contains("not a state code"));
    let exists: u64 = redis::cmd("EXISTS")
        .arg(&keys.all()[..])
        .query(&mut s.conn)
        .unwrap();
    assert_eq!(exists, 0);
    assert!(s.run("bad", &p, "", &bad, None).is_ok());
}

#[test]
fn another_protocol_version_fails_loudly() {
    let Some(mut s) = Server::start() else { return };
    let _: () = redis::cmd("HSET")
        .arg("t:{old}")
        .arg("v")
        .arg("2")
        .query(&mut s.conn)
        .unwrap();
    let err = s
        .run("old", &params(), "", &record(0, 0, 0, "a", false), None)
        .unwrap_err();
    assert!(err.to_string().contains("protocol mismatch"), "{err}");
    let v: String = redis::cmd("HGET")
        .arg("t:{old}")
        .arg("v")
        .query(&mut s.conn)
        .unwrap();
    assert_eq!(v, "2", "the other version's state is left alone");
}

#[test]
fn the_server_clock_and_ttls() {
    let Some(mut s) = Server::start() else { return };
    let p = params();
    let r = s
        .run("clock", &p, "", &record(0, 0, 0, "a", false), None)
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(
        r.now.abs_diff(now) < 60_000,
        "server time in ms: {} vs {now}",
        r.now
    );
    let ttl: i64 = redis::cmd("PTTL")
        .arg("t:{clock}")
        .query(&mut s.conn)
        .unwrap();
    assert!(ttl > 0 && ttl <= p.ttl_ms as i64, "ttl {ttl}");
    let ttl: i64 = redis::cmd("PTTL")
        .arg("t:{clock}:replicas")
        .query(&mut s.conn)
        .unwrap();
    assert!(ttl > 0, "replicas ttl {ttl}");
}

#[test]
fn parallel_acquires_grant_exactly_max_probes() {
    let Some(mut s) = Server::start() else { return };
    let p = params();
    s.run(
        "par",
        &p,
        "",
        &Op::Force {
            to: Shared::HalfOpen,
        },
        None,
    )
    .unwrap();
    let url = s.url.clone();
    let granted: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..64)
            .map(|i| {
                let url = url.clone();
                let p = p.clone();
                scope.spawn(move || {
                    let mut s2 = Server {
                        _server: RedisServer::detached(),
                        conn: redis::Client::open(url.as_str())
                            .unwrap()
                            .get_connection()
                            .unwrap(),
                        script: redis::Script::new(&source_with_arg_clock()),
                        real: redis::Script::new(&source()),
                        url,
                    };
                    usize::from(
                        s2.run("par", &p, "", &acquire(&format!("l{i}")), None)
                            .unwrap()
                            .applied,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(granted, 2);
}

#[test]
fn keys_share_one_hash_tag_and_names_are_checked() {
    let keys = Keys::new("cb:", "llm.v2");
    for k in keys.all() {
        assert!(k.starts_with("cb:{llm.v2}"), "{k}");
    }
    assert!(valid_name("llm.v2:eu-west_1"));
    for bad in ["", "a{b}", "a b", "é", &"x".repeat(129)] {
        assert!(!valid_name(bad), "{bad:?}");
    }
}

#[test]
fn published_messages_parse() {
    let m = Message::parse("llm 1733390000123456 7 1 1733390005000 1733390000000").unwrap();
    assert_eq!(
        (m.name.as_str(), m.epoch, m.gen, m.state, m.until),
        ("llm", 1733390000123456, 7, Shared::Open, 1733390005000)
    );
    assert!(Message::parse("llm 1 2 9 0 0").is_none());
    assert!(Message::parse("llm 1 2").is_none());
}

/// One step of a random sequence: time passes, then a client sends something (maybe
/// stale, maybe a repeat of an earlier message).
#[derive(Clone, Debug)]
enum Step {
    Record {
        stale: u64,
        successes: u64,
        failures: u64,
        instance: u8,
        vote: bool,
    },
    Acquire {
        instance: u8,
    },
    Complete {
        lease: usize,
        stale: u64,
        outcome: i8,
    },
    Force {
        to: u8,
    },
    Repeat {
        back: usize,
    },
}

fn step() -> impl Strategy<Value = (u64, Step)> {
    let s = prop_oneof![
        4 => (0..3u64, 0..4u64, 0..5u64, 0..3u8, any::<bool>()).prop_map(|(stale, successes, failures, instance, vote)| Step::Record { stale: stale.saturating_sub(1), successes, failures, instance, vote }),
        3 => (0..3u8).prop_map(|instance| Step::Acquire { instance }),
        4 => (0..8usize, prop_oneof![3 => Just(0u64), 1 => Just(1u64)], prop_oneof![2 => Just(1i8), 1 => Just(0i8), 1 => Just(-1i8)]).prop_map(|(lease, stale, outcome)| Step::Complete { lease, stale, outcome }),
        1 => prop_oneof![Just(2u8), 0..5u8].prop_map(|to| Step::Force { to }),
        1 => (1..5usize).prop_map(|back| Step::Repeat { back }),
    ];
    (prop_oneof![0..50u64, 0..700u64, Just(2_000u64)], s)
}

#[test]
fn script_matches_the_reference_model() {
    // One server for all cases, owned by this test so that it stops with it (a static
    // would outlive the test process's last drop and leave the server running); every
    // case uses its own breaker name.
    let Some(server) = Server::start() else {
        return;
    };
    let server = std::sync::Mutex::new(server);
    let case = std::sync::atomic::AtomicU64::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    });
    let strategy = (proptest::collection::vec(step(), 1..40), 0..3u64);
    let result = runner.run(&strategy, |(steps, quorum)| {
        let mut guard = server.lock().unwrap_or_else(|e| e.into_inner());
        let s = &mut *guard;
        let name = format!(
            "p{}",
            case.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut p = params();
        p.quorum = quorum;
        let client = redis::Client::open(s.url.as_str()).unwrap();
        let mut sub = client.get_connection().unwrap();
        let mut pubsub = sub.as_pubsub();
        pubsub.subscribe("t:events").unwrap();
        pubsub
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();

        let mut model = Model::default();
        let mut now = 10_000_000;
        let mut leases: Vec<(String, u64)> = Vec::new();
        let mut granted: Vec<(String, u64)> = Vec::new();
        let mut sent: Vec<Op> = Vec::new();
        let mut seq = 0;
        for (advance, step) in steps {
            now += advance;
            let gen = model.hash.as_ref().map_or(1, |h| h.gen);
            let op = match step {
                Step::Record {
                    stale,
                    successes,
                    failures,
                    instance,
                    vote,
                } => record(
                    gen.saturating_sub(stale),
                    successes,
                    failures,
                    &format!("i{instance}"),
                    vote,
                ),
                Step::Acquire { instance } => {
                    seq += 1;
                    let lease = format!("i{instance}:{gen}:{seq}");
                    leases.push((lease.clone(), gen));
                    acquire(&lease)
                }
                // Mostly a recently granted lease, with its own generation or an older
                // one; sometimes one that was denied or already completed (a duplicate).
                Step::Complete {
                    lease,
                    stale,
                    outcome,
                } => {
                    let pick = if lease < 6 && !granted.is_empty() {
                        granted.get(granted.len() - 1 - lease % granted.len())
                    } else {
                        leases.get(lease)
                    };
                    match pick {
                        Some((id, g)) => complete(g.saturating_sub(stale), id, outcome),
                        None => complete(gen, "never-granted", outcome),
                    }
                }
                Step::Force { to } => Op::Force {
                    to: Shared::from_code(i64::from(to)).unwrap(),
                },
                Step::Repeat { back } => match sent.len().checked_sub(back) {
                    Some(i) => sent[i].clone(),
                    None => continue,
                },
            };
            let expected = model.run(&name, &p, &op, now);
            let got = s.run(&name, &p, "t:events", &op, Some(now)).unwrap();
            prop_assert_eq!(&got, &expected, "after {:?}", op);
            if let (Op::Acquire { lease }, true) = (&op, got.applied) {
                granted.push((lease.clone(), got.gen));
            }
            // Never more unexpired leases than probes allowed.
            let live = model.probes.values().filter(|e| **e > now).count() as u64;
            prop_assert!(live + model.hash.as_ref().unwrap().hs <= p.max_probes);
            sent.push(op);
        }
        // Exactly one message per transition, in order.
        let published = drain(&mut pubsub);
        prop_assert_eq!(published, model.published.clone());

        // A replica that hears those messages with losses, duplicates and reordering,
        // then re-syncs, ends at the server's version and never moves backwards.
        let versions: Vec<Version> = model
            .published
            .iter()
            .map(|m| {
                let m = Message::parse(m).unwrap();
                Version {
                    epoch: m.epoch,
                    gen: m.gen,
                }
            })
            .collect();
        let mut heard = Vec::new();
        for (i, v) in versions.iter().enumerate() {
            match (i * 7 + versions.len()) % 4 {
                0 => {} // lost
                1 => {
                    heard.push(*v);
                    heard.push(*v)
                } // duplicated
                2 if i > 0 => {
                    heard.push(*v);
                    heard.push(versions[i - 1])
                } // late
                _ => heard.push(*v),
            }
        }
        let mut view = Version::default();
        for v in heard {
            let before = view;
            if view.is_older_than(v) {
                view = v;
            }
            prop_assert!(!view.is_older_than(before));
        }
        // Nothing sent (only repeats of nothing): nothing to catch up with.
        let Some(h) = model.hash.as_ref() else {
            return Ok(());
        };
        let truth = Version {
            epoch: h.epoch,
            gen: h.gen,
        };
        if view.is_older_than(truth) {
            view = truth;
        }
        prop_assert_eq!(view, truth);
        Ok(())
    });
    if let Err(err) = result {
        panic!("{err}");
    }
}
