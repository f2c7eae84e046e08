//! Attributes for [staunch](https://docs.rs/staunch): retry, circuit breakers and both
//! combined, on any function returning `Result`, async or not. Use them through `staunch`
//! with the feature `macros`:
//!
//! ```toml
//! staunch = { version = "0.1", features = ["macros"] }
//! ```
//!
//! | attribute | what it does |
//! |---|---|
//! | [`#[retry_on_exception]`](macro@retry_on_exception) | retries with exponential backoff: 1 s, 2 s, 4 s … up to `wait_max` |
//! | [`#[retry_with_jitter]`](macro@retry_with_jitter) | the same with random jitter (full by default), never above `max_wait` |
//! | [`#[circuit_breaker]`](macro@circuit_breaker) | guards the function with its own breaker, or a given one |
//! | [`#[resilient]`](macro@resilient) | retry outside, breaker inside |
//!
//! # From the Python decorators
//!
//! | Python | Rust |
//! |---|---|
//! | `@retry_on_exception(max_attempts=3, wait_min=1.0, wait_max=10.0, exception_types=(TimeoutError, ConnectionError))` | `#[retry_on_exception(max_attempts = 3, wait_min = 1.0, wait_max = 10.0, when = is_transient)]` |
//! | `@retry_with_jitter(max_attempts=5, base_wait=2.0, max_wait=10.0, jitter=True)` | `#[retry_with_jitter(max_attempts = 5, base_wait = 2.0, max_wait = 10.0, jitter = true)]` |
//! | `@CircuitBreaker(failure_threshold=5, recovery_timeout=60, expected_exception=E)` | `#[circuit_breaker(failure_threshold = 5, recovery_timeout = 60, when = is_e)]` |
//! | `@LLM_CIRCUIT_BREAKER` | `#[circuit_breaker(LLM_CIRCUIT_BREAKER)]`, or any `breaker = path` |
//! | `@resilient(max_attempts=3, failure_threshold=5, recovery_timeout=60, exception_types=(…))` | `#[resilient(max_attempts = 3, failure_threshold = 5, recovery_timeout = 60, when = …)]` |
//! | `exception_types` / `expected_exception` | `when = path` (a `fn(&E) -> bool`: `true` retries and counts), or `classify = path` (a `Fn(&E) -> Verdict`) |
//! | raising `RetryError` when attempts run out | the **last error**, as the function's own `E` |
//! | raising `CircuitBreakerError` | `E::from(CircuitOpen)`: the error type must implement `From<staunch::CircuitOpen>` |
//!
//! The names are the seed's. `wait_min`/`wait_max` are called `base_wait`/`max_wait` in
//! `#[retry_with_jitter]`, as in the seed; a misspelled or misplaced argument is a compile
//! error that names the right one.
//!
//! # Arguments
//!
//! | argument | accepted by | value | not given |
//! |---|---|---|---|
//! | `max_attempts` | retries, `resilient` | whole number ≥ 1, attempts in total; or a `u32` constant | `RETRY_MAX_ATTEMPTS` (3) |
//! | `wait_min` / `base_wait` | retries, `resilient` | duration: first wait, floor of every wait; or a `Duration` constant | `RETRY_WAIT_MIN` (1 s) |
//! | `wait_max` / `max_wait` | retries, `resilient` | duration: cap of every wait; or a `Duration` constant | `RETRY_WAIT_MAX` (10 s) |
//! | `jitter` | `retry_with_jitter`, `resilient` | `true` (full), `false`, `"full"`, `"equal"`, `"decorrelated"`, `"none"`; or a `Jitter` constant | full for `retry_with_jitter`, none for `resilient` |
//! | `seed` | `retry_with_jitter`, `resilient` | whole number: reproducible jitter; or a `u64` constant | random |
//! | `failure_threshold` | `circuit_breaker`, `resilient` | whole number ≥ 1; or a `u32` constant | `CIRCUIT_BREAKER_FAILURE_THRESHOLD` (10) |
//! | `recovery_timeout` | `circuit_breaker`, `resilient` | duration > 0; or a `Duration` constant | `CIRCUIT_BREAKER_RECOVERY_TIMEOUT` (60 s) |
//! | `breaker`, or a first bare argument | `circuit_breaker`, `resilient` | an expression that derefs to `CircuitBreaker` (a `static LazyLock<CircuitBreaker>`, a preset, `self.breaker`) | a breaker of its own |
//! | `when` | all | a predicate `Fn(&E) -> bool` | every error is transient |
//! | `classify` | all | a classifier `Fn(&E) -> Verdict` | every error is transient |
//! | `name` | all | string literal | `module_path!()::function` |
//! | `clock` | all | an expression giving a `Clock` (or a `FakeClock`); it may use the arguments, e.g. `clock = self.clock.clone()` | the system clock |
//!
//! Durations are seconds (`1`, `1.5`, `"1.5"`) or strings with units (`"500ms"`, `"2m"`,
//! `"1h 30m"`). Every value is checked at compile time: a negative duration, a zero
//! attempt count, `wait_min` above `wait_max`, an unknown or repeated argument is an
//! error pointing at the token.
//!
//! Instead of a literal, the numbers, durations and the jitter mode take a constant
//! expression of the type in the table: `max_attempts = MAX_ATTEMPTS`,
//! `recovery_timeout = Duration::from_secs(30)`, `wait_min = config::WAIT_MIN`,
//! `jitter = Jitter::Equal`, `seed = Tuning::SEED`. The attribute evaluates it in a
//! `static` inside the function, so it can be anything the compiler evaluates there: a
//! `const`, an associated constant named by its type (not `Self::…`), a `const fn` call.
//! It is checked as strictly as a literal, at compile time too: a constant `max_attempts`
//! of 0, a zero `recovery_timeout` or a `wait_min` above `wait_max` fails the build with
//! the argument, the expression and the rule (`` `max_attempts` must be at least 1, found
//! `MAX_ATTEMPTS` = 0 ``), so a bad constant never reaches run time. A value known only at
//! run time (read from a file, computed by a plain `fn`) is refused by the compiler; pass
//! it through the settings, or build a `Policy` or `CircuitBreaker` with it instead.
//!
//! Arguments not given come from [`ResilienceSettings`](https://docs.rs/staunch/latest/staunch/settings/)
//! (the environment, and `.env` with the feature `dotenv`), read once per function, on its
//! first call; given arguments win. A given `wait_min` above the settings' `wait_max`
//! raises that cap to it (and the other way round). Settings that don't parse are
//! reported once as a `tracing` error, listed by `staunch::settings::fallbacks()` and
//! replaced by the defaults (`staunch::settings::check_env()` refuses them at start-up). Given a preset's
//! breaker (`#[resilient(LLM_CIRCUIT_BREAKER)]`), `#[resilient]` retries like the
//! preset's policy (`Policy::llm()`): with the settings it was
//! [installed](https://docs.rs/staunch/latest/staunch/presets/struct.Preset.html#method.install)
//! with, else the preset's settings from the environment (`LLM_…`, then the plain
//! variables, then its defaults), and with its jitter, attempt timeout and retry budget.
//!
//! # What the function returns
//!
//! The function keeps its signature and its own error type `E`:
//!
//! - a success is returned as it is;
//! - an error that the classifier does not retry, or the last error once the attempts
//!   run out, is returned as it is (no wrapper); so is the last error when
//!   `#[resilient]` stops early: its retry budget is spent, or the circuit it opened
//!   probes again later than the retry would wait;
//! - an attempt rejected by an open circuit returns `E::from(CircuitOpen)`. So the
//!   breaker attributes need `E: From<staunch::CircuitOpen>`; the compiler says so at the
//!   return type when it's missing. `anyhow::Error` and
//!   `Box<dyn Error + Send + Sync>` have it already; for your own enum, add a variant.
//!
//! Keeping `E` keeps seed-style code compiling unchanged, and `?` still works in the
//! callers. Returning a `BreakerError<E>` instead would change every signature; a
//! `From` impl is the usual Rust way to fold a library's error into the caller's.
//!
//! # Breakers and the registry
//!
//! An attribute that creates its own breaker registers it in `Registry::global()` under
//! its name (`my_crate::client::fetch`, or `name = "..."`) on the function's first call,
//! so it shows in snapshots and on the dashboard; if a breaker of that name is already
//! registered, the function uses that one. All calls of the function share the breaker.
//! Give `name` to methods: two methods of the same name in one module would otherwise
//! share a breaker.
//!
//! # What the attribute generates
//!
//! The function keeps its signature and attributes; its body is rewritten into a loop
//! that runs the original body once per attempt:
//!
//! ```text
//! fn fetch(&mut self, id: u32) -> Result<Item, Error> {
//!     static SITE: __private::Site = Site::new(Config::new("app::fetch").max_attempts(3));
//!     let mut call = SITE.retry(clock);     // .breaker(clock), .guard(&B), .resilient(clock) …
//!     loop {
//!         let permit = match call.before() { Continue(p) => p, Break(open) => return open };
//!         let result = (|| { /* the original body */ })();   // async: async { body }.await
//!         let classifier = __private::when(&result, is_transient);
//!         match call.after_blocking(permit, result, classifier) {   // async: after(..).await
//!             Break(result) => return result,
//!             Continue(()) => {}   // slept the backoff delay; next attempt
//!         }
//!     }
//! }
//! ```
//!
//! - The `static` holds the arguments as constants; the settings are merged in and the
//!   breaker is created on the first call, then reused.
//! - The body becomes a fresh closure (or async block) on each turn, so it borrows `self`,
//!   `&mut self` and the arguments for one attempt only. `return` and `?` inside it end
//!   the attempt, not the function; a dead `return` of the declared type comes first, so
//!   the body type-checks exactly as before (coercions, `?` conversions).
//! - `before` asks the breaker for a permit (nothing for retries); `after` reports the
//!   outcome through the permit, asks the retry's state machine (for `#[resilient]`, the
//!   combined policy's engine) for the next delay and sleeps on the clock. Everything
//!   called lives in `staunch::__private`, which is not a public API.
//! - `#[resilient]` runs on the engine of `staunch::Policy`, in its order: retry budget
//!   and retry outside, breaker inside, so every attempt takes a permit and is counted
//!   (with a preset's breaker, the preset's attempt timeout and budget apply too). An
//!   attempt refused by an open circuit returns the open circuit at once. After a
//!   failure that leaves the circuit open, the retry looks at the probe: if it comes
//!   within the retry's patience (what the backoff could wait over the call, `wait_max` ×
//!   (`max_attempts` − 1), less the waits already made), it waits exactly until then and
//!   the next attempt is the probe; if it comes later, the call ends with that failure
//!   rather than sleeping towards a refusal.
//!
//! Because the body runs several times, it must not move out of the arguments (clone
//! them instead), and a `&mut self` method can't return a borrow of `self` (the borrow
//! checker can't see that a failed attempt's borrow has ended; `&self` methods can).
//! Breaker and retry state live in the function's `static`, not in the function's
//! generic parameters, so every instantiation of a generic function shares them.

