//! [`Fleet`]: one Redis connection shared by every breaker of a process, and the
//! background tasks that flush outcomes, take probe leases and follow the fleet.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use staunch::{CircuitBreakerBuilder, CircuitState};
use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::error::Error;
use crate::link::Link;
use crate::script::{self, Message, Op, Params, Reply, Shared, Version};

/// The protocol this crate speaks: the `v` field of every state hash and the value of
/// the `<prefix>protocol` key.
pub const PROTOCOL_VERSION: u32 = 1;

/// Settings of a fleet (see [`FleetBuilder`]).
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) key_prefix: String,
    pub(crate) params: Params,
    pub(crate) flush_interval: Duration,
    pub(crate) min_flush_interval: Duration,
    pub(crate) flush_failures: u64,
    pub(crate) idle_sync: Duration,
    pub(crate) op_timeout: Duration,
    pub(crate) reconnect_min: Duration,
    pub(crate) reconnect_max: Duration,
    pub(crate) open_max: Duration,
    pub(crate) lease: Duration,
    pub(crate) pubsub: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            key_prefix: "cb:".into(),
            params: Params {
                bucket_ms: 1_000,
                buckets: 10,
                min_calls: 20,
                rate_pct: 50,
                open_base_ms: 10_000,
                open_max_ms: 300_000,
                max_probes: 1,
                half_open_successes: 1,
                ttl_ms: 3_600_000,
                lease_ms: 10_000,
                quorum: 0,
                vote_window_ms: 60_000,
                replica_window_ms: 15_000,
            },
            flush_interval: Duration::from_secs(1),
            min_flush_interval: Duration::from_millis(50),
            flush_failures: 3,
            idle_sync: Duration::from_secs(5),
            op_timeout: Duration::from_millis(250),
            reconnect_min: Duration::from_millis(500),
            reconnect_max: Duration::from_secs(30),
            open_max: Duration::from_secs(300),
            lease: Duration::from_secs(10),
            pubsub: true,
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Counters of a fleet's background work, for tests and monitoring.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch_redis::Error> {
/// let fleet = staunch_redis::Fleet::connect("redis://127.0.0.1:1")?;
/// assert_eq!(fleet.stats().script_calls, 0);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FleetStats {
    /// Script calls that returned a reply.
    pub script_calls: u64,
    /// Script calls or connections that failed or timed out.
    pub errors: u64,
    /// Times the fleet went local-only.
    pub degraded: u64,
    /// Times it came back.
    pub recovered: u64,
    /// Pub/sub (re)subscriptions, each followed by a full re-sync.
    pub subscriptions: u64,
    /// Transitions received by pub/sub.
    pub messages: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Stats {
    script_calls: AtomicU64,
    errors: AtomicU64,
    degraded: AtomicU64,
    recovered: AtomicU64,
    subscriptions: AtomicU64,
    messages: AtomicU64,
}

/// What the background tasks and the links share.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) config: Config,
    client: redis::Client,
    /// The URL without its password, for error messages.
    client_url: String,
    pub(crate) instance: String,
    pub(crate) channel: String,
    pub(crate) wake: Notify,
    /// Redis answered the last background call. Read it through [`Core::connected`]: a
    /// pass still running when the fleet is dropped may set it again afterwards.
    pub(crate) healthy: AtomicBool,
    /// The fleet was dropped: its tasks are stopping and sync nothing more, whatever
    /// `healthy` says.
    stopped: AtomicBool,
    /// Re-sync every breaker on the next pass (after a (re)subscription or recovery).
    resync: AtomicBool,
    /// Redis holds another protocol version: stay local-only.
    incompatible: AtomicBool,
    pub(crate) links: Mutex<Vec<Weak<Link>>>,
    stats: Stats,
    last_error: Mutex<Option<String>>,
}

impl Core {
    fn links(&self) -> Vec<Arc<Link>> {
        let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        links.retain(|l| {
            l.upgrade()
                .is_some_and(|l| l.handle.get().is_none_or(|h| h.breaker().is_some()))
        });
        links.iter().filter_map(Weak::upgrade).collect()
    }

    /// Whether the background tasks run and Redis answered their last call.
    pub(crate) fn connected(&self) -> bool {
        !self.stopped.load(Ordering::Acquire) && self.healthy.load(Ordering::Acquire)
    }

    fn set_error(&self, error: String) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
    }
}

