//! The command line.

use std::time::Duration;

use clap::Parser;

/// The demo's options, from the command line (`staunch-demo --help`).
///
/// ```
/// use clap::Parser;
/// use std::time::Duration;
///
/// let options = staunch_demo::Options::parse_from(["staunch-demo", "--port", "0", "--duration", "8s"]);
/// assert_eq!(options.port, 0);
/// assert_eq!(options.duration, Some(Duration::from_secs(8)));
/// assert_eq!(options.rate, 20);
/// ```
#[derive(Debug, Clone, Parser)]
#[command(
    name = "staunch-demo",
    version,
    about = "Misbehaving local services called through the staunch presets, with the live dashboard",
    long_about = "Starts three local services on loopback that misbehave like real ones (an LLM-style \
        HTTP API answering 429 with Retry-After and bursts of 500s, an MCP server (rmcp, streamable \
        HTTP) whose tool hangs, a SQLite file whose write lock a maintenance job holds), calls them through the staunch presets (the predefined \
        breakers `llm`, `mcp` and `database` and their policies, with demo-length timeouts), serves the dashboard on 127.0.0.1 and draws a live table. Every \
        breaker opens and recovers within about six seconds, and again every fifteen. Stop with \
        Ctrl-C or --duration; a summary follows."
)]
#[non_exhaustive]
pub struct Options {
    /// Port of the dashboard on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// Stop after this long (e.g. 8s, 2m); without it the demo runs until Ctrl-C.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,

    /// Calls per second to each service (5 to 500; fewer calls than 5 a second may not trip
    /// the breakers during the short outages).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(5..=500))]
    pub rate: u32,

    /// Seed of the services' random misbehaviour; the same seed replays the same choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Enables the dashboard's admin actions (reset, force-open, disable, close) for
    /// requests with `Authorization: Bearer <TOKEN>`.
    #[arg(long, env = "STAUNCH_DEMO_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Don't draw the live table; print only the dashboard's address and the summary.
    #[arg(long)]
    pub no_table: bool,

    /// Fleet mode: run this many replicas (2 to 8), each its own process with its own
    /// dashboard (on --port and the ports after it), sharing their breakers through Redis.
    /// Replica 0's services have the outages; the fleet opens the others' breakers.
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=8))]
    pub replicas: Option<u32>,

    /// The fleet mode's Redis (e.g. redis://127.0.0.1:6379); without it the demo starts a
    /// redis-server of its own on a free loopback port, without persistence, and stops it
    /// on exit.
    #[arg(long, requires = "replicas")]
    pub redis: Option<String>,

    /// Fleet mode, inside a replica: its number.
    #[arg(long, hide = true, requires = "replica_of")]
    pub replica: Option<u32>,

    /// Fleet mode, inside a replica: the fleet's Redis.
    #[arg(long, hide = true, requires = "replica")]
    pub replica_of: Option<String>,

    /// Fleet mode, inside a replica: the run's key prefix in Redis.
    #[arg(long, hide = true, default_value = "staunch-demo:")]
    pub fleet_prefix: String,
}
