//! The staunch demo: local services that misbehave like real ones, called through
//! staunch's presets (the predefined `llm`, `mcp` and `database` breakers and policies),
//! with the live dashboard.
//!
//! `cargo run -p staunch-demo` starts it; `--help` lists the options. The same run is
//! available as a library, which is how the tests drive it:
//!
//! ```
//! # #[tokio::main] async fn main() -> Result<(), staunch_demo::StartError> {
//! use clap::Parser;
//!
//! let options = staunch_demo::Options::parse_from(["staunch-demo", "--port", "0", "--no-table"]);
//! let demo = staunch_demo::Demo::start(options).await?;
//! println!("dashboard at {}", demo.dashboard_url());
//! let summary = demo.run(async {}).await; // stop at once
//! println!("{summary}");
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use staunch::{Clock, ConfigError, Registry};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

mod calls;
mod clients;
mod options;
mod presets;
mod replica;
mod script;
mod services;
mod stats;
mod summary;
mod table;
mod traffic;

pub use options::Options;
pub use summary::{BreakerSummary, Summary};

use clients::Clients;
use replica::Replica;
use script::Script;
use services::Services;
use stats::Stats;
use table::LiveTable;
use traffic::Traffic;

/// A running demo: services, traffic and the dashboard server.
///
/// ```
/// # #[tokio::main] async fn main() -> Result<(), staunch_demo::StartError> {
/// use clap::Parser;
/// let options = staunch_demo::Options::parse_from(["staunch-demo", "--port", "0", "--no-table"]);
/// let demo = staunch_demo::Demo::start(options).await?;
/// assert!(demo.dashboard_url().starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Demo {
    options: Options,
    addr: SocketAddr,
    script: Script,
    stats: Arc<Stats>,
    server: JoinHandle<()>,
    _traffic: Traffic,
    /// Fleet mode: this process's replica.
    _replica: Option<Replica>,
}

impl Demo {
    /// Installs the presets at demo speed (once per process: later demos share their
    /// breakers), starts the services, the traffic and the dashboard on
    /// `127.0.0.1:<port>`. Must be called within a tokio runtime, before anything else in
    /// the process uses the presets.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use clap::Parser;
    /// let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let port = taken.local_addr().unwrap().port().to_string();
    /// let options = staunch_demo::Options::parse_from(["staunch-demo", "--port", &port]);
    /// let err = staunch_demo::Demo::start(options).await.unwrap_err();
    /// assert!(err.to_string().contains("--port 0"));
    /// # }
    /// ```
    pub async fn start(options: Options) -> Result<Self, StartError> {
        // Every variable staunch reads, before anything runs on a value it could not use.
        staunch::settings::check_env().map_err(StartError::Config)?;
        let registry = Registry::global();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))
            .await
            .map_err(|source| StartError::Bind {
                port: options.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(StartError::Services)?;
        // Before the breakers: they register their metrics with the recorder of the moment.
        let metrics = install_metrics_recorder();
        let mut replica = Replica::join(&options).map_err(StartError::Config)?;
        if let Some(replica) = &mut replica {
            replica.print_transitions();
        }
        presets::install(replica.as_ref().map(Replica::fleet)).map_err(StartError::Config)?;
        let stats = Stats::listen(registry);
        let clock = Clock::system();
        let mut script = Script::start(clock.clone(), options.seed);
        if replica
            .as_ref()
            .is_some_and(|replica| !replica.has_outages())
        {
            script = script.calm();
        }
        let services = Services::start(&script)
            .await
            .map_err(StartError::Services)?;
        let clients = Clients::connect(&services)
            .await
            .map_err(StartError::Services)?;
        let traffic = traffic::start(
            Arc::new(services),
            Arc::new(clients),
            Arc::clone(&stats),
            clock,
            options.rate,
        );
        let app = dashboard(registry, metrics, options.admin_token.clone())
            .map_err(StartError::Config)?;
        let server = tokio::spawn(async move {
            // Serving ends only with the process or an accept error; the demo goes on.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            options,
            addr,
            script,
            stats,
            server,
            _traffic: traffic,
            _replica: replica,
        })
    }

    /// The address of the dashboard page, e.g. `http://127.0.0.1:8080/`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> Result<(), staunch_demo::StartError> {
    /// # use clap::Parser;
    /// # let options = staunch_demo::Options::parse_from(["staunch-demo", "--port", "0"]);
    /// let demo = staunch_demo::Demo::start(options).await?;
    /// assert!(demo.dashboard_url().ends_with('/'));
    /// # Ok(()) }
    /// ```
    pub fn dashboard_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Runs until `stop` completes or the `--duration` has passed, drawing the live table
    /// unless `--no-table`; then stops everything and returns the summary.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> Result<(), staunch_demo::StartError> {
    /// use clap::Parser;
    /// let options = staunch_demo::Options::parse_from(
    ///     ["staunch-demo", "--port", "0", "--no-table", "--duration", "300ms"],
    /// );
    /// let summary = staunch_demo::Demo::start(options).await?.run(std::future::pending()).await;
    /// assert!(summary.elapsed >= std::time::Duration::from_millis(300));
    /// # Ok(()) }
    /// ```
    pub async fn run(self, stop: impl Future<Output = ()>) -> Summary {
        let clock = self.script.clock().clone();
        let deadline = async {
            match self.options.duration {
                // The demo's clock may read a tick behind the timer: sleep until it too
                // says the duration has passed.
                Some(duration) => loop {
                    let left = duration.saturating_sub(self.script.elapsed());
                    if left.is_zero() {
                        break;
                    }
                    clock.sleep(left).await;
                },
                None => std::future::pending().await,
            }
        };
        let table = async {
            let mut table = LiveTable::new();
            loop {
                clock.sleep(Duration::from_secs(1)).await;
                if !self.options.no_table {
                    table.draw(&self.summary());
                }
            }
        };
        tokio::select! {
            () = stop => {}
            () = deadline => {}
            () = table => {}
        }
        self.server.abort();
        self.summary()
    }

    fn summary(&self) -> Summary {
        Summary::read(&self.stats, Registry::global(), self.script.elapsed())
    }
}