/// Builds a [`Fleet`]: the Redis URL, the key prefix, the shared trip policy and the
/// timings of the background work.
///
/// ```
/// use std::time::Duration;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch_redis::Error> {
/// let fleet = staunch_redis::Fleet::builder("redis://127.0.0.1:1")
///     .key_prefix("myapp:cb:")
///     .min_calls(50)
///     .failure_rate(25)
///     .flush_interval(Duration::from_millis(500))
///     .connect()?;
/// # drop(fleet); Ok(()) }
/// ```
#[derive(Debug)]
pub struct FleetBuilder {
    url: String,
    config: Config,
    instance: Option<String>,
    runtime: Option<Handle>,
}

macro_rules! setter_doc {
    ($call:literal) => {
        concat!(
            "\n```\n# #[tokio::main(flavor = \"current_thread\")] async fn main() -> Result<(), staunch_redis::Error> {\n",
            "# use std::time::Duration;\n",
            "let fleet = staunch_redis::Fleet::builder(\"redis://127.0.0.1:1\")", $call, ".connect()?;\n",
            "# drop(fleet); Ok(()) }\n```"
        )
    };
}

impl FleetBuilder {
    /// The prefix of every key and of the pub/sub channel (default `cb:`): keys are
    /// `<prefix>{<name>}`, `<prefix>{<name>}:probes`, `…:votes`, `…:replicas`, the channel
    /// `<prefix>events` and the version key `<prefix>protocol`. No braces.
    #[doc = setter_doc!(".key_prefix(\"billing:cb:\")")]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.key_prefix = prefix.into();
        self
    }

    /// How often outcomes gathered locally are flushed (default 1 s).
    #[doc = setter_doc!(".flush_interval(Duration::from_millis(200))")]
    pub fn flush_interval(mut self, every: Duration) -> Self {
        self.config.flush_interval = every;
        self
    }

    /// Failures that trigger a flush at once (default 3), and the shortest time between
    /// two flushes (default 50 ms): a burst of failures reaches Redis within that time
    /// plus a round trip.
    #[doc = setter_doc!(".failure_burst(5, Duration::from_millis(20))")]
    pub fn failure_burst(mut self, failures: u64, min_interval: Duration) -> Self {
        self.config.flush_failures = failures;
        self.config.min_flush_interval = min_interval;
        self
    }

    /// How often an idle replica re-reads the shared state in case a published change
    /// was lost (default 5 s); replicas silent for 3 × this no longer count as attached.
    #[doc = setter_doc!(".idle_sync(Duration::from_secs(2))")]
    pub fn idle_sync(mut self, every: Duration) -> Self {
        self.config.idle_sync = every;
        self
    }

    /// The bound of every background Redis call and connection attempt (default 250 ms).
    #[doc = setter_doc!(".op_timeout(Duration::from_millis(100))")]
    pub fn op_timeout(mut self, timeout: Duration) -> Self {
        self.config.op_timeout = timeout;
        self
    }

    /// Waits between reconnection attempts while Redis is unreachable: full jitter,
    /// doubling from `min` to `max` (default 0.5 s to 30 s).
    #[doc = setter_doc!(".reconnect_backoff(Duration::from_millis(100), Duration::from_secs(5))")]
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.config.reconnect_min = min;
        self.config.reconnect_max = max;
        self
    }

    /// The shared rolling window: `buckets` buckets of `bucket` each (default 10 × 1 s).
    #[doc = setter_doc!(".window(Duration::from_secs(3), 20)")]
    pub fn window(mut self, bucket: Duration, buckets: u64) -> Self {
        self.config.params.bucket_ms = ms(bucket);
        self.config.params.buckets = buckets;
        self
    }

    /// Calls the whole fleet must have made in the window before it can open
    /// (default 20).
    #[doc = setter_doc!(".min_calls(100)")]
    pub fn min_calls(mut self, calls: u64) -> Self {
        self.config.params.min_calls = calls;
        self
    }

    /// The fleet-wide failure rate, in percent, that opens the shared circuit (default 50).
    #[doc = setter_doc!(".failure_rate(30)")]
    pub fn failure_rate(mut self, percent: u64) -> Self {
        self.config.params.rate_pct = percent;
        self
    }

    /// The shared open period: `base`, doubled on every trip without a close in
    /// between, at most `max` (default 10 s up to 5 min).
    #[doc = setter_doc!(".open_period(Duration::from_secs(5), Duration::from_secs(60))")]
    pub fn open_period(mut self, base: Duration, max: Duration) -> Self {
        self.config.params.open_base_ms = ms(base);
        self.config.params.open_max_ms = ms(max);
        self.config.open_max = max;
        self
    }

    /// Fleet-wide half-open probes at once (default 1), and the successful probes that
    /// close the shared circuit (default 1, at most `max_probes`).
    #[doc = setter_doc!(".max_probes(2)")]
    pub fn max_probes(mut self, probes: u64) -> Self {
        self.config.params.max_probes = probes;
        self
    }

    /// Successful probes that close the shared circuit (default 1).
    #[doc = setter_doc!(".max_probes(3).half_open_successes(2)")]
    pub fn half_open_successes(mut self, successes: u64) -> Self {
        self.config.params.half_open_successes = successes;
        self
    }

    /// How long a probe lease lasts (default 10 s): at least the protected call's
    /// timeout. A crashed prober's slot comes back after it.
    #[doc = setter_doc!(".lease(Duration::from_secs(30))")]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.config.lease = lease;
        self.config.params.lease_ms = ms(lease);
        self
    }

    /// Opens the fleet only when `replicas` distinct replicas' own breakers tripped
    /// within `window`, instead of on the aggregated counts (default off: 0).
    #[doc = setter_doc!(".quorum(2, Duration::from_secs(30))")]
    pub fn quorum(mut self, replicas: u64, window: Duration) -> Self {
        self.config.params.quorum = replicas;
        self.config.params.vote_window_ms = ms(window);
        self
    }

    /// How long unused keys live (default 1 h); every call refreshes them.
    #[doc = setter_doc!(".ttl(Duration::from_secs(7200))")]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.config.params.ttl_ms = ms(ttl);
        self
    }

    /// Follow changes by pub/sub (default on); off, replicas learn at the next flush or
    /// idle sync.
    #[doc = setter_doc!(".pubsub(false)")]
    pub fn pubsub(mut self, on: bool) -> Self {
        self.config.pubsub = on;
        self
    }

    /// This replica's id in votes, leases and the replica count (default: process id and
    /// a random suffix).
    #[doc = setter_doc!(".instance_id(\"web-1\")")]
    pub fn instance_id(mut self, id: impl Into<String>) -> Self {
        self.instance = Some(id.into());
        self
    }

    /// The tokio runtime that runs the background tasks (default: the current one).
    #[doc = setter_doc!(".runtime(tokio::runtime::Handle::current())")]
    pub fn runtime(mut self, runtime: Handle) -> Self {
        self.runtime = Some(runtime);
        self
    }

    fn check(&self) -> Result<(), Error> {
        let c = &self.config;
        let p = &c.params;
        if c.key_prefix.contains(['{', '}']) || c.key_prefix.len() > 64 {
            return Err(Error::new(
                "key_prefix",
                &c.key_prefix,
                "must be at most 64 characters without braces",
            ));
        }
        if !(1..=60).contains(&p.buckets) {
            return Err(Error::new("buckets", p.buckets, "must be between 1 and 60"));
        }
        if p.bucket_ms == 0 {
            return Err(Error::new("bucket", "0ms", "must be at least 1 ms"));
        }
        if p.min_calls == 0 {
            return Err(Error::new("min_calls", 0, "must be at least 1"));
        }
        if !(1..=100).contains(&p.rate_pct) {
            return Err(Error::new(
                "failure_rate",
                p.rate_pct,
                "must be a percentage between 1 and 100",
            ));
        }
        if p.open_base_ms == 0 || p.open_max_ms < p.open_base_ms {
            return Err(Error::new(
                "open_period",
                format!("{}ms..{}ms", p.open_base_ms, p.open_max_ms),
                "base must be at least 1 ms and at most max",
            ));
        }
        if p.max_probes == 0 {
            return Err(Error::new("max_probes", 0, "must be at least 1"));
        }
        if p.half_open_successes == 0 || p.half_open_successes > p.max_probes {
            return Err(Error::new(
                "half_open_successes",
                p.half_open_successes,
                format!("must be between 1 and max_probes ({})", p.max_probes),
            ));
        }
        if p.lease_ms == 0 {
            return Err(Error::new("lease", "0ms", "must be at least 1 ms"));
        }
        if p.ttl_ms <= p.open_max_ms + p.bucket_ms * p.buckets {
            return Err(Error::new(
                "ttl",
                format!("{}ms", p.ttl_ms),
                "must exceed the longest open period plus the window",
            ));
        }
        if p.quorum > 0 && p.vote_window_ms == 0 {
            return Err(Error::new(
                "quorum",
                "0ms",
                "the vote window must be at least 1 ms",
            ));
        }
        for (field, d) in [
            ("flush_interval", c.flush_interval),
            ("idle_sync", c.idle_sync),
            ("op_timeout", c.op_timeout),
            ("reconnect_backoff", c.reconnect_min),
        ] {
            if d.is_zero() {
                return Err(Error::new(field, "0ns", "must be positive"));
            }
        }
        if c.reconnect_max < c.reconnect_min {
            return Err(Error::new(
                "reconnect_backoff",
                format!("{:?}", c.reconnect_max),
                "max must be at least min",
            ));
        }
        if c.flush_failures == 0 {
            return Err(Error::new("failure_burst", 0, "must be at least 1 failure"));
        }
        Ok(())
    }

    /// Checks the settings and starts the background tasks. Never blocks and never
    /// touches the network: the connection is made in the background, and until it
    /// works every attached breaker runs on its own.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// // Nothing listens there: the fleet starts anyway, local-only.
    /// let fleet = staunch_redis::Fleet::builder("redis://:secret@127.0.0.1:1/0").connect().unwrap();
    /// assert!(!fleet.is_connected());
    /// # }
    /// ```
    pub fn connect(mut self) -> Result<Fleet, Error> {
        let client = redis::Client::open(self.url.as_str())
            .map_err(|e| Error::new("url", redact(&self.url), e.to_string().to_lowercase()))?;
        self.check()?;
        let runtime = match self.runtime.take() {
            Some(runtime) => runtime,
            None => Handle::try_current().map_err(|_| {
                Error::new(
                    "runtime",
                    "none",
                    "connect inside a tokio runtime or pass one with FleetBuilder::runtime",
                )
            })?,
        };
        let mut config = self.config;
        config.params.replica_window_ms = ms(config.idle_sync * 3);
        let instance = self
            .instance
            .unwrap_or_else(|| format!("{}-{:08x}", std::process::id(), fastrand::u32(..)));
        let core = Arc::new(Core {
            client: client.clone(),
            client_url: redact(&self.url),
            channel: format!("{}events", config.key_prefix),
            config,
            instance,
            wake: Notify::new(),
            healthy: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            resync: AtomicBool::new(true),
            incompatible: AtomicBool::new(false),
            links: Mutex::new(Vec::new()),
            stats: Stats::default(),
            last_error: Mutex::new(None),
        });
        let script = redis::Script::new(&script::source());
        let mut tasks = vec![runtime.spawn(syncer(core.clone(), client.clone(), script))];
        if core.config.pubsub {
            tasks.push(runtime.spawn(subscriber(core.clone(), client)));
        }
        Ok(Fleet {
            core: core.clone(),
            _tasks: Arc::new(Tasks(tasks, core.clone())),
        })
    }
}