use proc_macro::TokenStream;

mod attr;
mod expand;
mod item;

use attr::Kind;

/// Retries the function with exponential backoff: the seed's `@retry_on_exception`.
///
/// Attempts in total: `max_attempts`. Waits: `wait_min`, doubling, capped at `wait_max`
/// (1, 2, 4, 8, 10, 10 … s for 1 s and 10 s). `when = predicate` picks the errors to
/// retry; the others are returned at once. Every argument is in the table under **Arguments** (on this page in `staunch`, on the crate page in `staunch-macros`).
///
/// ```
/// use std::io;
/// use std::time::Duration;
/// use staunch::test_util::FakeClock;
/// use staunch::{retry_on_exception, Clock};
///
/// fn is_transient(e: &io::Error) -> bool {
///     matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::ConnectionRefused)
/// }
///
/// #[retry_on_exception(max_attempts = 3, wait_min = 1.0, wait_max = 10.0, when = is_transient, clock = clock.clone())]
/// fn fetch(clock: &Clock, attempts: &mut u32) -> Result<&'static str, io::Error> {
///     *attempts += 1;
///     if *attempts < 3 {
///         return Err(io::ErrorKind::TimedOut.into());
///     }
///     Ok("payload")
/// }
///
/// let fake = FakeClock::new();
/// let mut attempts = 0;
/// assert_eq!(fetch(&fake.clock(), &mut attempts).unwrap(), "payload");
/// assert_eq!(attempts, 3);
/// assert_eq!(fake.sleeps(), [Duration::from_secs(1), Duration::from_secs(2)]);
/// ```
///
/// Numbers and durations can be constants, checked at compile time like literals:
///
/// ```
/// use std::io;
/// use std::time::Duration;
/// use staunch::test_util::FakeClock;
/// use staunch::{retry_on_exception, Clock};
///
/// const ATTEMPTS: u32 = 4;
/// const FIRST_WAIT: Duration = Duration::from_millis(100);
///
/// #[retry_on_exception(max_attempts = ATTEMPTS, wait_min = FIRST_WAIT, wait_max = Duration::from_secs(1), clock = clock.clone())]
/// fn ping(clock: &Clock) -> Result<(), io::Error> {
///     Err(io::ErrorKind::TimedOut.into())
/// }
///
/// let fake = FakeClock::new();
/// assert!(ping(&fake.clock()).is_err());
/// assert_eq!(fake.total_slept(), Duration::from_millis(100 + 200 + 400));
/// ```
///
/// Async functions and methods take the same arguments:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::io;
/// use staunch::test_util::FakeClock;
/// use staunch::{retry_on_exception, Clock};
///
/// struct Client { clock: Clock, calls: u32 }
///
/// impl Client {
///     #[retry_on_exception(max_attempts = 4, wait_min = "200ms", clock = self.clock.clone())]
///     async fn get(&mut self) -> Result<u32, io::Error> {
///         self.calls += 1;
///         if self.calls < 4 { Err(io::ErrorKind::ConnectionReset)? }
///         Ok(self.calls)
///     }
/// }
///
/// let fake = FakeClock::new();
/// let mut client = Client { clock: fake.clock(), calls: 0 };
/// assert_eq!(client.get().await.unwrap(), 4);
/// assert_eq!(fake.total_slept().as_millis(), 200 + 400 + 800);
/// # }
/// ```
#[proc_macro_attribute]
pub fn retry_on_exception(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::RetryOnException, args.into(), item.into()).into()
}