/// A Prometheus recorder for the `metrics` facade, unless this process already has one.
fn install_metrics_recorder() -> Option<PrometheusHandle> {
    PrometheusBuilder::new().install_recorder().ok()
}

/// The dashboard over the global registry, serving the recorder's counters too.
fn dashboard(
    registry: &'static Registry,
    metrics: Option<PrometheusHandle>,
    admin_token: Option<String>,
) -> Result<axum::Router, ConfigError> {
    let mut dashboard = staunch_dashboard::Dashboard::new(registry);
    if let Some(handle) = metrics {
        dashboard = dashboard.metrics_text(move || handle.render());
    }
    if let Some(token) = admin_token {
        dashboard = dashboard.admin_token(token);
    }
    dashboard.build()
}

/// Why the demo could not start.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use clap::Parser;
/// let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let port = taken.local_addr().unwrap().port().to_string();
/// let options = staunch_demo::Options::parse_from(["staunch-demo", "--port", &port]);
/// let err = staunch_demo::Demo::start(options).await.unwrap_err();
/// assert!(matches!(err, staunch_demo::StartError::Bind { .. }));
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The dashboard's port could not be bound.
    Bind {
        /// The port asked for.
        port: u16,
        /// Why binding failed.
        source: io::Error,
    },
    /// A local service could not start, or its client could not connect.
    Services(io::Error),
    /// A preset or the dashboard refused its settings, or the presets were in use before
    /// the demo could set them.
    Config(ConfigError),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Bind { port, source } if source.kind() == io::ErrorKind::AddrInUse => {
                write!(
                    f,
                    "port {port} on 127.0.0.1 is in use; pass --port 0 for a free one"
                )
            }
            StartError::Bind { port, .. } => write!(f, "cannot listen on 127.0.0.1:{port}"),
            StartError::Services(_) => f.write_str("cannot start the local services"),
            // The setting's own message is the source, printed after this one.
            StartError::Config(_) => f.write_str("invalid setting"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Bind { source, .. } | StartError::Services(source) => Some(source),
            StartError::Config(err) => Some(err),
        }
    }
}