#[derive(Debug)]
struct Tasks(Vec<JoinHandle<()>>, Arc<Core>);

impl Drop for Tasks {
    fn drop(&mut self) {
        // Nobody syncs any more: every attached breaker runs on its own. An abort takes
        // effect only when a task next yields, so a pass running now (on another thread,
        // or the one whose listener dropped the fleet) still ends and may mark Redis
        // reachable again: `stopped` outranks it for good.
        self.1.stopped.store(true, Ordering::Release);
        self.1.healthy.store(false, Ordering::Release);
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Shared circuit state for every replica of a service, through one Redis.
///
/// Attach breakers with [`SharedExt::shared`](crate::SharedExt::shared): breakers with
/// the same name on every replica attached to the same Redis (and key prefix) share one
/// circuit. Cheap to clone; the background tasks stop when the last clone is dropped,
/// and attached breakers then run on their own.
///
/// ```
/// use staunch::CircuitBreaker;
/// use staunch_redis::{Fleet, SharedExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let fleet = Fleet::connect("redis://127.0.0.1:1")?; // returns at once, even with Redis down
/// let breaker = CircuitBreaker::builder("llm").shared(&fleet).build()?;
/// let answer = breaker.call(|| async { Ok::<_, std::io::Error>(42) }).await?;
/// assert_eq!(answer, 42);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Fleet {
    core: Arc<Core>,
    _tasks: Arc<Tasks>,
}

/// One shared breaker as seen from this replica.
///
/// ```
/// # use staunch::CircuitBreaker;
/// # use staunch_redis::{Fleet, SharedExt};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let fleet = Fleet::connect("redis://127.0.0.1:1")?;
/// let _breaker = CircuitBreaker::builder("db").shared(&fleet).build()?;
/// let status = &fleet.status()[0];
/// assert_eq!((status.name.as_str(), status.fleet_state), ("db", None)); // not synced yet
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharedStatus {
    /// The breaker's name.
    pub name: String,
    /// Whether Redis answered the last background call.
    pub connected: bool,
    /// The fleet's state at the last sync, if any.
    pub fleet_state: Option<CircuitState>,
    /// The fleet's generation at the last sync.
    pub generation: u64,
    /// Replicas that synced this breaker recently (this one included).
    pub replicas: u64,
    /// The local breaker's state.
    pub local_state: CircuitState,
}

impl Fleet {
    /// A fleet with the default settings: `Fleet::builder(url).connect()`.
    ///
    /// `redis://[:password@]host[:port][/db]` or, with the `tls` feature,
    /// `rediss://…`. Never blocks (see [`FleetBuilder::connect`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// assert!(staunch_redis::Fleet::connect("redis://127.0.0.1:1").is_ok());
    /// assert_eq!(staunch_redis::Fleet::connect("nope").unwrap_err().field(), "url");
    /// # }
    /// ```
    pub fn connect(url: &str) -> Result<Fleet, Error> {
        Fleet::builder(url).connect()
    }

