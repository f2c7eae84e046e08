//! The demo's figures per breaker, shown live in the terminal and as the closing summary.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use staunch::Registry;

use crate::script::Service;
use crate::stats::Stats;

/// The figures of one breaker and the calls that went through it.
///
/// ```
/// # #[tokio::main] async fn main() -> Result<(), staunch_demo::StartError> {
/// use clap::Parser;
/// let options = staunch_demo::Options::parse_from(["staunch-demo", "--port", "0", "--no-table"]);
/// let demo = staunch_demo::Demo::start(options).await?;
/// let summary = demo.run(async {}).await;
/// let llm = &summary.breakers[0];
/// assert_eq!(llm.name, "llm");
/// assert!(llm.calls >= llm.succeeded + llm.failed);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BreakerSummary {
    /// The breaker's name: `llm`, `mcp` or `database`.
    pub name: String,
    /// The breaker's state when the figures were read (`"closed"`, `"open"` ...).
    pub state: String,
    /// Calls made, each counting once whatever its retries.
    pub calls: u64,
    /// Calls that succeeded, at the first attempt or after retries.
    pub succeeded: u64,
    /// Calls that failed after their last attempt.
    pub failed: u64,
    /// Calls that ended refused by the open breaker.
    pub rejected: u64,
    /// Attempts beyond the first that reached the service, over all calls.
    pub retries: u64,
    /// Failed or rejected calls that the fallback answered from the cache (the LLM's).
    pub cached: u64,
    /// State transitions of the breaker.
    pub transitions: u64,
    /// Times the breaker opened.
    pub opened: u64,
    /// Times a probe succeeded and the breaker closed again.
    pub recovered: u64,
    /// Failed attempts by cause, in the words of the service's client (`"database is
    /// locked"`, `"mcp error -32603: search index unavailable"`, `"http status 429"`), and
    /// `"no answer within the attempt timeout"` for attempts the timeout cut off.
    pub errors: BTreeMap<String, u64>,
}

/// The closing summary: how long the demo ran and the figures of each breaker.
///
/// ```
/// # #[tokio::main] async fn main() -> Result<(), staunch_demo::StartError> {
/// use clap::Parser;
/// let options = staunch_demo::Options::parse_from(["staunch-demo", "--port", "0", "--no-table"]);
/// let summary = staunch_demo::Demo::start(options).await?.run(async {}).await;
/// assert_eq!(summary.breakers.len(), 3);
/// println!("{summary}");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// How long the demo ran.
    pub elapsed: Duration,
    /// One entry per breaker, in the order `llm`, `mcp`, `database`.
    pub breakers: Vec<BreakerSummary>,
}

impl Summary {
    pub(crate) fn read(stats: &Stats, registry: &Registry, elapsed: Duration) -> Self {
        let breakers = Service::ALL
            .iter()
            .map(|&service| {
                let name = service.breaker_name();
                let calls = stats.calls(service).read();
                let transitions = stats.transitions(name);
                let state = registry
                    .get(name)
                    .map_or("-".into(), |b| b.state().to_string());
                BreakerSummary {
                    name: name.to_owned(),
                    state,
                    calls: calls.calls,
                    succeeded: calls.succeeded,
                    failed: calls.failed,
                    rejected: calls.rejected,
                    retries: calls.retries,
                    cached: calls.cached,
                    transitions: transitions.transitions,
                    opened: transitions.opened,
                    recovered: transitions.recovered,
                    errors: stats.errors(service).read(),
                }
            })
            .collect();
        Self { elapsed, breakers }
    }

    /// Whether every breaker opened at least once and recovered at least once.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> Result<(), staunch_demo::StartError> {
    /// use clap::Parser;
    /// let options = staunch_demo::Options::parse_from(["staunch-demo", "--port", "0", "--no-table"]);
    /// let summary = staunch_demo::Demo::start(options).await?.run(async {}).await;
    /// assert!(!summary.every_breaker_recovered()); // stopped before the first outage
    /// # Ok(()) }
    /// ```
    pub fn every_breaker_recovered(&self) -> bool {
        self.breakers
            .iter()
            .all(|b| b.opened > 0 && b.recovered > 0)
    }

    /// The table of figures, one line per breaker, under a header line.
    pub(crate) fn table(&self) -> String {
        let mut out = format!(
            "{:<10} {:<11} {:>7} {:>7} {:>7} {:>8} {:>8} {:>7} {:>7} {:>9}\n",
            "breaker",
            "state",
            "calls",
            "ok",
            "failed",
            "rejected",
            "retries",
            "cached",
            "opened",
            "recovered"
        );
        for b in &self.breakers {
            out.push_str(&format!(
                "{:<10} {:<11} {:>7} {:>7} {:>7} {:>8} {:>8} {:>7} {:>7} {:>9}\n",
                b.name,
                b.state,
                b.calls,
                b.succeeded,
                b.failed,
                b.rejected,
                b.retries,
                b.cached,
                b.opened,
                b.recovered
            ));
        }
        out
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "summary after {:.1} s", self.elapsed.as_secs_f64())?;
        f.write_str(&self.table())?;
        if self.every_breaker_recovered() {
            f.write_str("every breaker opened and recovered\n")
        } else {
            let waiting: Vec<&str> = (self.breakers.iter())
                .filter(|b| b.opened == 0 || b.recovered == 0)
                .map(|b| b.name.as_str())
                .collect();
            writeln!(f, "not yet through a whole cycle: {}", waiting.join(", "))
        }
    }
}
