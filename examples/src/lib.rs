//! What the examples share: a log of the attempts of each call and of the breaker's
//! transitions, printed as they happen and summed up at the end in one line that the
//! tests of this package assert.

use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use staunch::{CircuitBreaker, CircuitState, Event, PolicyError};

/// Counts the attempts of each call and the transitions of one breaker.
///
/// ```
/// let breaker = staunch::CircuitBreaker::builder("doc").failure_threshold(1).build()?;
/// let log = staunch_examples::Log::watch(&breaker);
/// log.call("first");
/// log.attempt();
/// let _ = breaker.call_blocking(|| Err::<(), _>("down"));
/// assert_eq!(log.summary(), "attempts=[1] trips=1 recoveries=0 final=open");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Log {
    inner: Arc<Mutex<Inner>>,
    breaker: CircuitBreaker,
}

#[derive(Debug)]
struct Inner {
    attempts: Vec<u32>,
    trips: u32,
    recoveries: u32,
    started: Instant,
    last_attempt: Option<Instant>,
}

impl Log {
    /// Starts a log and prints every transition of `breaker` as it happens.
    pub fn watch(breaker: &CircuitBreaker) -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            attempts: Vec::new(),
            trips: 0,
            recoveries: 0,
            started: Instant::now(),
            last_attempt: None,
        }));
        let seen = Arc::clone(&inner);
        breaker.add_listener(move |event| {
            if let Event::Transition(t) = event {
                println!("    transition `{}`: {} -> {}", t.name, t.from, t.to);
                let mut log = seen.lock().unwrap_or_else(PoisonError::into_inner);
                match (t.from, t.to) {
                    (_, CircuitState::Open) => log.trips += 1,
                    (CircuitState::HalfOpen, CircuitState::Closed) => log.recoveries += 1,
                    _ => {}
                }
            }
        });
        Self {
            inner,
            breaker: breaker.clone(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a new call, named in the output.
    pub fn call(&self, what: &str) {
        let mut log = self.lock();
        log.attempts.push(0);
        log.last_attempt = None;
        let at = log.started.elapsed();
        println!("call {} at {at:.2?}: {what}", log.attempts.len());
    }

    /// Counts one attempt of the current call and prints the wait since the previous one.
    pub fn attempt(&self) {
        let mut log = self.lock();
        let now = Instant::now();
        let waited = log.last_attempt.map(|last| now - last);
        log.last_attempt = Some(now);
        if let Some(count) = log.attempts.last_mut() {
            *count += 1;
            match waited {
                Some(waited) => println!("  attempt {count} after {waited:.2?}"),
                None => println!("  attempt {count}"),
            }
        }
    }

    /// Prints how the current call ended, and the breaker's state.
    pub fn outcome(&self, outcome: impl std::fmt::Display) {
        println!(
            "  -> {outcome} (breaker `{}`: {}, {} failures)",
            self.breaker.name(),
            self.breaker.state(),
            self.breaker.failure_count()
        );
    }

    /// The one-line summary the tests assert:
    /// `attempts=[2,3,1] trips=1 recoveries=1 final=closed`.
    pub fn summary(&self) -> String {
        let log = self.lock();
        let attempts: Vec<String> = log.attempts.iter().map(u32::to_string).collect();
        format!(
            "attempts=[{}] trips={} recoveries={} final={}",
            attempts.join(","),
            log.trips,
            log.recoveries,
            self.breaker.state()
        )
    }
}

/// How a call failed, in one line: the kind, then the error and all its causes.
///
/// ```
/// let policy = staunch::Policy::builder("doc").max_attempts(1).build()?;
/// let refused = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
/// let error = policy.call_blocking(|| Err::<(), _>(refused())).unwrap_err();
/// let line = staunch_examples::failure(&error);
/// assert!(line.starts_with("exhausted: gave up after 1 attempt in "), "{line}");
/// assert!(line.ends_with(": retries exhausted: refused"), "{line}");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
pub fn failure<E: Error + 'static>(error: &PolicyError<E>) -> String {
    format!("{}: {}", error.kind().as_str(), report(error))
}

/// An error and its causes, outermost first, joined by `: ` as anyhow's `{:#}` prints
/// them. A staunch error's message is its own layer's only ("protected call failed",
/// "gave up after 3 attempts …"); the error that caused it is its `source()`. Some
/// errors also repeat their cause in their own message (sqlx's "error returned from
/// database: …"); a cause the text already ends with is not printed twice.
///
/// ```
/// let breaker = staunch::CircuitBreaker::builder("files").build()?;
/// let error = breaker
///     .call_blocking(|| std::fs::read_to_string("/no/such/file"))
///     .unwrap_err();
/// assert_eq!(error.to_string(), "protected call failed");
/// let report = staunch_examples::report(&error);
/// assert!(report.starts_with("protected call failed: No such file or directory"), "{report}");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
pub fn report(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let message = error.to_string();
        if !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = error.source();
    }
    text
}