    /// A builder for a fleet on `url`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch_redis::Error> {
    /// let fleet = staunch_redis::Fleet::builder("redis://127.0.0.1:1").max_probes(2).connect()?;
    /// # drop(fleet); Ok(()) }
    /// ```
    pub fn builder(url: &str) -> FleetBuilder {
        FleetBuilder {
            url: url.to_owned(),
            config: Config::default(),
            instance: None,
            runtime: None,
        }
    }

    /// A new authority for one breaker (what [`SharedExt::shared`](crate::SharedExt::shared)
    /// installs). Build it into exactly one breaker.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let fleet = staunch_redis::Fleet::connect("redis://127.0.0.1:1")?;
    /// let breaker = staunch::CircuitBreaker::builder("llm").authority(fleet.authority()).build()?;
    /// # drop(breaker); Ok(()) }
    /// ```
    pub fn authority(&self) -> Arc<dyn staunch::breaker::Authority> {
        let link = Arc::new(Link::new(self.core.clone()));
        self.core
            .links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::downgrade(&link));
        self.core.wake.notify_one();
        link
    }

    /// Whether Redis answered the last background call.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch_redis::Error> {
    /// assert!(!staunch_redis::Fleet::connect("redis://127.0.0.1:1")?.is_connected());
    /// # Ok(()) }
    /// ```
    pub fn is_connected(&self) -> bool {
        self.core.connected()
    }