/// Retries the function with jittered exponential backoff: the seed's
/// `@retry_with_jitter`.
///
/// Retry `n` waits a random time between `base_wait` and `min(max_wait, base_wait·2ⁿ)`
/// (full jitter, the default; `jitter = "equal"`, `"decorrelated"` or `false` choose
/// another). A jittered wait never exceeds `max_wait` and stays random once waits reach
/// it, so many clients failing together spread out. `seed = n` makes the draws
/// reproducible. Every argument is in the table under **Arguments** (on this page in `staunch`, on the crate page in `staunch-macros`).
///
/// ```
/// use std::io;
/// use std::time::Duration;
/// use staunch::test_util::FakeClock;
/// use staunch::{retry_with_jitter, Clock};
///
/// #[retry_with_jitter(max_attempts = 5, base_wait = 2.0, max_wait = 10.0, jitter = true, clock = clock.clone())]
/// fn publish(clock: &Clock) -> Result<(), io::Error> {
///     Err(io::ErrorKind::TimedOut.into())
/// }
///
/// let fake = FakeClock::new();
/// assert!(publish(&fake.clock()).is_err());
/// assert_eq!(fake.sleeps().len(), 4); // 5 attempts
/// for delay in fake.sleeps() {
///     assert!(Duration::from_secs(2) <= delay && delay <= Duration::from_secs(10));
/// }
/// ```
#[proc_macro_attribute]
pub fn retry_with_jitter(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::RetryWithJitter, args.into(), item.into()).into()
}