    /// The last background error, if any (a connection failure, a timeout, a protocol
    /// mismatch).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch_redis::Error> {
    /// let fleet = staunch_redis::Fleet::connect("redis://127.0.0.1:1")?;
    /// assert_eq!(fleet.last_error(), None); // nothing tried yet
    /// # Ok(()) }
    /// ```
    pub fn last_error(&self) -> Option<String> {
        self.core
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// This replica's id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch_redis::Error> {
    /// let fleet = staunch_redis::Fleet::builder("redis://127.0.0.1:1").instance_id("web-1").connect()?;
    /// assert_eq!(fleet.instance_id(), "web-1");
    /// # Ok(()) }
    /// ```
    pub fn instance_id(&self) -> &str {
        &self.core.instance
    }

    /// Counters of the background work.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch_redis::Error> {
    /// let fleet = staunch_redis::Fleet::connect("redis://127.0.0.1:1")?;
    /// assert_eq!(fleet.stats().recovered, 0);
    /// # Ok(()) }
    /// ```
    pub fn stats(&self) -> FleetStats {
        let s = &self.core.stats;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        FleetStats {
            script_calls: get(&s.script_calls),
            errors: get(&s.errors),
            degraded: get(&s.degraded),
            recovered: get(&s.recovered),
            subscriptions: get(&s.subscriptions),
            messages: get(&s.messages),
        }
    }

    /// Moves the shared circuit `name` to `state` on every replica (an operator's
    /// switch; `Disabled` is the fleet's forced close and `Closed` resets the trips), and
    /// returns the state Redis now holds. Unlike the rest of the fleet, this waits for
    /// Redis (at most the op timeout).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch_redis::Error> {
    /// let fleet = staunch_redis::Fleet::connect("redis://127.0.0.1:1")?;
    /// let err = fleet.force("llm", staunch::CircuitState::ForcedOpen).await.unwrap_err();
    /// assert_eq!(err.field(), "redis");
    /// # Ok(()) }
    /// ```
    pub async fn force(&self, name: &str, state: CircuitState) -> Result<CircuitState, Error> {
        if !script::valid_name(name) {
            return Err(Error::new(
                "name",
                name,
                "a shared breaker's name is 1 to 128 of A-Z a-z 0-9 . _ : -",
            ));
        }
        let core = &self.core;
        let failed = |e: String| Error::new("redis", &core.client_url, e);
        let connect = tokio::time::timeout(
            core.config.op_timeout,
            core.client.get_multiplexed_async_connection(),
        );
        let mut conn = match connect.await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(failed(format!("connection failed: {e}"))),
            Err(_) => {
                return Err(failed(format!(
                    "connection timed out after {:?}",
                    core.config.op_timeout
                )))
            }
        };
        let keys = script::Keys::new(&core.config.key_prefix, name);
        let script = redis::Script::new(&script::source());
        let op = Op::Force {
            to: Shared::from_circuit_state(state),
        };
        let reply = core
            .invoke(&mut conn, &script, &keys, name, op)
            .await
            .map_err(|Failed(e)| failed(e))?;
        for link in core.links() {
            if link.name.get().is_some_and(|n| n == name) && link.keys.get().is_some() {
                link.apply_reply(&reply);
            }
        }
        Ok(reply.state.circuit_state())
    }

    /// Every attached breaker that still exists, as this replica sees it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch_redis::Error> {
    /// let fleet = staunch_redis::Fleet::connect("redis://127.0.0.1:1")?;
    /// assert!(fleet.status().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn status(&self) -> Vec<SharedStatus> {
        let connected = self.is_connected();
        self.core
            .links()
            .iter()
            .filter_map(|link| {
                let breaker = link.handle.get()?.breaker()?;
                Some(SharedStatus {
                    name: breaker.name().to_owned(),
                    connected,
                    fleet_state: link.shared().map(Shared::circuit_state),
                    generation: link.shared_gen.load(Ordering::Relaxed),
                    replicas: link.replicas.load(Ordering::Relaxed),
                    local_state: breaker.state(),
                })
            })
            .collect()
    }
}

/// Attaches a breaker to a [`Fleet`] from its builder.
///
/// ```
/// use staunch::CircuitBreaker;
/// use staunch_redis::{Fleet, SharedExt};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let fleet = Fleet::connect("redis://127.0.0.1:1")?;
/// let breaker = CircuitBreaker::builder("payments").failure_threshold(5).shared(&fleet).build()?;
/// # drop(breaker); Ok(()) }
/// ```
pub trait SharedExt {
    /// Shares the breaker's circuit with every replica attached to `fleet` under the
    /// same name. The name must be 1 to 128 of `A-Z a-z 0-9 . _ : -` (otherwise the
    /// breaker runs local-only and [`Fleet::last_error`] says why).
    ///
    /// ```
    /// # use staunch::CircuitBreaker;
    /// # use staunch_redis::{Fleet, SharedExt};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let fleet = Fleet::connect("redis://127.0.0.1:1")?;
    /// let breaker = CircuitBreaker::builder("search").shared(&fleet).build()?;
    /// # drop(breaker); Ok(()) }
    /// ```
    fn shared(self, fleet: &Fleet) -> Self;
}

impl SharedExt for CircuitBreakerBuilder {
    fn shared(self, fleet: &Fleet) -> Self {
        self.authority(fleet.authority())
    }
}

/// The URL with any password replaced by `***`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn jitter(max: Duration) -> Duration {
    max.mul_f64(fastrand::f64())
}

/// A failed background call.
#[derive(Debug)]
struct Failed(String);

impl Core {
    async fn call(
        &self,
        conn: &mut ConnectionManager,
        script: &redis::Script,
        link: &Link,
        op: Op,
    ) -> Result<Reply, Failed> {
        let keys = link.keys.get().ok_or_else(|| Failed("no keys".into()))?;
        let name = link.name.get().map_or("", String::as_str);
        self.invoke(conn, script, keys, name, op).await
    }

    async fn invoke(
        &self,
        conn: &mut impl redis::aio::ConnectionLike,
        script: &redis::Script,
        keys: &script::Keys,
        name: &str,
        op: Op,
    ) -> Result<Reply, Failed> {
        let channel = if self.config.pubsub {
            self.channel.as_str()
        } else {
            ""
        };
        let inv = script::invocation(script, keys, &op, &self.config.params, channel, name);
        let result = tokio::time::timeout(self.config.op_timeout, inv.invoke_async(conn)).await;
        let raw = match result {
            Ok(Ok(raw)) => raw,
            Ok(Err(e)) => {
                let text = e.to_string();
                if text.contains("protocol mismatch") {
                    self.incompatible.store(true, Ordering::Release);
                    tracing::error!(error = %text, "staunch-redis: another protocol version owns these keys; running local-only");
                }
                return Err(Failed(format!("{} failed: {text}", op.name())));
            }
            Err(_) => {
                return Err(Failed(format!(
                    "{} timed out after {:?}",
                    op.name(),
                    self.config.op_timeout
                )))
            }
        };
        self.stats.script_calls.fetch_add(1, Ordering::Relaxed);
        Reply::from_raw(raw).map_err(|e| Failed(e.to_string()))
    }