/// Guards the function with a circuit breaker: the seed's `@CircuitBreaker(...)` and
/// `@LLM_CIRCUIT_BREAKER`.
///
/// With `failure_threshold` and `recovery_timeout` (or neither: the settings decide) the
/// function gets a breaker of its own, registered in `Registry::global()` under its name.
/// With a breaker given (`#[circuit_breaker(LLM_CIRCUIT_BREAKER)]`,
/// `#[circuit_breaker(breaker = self.breaker)]`) it shares that one; breakers are not
/// generic over the error type, so functions with different errors can share one.
///
/// `when`/`classify` decide which errors count as failures; the others pass through
/// uncounted. A call refused by the open circuit returns `E::from(CircuitOpen)`, so `E`
/// must implement `From<staunch::CircuitOpen>`. Every argument is in the table under **Arguments** (on this page in `staunch`, on the crate page in `staunch-macros`).
///
/// ```
/// use std::time::Duration;
/// use staunch::test_util::FakeClock;
/// use staunch::{circuit_breaker, CircuitOpen, CircuitState, Clock, Registry};
///
/// #[derive(Debug)]
/// enum ApiError {
///     Unavailable,
///     Open(CircuitOpen),
/// }
///
/// impl From<CircuitOpen> for ApiError {
///     fn from(open: CircuitOpen) -> Self {
///         ApiError::Open(open)
///     }
/// }
///
/// #[circuit_breaker(failure_threshold = 2, recovery_timeout = 30, name = "inventory", clock = clock.clone())]
/// fn inventory(clock: &Clock) -> Result<u32, ApiError> {
///     Err(ApiError::Unavailable)
/// }
///
/// let fake = FakeClock::new();
/// assert!(matches!(inventory(&fake.clock()), Err(ApiError::Unavailable)));
/// assert!(matches!(inventory(&fake.clock()), Err(ApiError::Unavailable)));
/// // Two failures: the circuit is open and rejects the next call without running it.
/// assert!(matches!(inventory(&fake.clock()), Err(ApiError::Open(_))));
/// let breaker = Registry::global().get("inventory").unwrap();
/// assert_eq!(breaker.state(), CircuitState::Open);
/// ```
///
/// A shared breaker, for example a preset or a `static`:
///
/// ```
/// use std::sync::LazyLock;
/// use staunch::test_util::FakeClock;
/// use staunch::{circuit_breaker, CircuitBreaker};
///
/// static PAYMENTS: LazyLock<CircuitBreaker> = LazyLock::new(|| {
///     CircuitBreaker::builder("payments").failure_threshold(1).clock(FakeClock::new().clock()).build().unwrap()
/// });
///
/// #[circuit_breaker(PAYMENTS)]
/// fn charge(cents: u64) -> Result<u64, anyhow_like::Error> {
///     Err(anyhow_like::Error("card declined"))
/// }
///
/// #[circuit_breaker(breaker = PAYMENTS)]
/// async fn refund(cents: u64) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
///     Ok(cents)
/// }
///
/// assert!(charge(100).is_err());
/// assert_eq!(PAYMENTS.state(), staunch::CircuitState::Open);
/// # mod anyhow_like {
/// #     #[derive(Debug)] pub struct Error(pub &'static str);
/// #     impl From<staunch::CircuitOpen> for Error { fn from(_: staunch::CircuitOpen) -> Self { Error("open") } }
/// # }
/// ```
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::CircuitBreaker, args.into(), item.into()).into()
}

/// Retry outside, circuit breaker inside: the seed's `@resilient`.
///
/// Takes the arguments of [`#[retry_on_exception]`](macro@retry_on_exception) and of
/// [`#[circuit_breaker]`](macro@circuit_breaker) (plus `jitter` and `seed`), and runs
/// on the engine of the combined `staunch::Policy`: retry budget and retry outside,
/// breaker inside. Every attempt goes through the breaker and is counted by it. An
/// attempt refused by an open circuit returns `E::from(CircuitOpen)` at once. When a
/// failure leaves the circuit open, the retry waits for the probe if it comes within the
/// retry's patience (`wait_max` × (`max_attempts` − 1) over the whole call, less the
/// waits already made), so that the next attempt is the probe; if the probe is further
/// away, the call ends with that failure instead of sleeping towards a refusal, as below
/// (60 s open, at most 2 × 10 s of waits).
///
/// ```
/// use std::time::Duration;
/// use staunch::test_util::FakeClock;
/// use staunch::{resilient, AttemptTimeout, CircuitOpen, CircuitState, Clock, Registry};
///
/// #[derive(Debug, PartialEq)]
/// enum DbError { Timeout, Open }
///
/// impl From<CircuitOpen> for DbError {
///     fn from(_: CircuitOpen) -> Self { DbError::Open }
/// }
///
/// // Async functions: a last attempt cut by the attempt timeout returns this.
/// impl From<AttemptTimeout> for DbError {
///     fn from(_: AttemptTimeout) -> Self { DbError::Timeout }
/// }
///
/// #[resilient(max_attempts = 3, failure_threshold = 5, recovery_timeout = 60, name = "orders-db", clock = clock.clone())]
/// async fn query(clock: &Clock) -> Result<u64, DbError> {
///     Err(DbError::Timeout)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let fake = FakeClock::new();
/// assert_eq!(query(&fake.clock()).await, Err(DbError::Timeout)); // 3 attempts, 3 failures
/// assert_eq!(fake.sleeps(), [Duration::from_secs(1), Duration::from_secs(2)]);
/// assert_eq!(query(&fake.clock()).await, Err(DbError::Timeout)); // 5th failure opens it
/// assert_eq!(query(&fake.clock()).await, Err(DbError::Open));
/// assert_eq!(Registry::global().get("orders-db").unwrap().state(), CircuitState::Open);
/// # }
/// ```
///
/// With a probe in reach, the failure that opens the circuit is followed by the probe:
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use staunch::test_util::FakeClock;
/// use staunch::{resilient, CircuitOpen, Clock};
///
/// # #[derive(Debug, PartialEq)] enum DbError { Timeout, Open }
/// # impl From<CircuitOpen> for DbError { fn from(_: CircuitOpen) -> Self { DbError::Open } }
/// # impl From<staunch::AttemptTimeout> for DbError { fn from(_: staunch::AttemptTimeout) -> Self { DbError::Timeout } }
/// static ATTEMPTS: AtomicU32 = AtomicU32::new(0);
///
/// // One failure opens the circuit for 5 s; the retries could wait 2 × 10 s anyway.
/// #[resilient(max_attempts = 3, failure_threshold = 1, recovery_timeout = 5, name = "replica", clock = clock.clone())]
/// fn read(clock: &Clock) -> Result<u64, DbError> {
///     match ATTEMPTS.fetch_add(1, Ordering::Relaxed) {
///         0 => Err(DbError::Timeout),
///         _ => Ok(7),
///     }
/// }
///
/// let fake = FakeClock::new();
/// assert_eq!(read(&fake.clock()), Ok(7)); // the second attempt was the probe
/// assert_eq!(fake.sleeps(), [Duration::from_secs(5)]);
/// ```
#[proc_macro_attribute]
pub fn resilient(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::Resilient, args.into(), item.into()).into()
}