    /// Checks (and on first use sets) the `<prefix>protocol` key.
    async fn check_protocol(&self, conn: &mut ConnectionManager) -> Result<(), Failed> {
        let key = format!("{}protocol", self.config.key_prefix);
        let op = async {
            let _: () = redis::cmd("SET")
                .arg(&key)
                .arg(PROTOCOL_VERSION)
                .arg("NX")
                .query_async(conn)
                .await?;
            redis::cmd("GET")
                .arg(&key)
                .query_async::<Option<String>>(conn)
                .await
        };
        match tokio::time::timeout(self.config.op_timeout, op).await {
            Ok(Ok(Some(v))) if v == PROTOCOL_VERSION.to_string() => Ok(()),
            Ok(Ok(other)) => {
                let text = format!(
                    "protocol mismatch: key {key} holds version {}, this client speaks {PROTOCOL_VERSION}",
                    other.as_deref().unwrap_or("none")
                );
                tracing::error!(error = %text, "staunch-redis: running local-only");
                self.incompatible.store(true, Ordering::Release);
                Err(Failed(text))
            }
            Ok(Err(e)) => Err(Failed(format!("protocol check failed: {e}"))),
            Err(_) => Err(Failed(format!(
                "protocol check timed out after {:?}",
                self.config.op_timeout
            ))),
        }
    }

    /// One pass over every attached breaker.
    async fn sync_all(
        &self,
        conn: &mut ConnectionManager,
        script: &redis::Script,
    ) -> Result<(), Failed> {
        let resync = self.resync.swap(false, Ordering::AcqRel);
        for link in self.links() {
            if link.keys.get().is_none() && !link.attach_keys(self) {
                continue;
            }
            if let Err(e) = self.sync_one(conn, script, &link, resync).await {
                self.resync.store(true, Ordering::Release);
                return Err(e);
            }
        }
        Ok(())
    }

    async fn sync_one(
        &self,
        conn: &mut ConnectionManager,
        script: &redis::Script,
        link: &Link,
        resync: bool,
    ) -> Result<(), Failed> {
        let lease_half = self.config.lease / 2;
        // Finished probes, and leases parked too long without a call to use them.
        let done = {
            let mut leases = link.leases();
            let stale: Vec<_> = {
                let (old, keep) = std::mem::take(&mut leases.parked)
                    .into_iter()
                    .partition(|l| l.granted.elapsed() >= lease_half);
                leases.parked = keep;
                old
            };
            let mut done = std::mem::take(&mut leases.done);
            done.extend(stale.into_iter().map(|l| (l, -1)));
            done
        };
        for (lease, outcome) in done {
            let reply = self
                .call(
                    conn,
                    script,
                    link,
                    Op::Complete {
                        gen: lease.gen,
                        lease: lease.id,
                        outcome,
                    },
                )
                .await?;
            link.apply_reply(&reply);
        }
        let (version, last_sync) = {
            let view = link.view();
            (view.version, view.last_sync)
        };
        let (successes, failures) = link.take_pending();
        let vote = link.vote.swap(false, Ordering::AcqRel);
        let heartbeat = last_sync.is_none_or(|t| t.elapsed() >= self.config.idle_sync);
        if resync || heartbeat || vote || successes + failures > 0 {
            let op = Op::Record {
                gen: version.gen,
                successes,
                failures,
                instance: self.instance.clone(),
                local_tripped: vote,
            };
            let reply = self.call(conn, script, link, op).await?;
            link.apply_reply(&reply);
        }
        if link.demand.swap(false, Ordering::AcqRel) {
            let (state, open_until, gen) = {
                let view = link.view();
                (view.state, view.open_until, view.version.gen)
            };
            let due = match state {
                Some(Shared::HalfOpen) => true,
                Some(Shared::Open) => open_until.is_none_or(|t| Instant::now() >= t),
                _ => false,
            };
            if due && link.leases().parked.is_empty() {
                // After the open period the script moves to HALF_OPEN (gen + 1) first.
                let lease = link.next_lease_id(gen);
                let reply = self
                    .call(
                        conn,
                        script,
                        link,
                        Op::Acquire {
                            lease: lease.clone(),
                        },
                    )
                    .await?;
                link.apply_reply(&reply);
                if reply.applied {
                    link.leases().parked.push(crate::link::Lease {
                        id: lease,
                        gen: reply.gen,
                        granted: Instant::now(),
                    });
                }
            }
        }
        Ok(())
    }
}

impl Link {
    /// Learns the breaker's name once it is built; false while it isn't or if the name
    /// can't be shared.
    fn attach_keys(&self, core: &Core) -> bool {
        let Some(breaker) = self.handle.get().and_then(|h| h.breaker()) else {
            return false;
        };
        let name = breaker.name();
        if !script::valid_name(name) {
            if self.name.set(name.to_owned()).is_ok() {
                let text = format!(
                    "invalid breaker name `{name}`: a shared breaker's name is 1 to 128 of A-Z a-z 0-9 . _ : -; running local-only"
                );
                tracing::error!("{text}");
                core.set_error(text);
            }
            return false;
        }
        let _ = self.name.set(name.to_owned());
        let _ = self
            .keys
            .set(script::Keys::new(&core.config.key_prefix, name));
        true
    }
}

async fn syncer(core: Arc<Core>, client: redis::Client, script: redis::Script) {
    let config = &core.config;
    let manager_config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(config.op_timeout))
        .set_response_timeout(Some(config.op_timeout))
        .set_number_of_retries(1)
        .set_min_delay(config.reconnect_min.min(Duration::from_millis(100)))
        .set_max_delay(config.reconnect_max);
    let mut conn: Option<ConnectionManager> = None;
    let mut protocol_ok = false;
    let mut backoff = config.reconnect_min;
    let mut retry_at: Option<tokio::time::Instant> = None;
    let mut last_pass: Option<tokio::time::Instant> = None;
    loop {
        let mut next = tokio::time::Instant::now() + config.flush_interval;
        if let Some(at) = retry_at {
            next = next.min(at);
        }
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            () = core.wake.notified() => {}
        }
        if let Some(last) = last_pass {
            // Coalesce bursts: at most one pass per minimum flush interval.
            tokio::time::sleep_until(last + config.min_flush_interval).await;
        }
        last_pass = Some(tokio::time::Instant::now());
        if core.incompatible.load(Ordering::Acquire) {
            drop_local_work(&core);
            continue;
        }
        if retry_at.is_some_and(|at| tokio::time::Instant::now() < at) {
            drop_local_work(&core);
            continue;
        }
        let conn = match &mut conn {
            Some(conn) => conn,
            None => match ConnectionManager::new_lazy_with_config(
                client.clone(),
                manager_config.clone(),
            ) {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    core.set_error(format!("connection failed: {e}"));
                    retry_at = Some(tokio::time::Instant::now() + jitter(backoff));
                    backoff = (backoff * 2).min(config.reconnect_max);
                    continue;
                }
            },
        };
        let mut result = Ok(());
        if !protocol_ok {
            result = core.check_protocol(conn).await;
            protocol_ok = result.is_ok();
        }
        if result.is_ok() {
            result = core.sync_all(conn, &script).await;
        }
        match result {
            Ok(()) => {
                retry_at = None;
                backoff = config.reconnect_min;
                if !core.healthy.swap(true, Ordering::AcqRel) {
                    core.stats.recovered.fetch_add(1, Ordering::Relaxed);
                    tracing::info!("staunch-redis: shared state reachable");
                }
            }
            Err(Failed(e)) => {
                core.stats.errors.fetch_add(1, Ordering::Relaxed);
                if core.healthy.swap(false, Ordering::AcqRel) {
                    core.stats.degraded.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "staunch-redis: shared state unreachable; breakers run locally");
                }
                core.set_error(e);
                core.resync.store(true, Ordering::Release);
                protocol_ok = false;
                retry_at = Some(tokio::time::Instant::now() + jitter(backoff));
                backoff = (backoff * 2).min(config.reconnect_max);
            }
        }
    }
}

/// While Redis is out of reach: deltas and probe reports are dropped (leases expire on
/// the server); the breakers run on their own.
fn drop_local_work(core: &Core) {
    for link in core.links() {
        link.take_pending();
        link.vote.store(false, Ordering::Relaxed);
        let mut leases = link.leases();
        leases.done.clear();
        leases.parked.clear();
    }
}

async fn subscriber(core: Arc<Core>, client: redis::Client) {
    let config = &core.config;
    let mut backoff = config.reconnect_min;
    loop {
        let subscribe = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&core.channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        if let Ok(Ok(pubsub)) = tokio::time::timeout(config.op_timeout, subscribe).await {
            backoff = config.reconnect_min;
            core.stats.subscriptions.fetch_add(1, Ordering::Relaxed);
            // Anything published while unsubscribed is lost: read everything again.
            core.resync.store(true, Ordering::Release);
            core.wake.notify_one();
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = messages.next().await {
                let Ok(text) = msg.get_payload::<String>() else {
                    continue;
                };
                let Some(m) = Message::parse(&text) else {
                    continue;
                };
                core.stats.messages.fetch_add(1, Ordering::Relaxed);
                let version = Version {
                    epoch: m.epoch,
                    gen: m.gen,
                };
                for link in core.links() {
                    if link.name.get().is_some_and(|n| *n == m.name) && link.keys.get().is_some() {
                        link.apply_message(version, m.state, m.until, m.now);
                    }
                }
            }
        }
        // Equal jitter: spread out, but never sooner than half the backoff.
        tokio::time::sleep(backoff / 2 + jitter(backoff / 2)).await;
        backoff = (backoff * 2).min(config.reconnect_max);
    }
}
