//! [`Dashboard`]: the options of the router and its construction.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::routing::{any, get, post};
use axum::Router;
use staunch::{ConfigError, Registry};

use crate::events::Hub;
use crate::host::AllowedHosts;
use crate::state::{AppState, MetricsText, Options, SharedRegistry};
use crate::{admin, api, error, events, host, metrics, page};

/// Transitions buffered for each event-stream reader before it is told it lagged.
const DEFAULT_EVENT_CAPACITY: usize = 256;

/// Event streams open at once, by default.
const DEFAULT_MAX_EVENT_STREAMS: usize = 64;

/// The shortest admin token accepted, in characters.
pub(crate) const MIN_ADMIN_TOKEN_LEN: usize = 16;

/// Builds the dashboard router with options; [`router`](crate::router) is the short form
/// with none.
///
/// ```
/// use std::sync::Arc;
/// use staunch::Registry;
/// use staunch_dashboard::Dashboard;
///
/// let registry = Arc::new(Registry::new());
/// let app: axum::Router = Dashboard::new(registry)
///     .admin_token("correct-horse-battery-staple")
///     .allowed_hosts(["localhost", "status.example.com"])
///     .build()?;
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct Dashboard {
    registry: SharedRegistry,
    admin_token: Option<String>,
    metrics_text: Option<MetricsText>,
    event_capacity: usize,
    max_event_streams: usize,
    allowed_hosts: AllowedHosts,
}

impl Dashboard {
    /// A dashboard over `registry`: `Registry::global()`, an `Arc<Registry>`, or any other
    /// shared handle to one.
    ///
    /// ```
    /// let dashboard = staunch_dashboard::Dashboard::new(staunch::Registry::global());
    /// # let _ = dashboard;
    /// ```
    pub fn new<R>(registry: R) -> Self
    where
        R: Deref<Target = Registry> + Send + Sync + 'static,
    {
        Self {
            registry: Arc::new(registry),
            admin_token: None,
            metrics_text: None,
            event_capacity: DEFAULT_EVENT_CAPACITY,
            max_event_streams: DEFAULT_MAX_EVENT_STREAMS,
            allowed_hosts: AllowedHosts::loopback(),
        }
    }

    /// Enables the admin actions (`POST /api/v1/circuits/{name}/reset`, `force-open`,
    /// `disable`, `close`) for requests carrying `Authorization: Bearer <token>`.
    ///
    /// Without a token they answer `403`. The token is compared in constant time; it must
    /// be at least 16 characters long and contain no whitespace (generate one, e.g.
    /// `openssl rand -hex 32`).
    ///
    /// ```
    /// let app = staunch_dashboard::Dashboard::new(staunch::Registry::global())
    ///     .admin_token("9f2c1e0b7a4d4c6e8b1f3a5d7c9e0b2d")
    ///     .build();
    /// assert!(app.is_ok());
    /// ```
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Serves `render()`'s text at the top of `/metrics`, typically a `metrics` recorder's
    /// rendering, which carries the call counters that snapshots cannot give. Families it
    /// holds are not rendered again from the snapshots.
    ///
    /// ```
    /// use metrics_exporter_prometheus::PrometheusBuilder;
    ///
    /// let handle = PrometheusBuilder::new().build_recorder().handle();
    /// let app = staunch_dashboard::Dashboard::new(staunch::Registry::global())
    ///     .metrics_text(move || handle.render())
    ///     .build();
    /// assert!(app.is_ok());
    /// ```
    pub fn metrics_text(mut self, render: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.metrics_text = Some(Arc::new(render));
        self
    }

    /// How many transitions an event-stream reader may fall behind before it receives a
    /// `lagged` event instead (default 256, at least 1).
    ///
    /// ```
    /// let app = staunch_dashboard::Dashboard::new(staunch::Registry::global())
    ///     .event_capacity(1024)
    ///     .build();
    /// assert!(app.is_ok());
    /// ```
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity;
        self
    }

    /// The most event streams (`GET /api/v1/events`) open at once (default 64, at least
    /// 1); more are answered `503 {"error": "too_many_streams"}` with `Retry-After: 5`.
    ///
    /// ```
    /// let app = staunch_dashboard::Dashboard::new(staunch::Registry::global())
    ///     .max_event_streams(8)
    ///     .build();
    /// assert!(app.is_ok());
    /// ```
    pub fn max_event_streams(mut self, streams: usize) -> Self {
        self.max_event_streams = streams;
        self
    }

    /// The host names the dashboard answers to, in place of the default loopback names
    /// (`localhost`, `127.0.0.1`, `[::1]`): the names of the load balancer or proxy in
    /// front of it, and the address a Prometheus server scrapes. Any port is accepted;
    /// case does not matter. A request whose `Host` is not among them (or that has none)
    /// is answered `403 {"error": "host_not_allowed"}`: this stops a page on another
    /// origin from reading the API through a name rebound to the dashboard's address
    /// (DNS rebinding).
    ///
    /// ```
    /// let app = staunch_dashboard::Dashboard::new(staunch::Registry::global())
    ///     .allowed_hosts(["status.example.com", "10.0.0.7"])
    ///     .build();
    /// assert!(app.is_ok());
    /// ```
    pub fn allowed_hosts<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allowed_hosts = AllowedHosts::names(names);
        self
    }

    /// Answers any `Host`, for a dashboard behind a proxy that already checks it. Without
    /// such a proxy this exposes the API to DNS rebinding: prefer
    /// [`allowed_hosts`](Self::allowed_hosts).
    ///
    /// ```
    /// let app = staunch_dashboard::Dashboard::new(staunch::Registry::global())
    ///     .allow_any_host()
    ///     .build();
    /// assert!(app.is_ok());
    /// ```
    pub fn allow_any_host(mut self) -> Self {
        self.allowed_hosts = AllowedHosts::any();
        self
    }

    /// The router, ready to serve or to nest under a prefix of an application's router.
    ///
    /// Errors name the bad option: an empty, short or blank admin token, a zero event
    /// capacity or stream cap.
    ///
    /// ```
    /// let err = staunch_dashboard::Dashboard::new(staunch::Registry::global())
    ///     .admin_token("")
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.field(), "admin_token");
    /// ```
    pub fn build(self) -> Result<Router, ConfigError> {
        if let Some(token) = &self.admin_token {
            validate_token(token)?;
        }
        if self.event_capacity == 0 {
            return Err(ConfigError::new("event_capacity", 0, "must be at least 1"));
        }
        if self.max_event_streams == 0 {
            return Err(ConfigError::new(
                "max_event_streams",
                0,
                "must be at least 1",
            ));
        }
        Ok(self.into_router())
    }

    /// Builds without validation; only for options that need none.
    pub(crate) fn into_router(self) -> Router {
        let hub = Hub::listen(self.registry, self.event_capacity.max(1));
        let state = AppState::new(
            hub,
            Options {
                admin_token: self.admin_token,
                metrics_text: self.metrics_text,
                allowed_hosts: self.allowed_hosts,
                max_event_streams: self.max_event_streams.max(1),
            },
        );
        let api = Router::new()
            .route("/circuits", get(api::list))
            .route("/circuits/{name}", get(api::one))
            .route("/circuits/{name}/{action}", post(admin::act))
            .route("/events", get(events::stream))
            .route("/{*rest}", any(error::not_found))
            .layer(axum::middleware::map_response(no_store));
        Router::new()
            .route("/", get(page::index))
            .route("/metrics", get(metrics::render))
            .nest("/api/v1", api)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                host::check,
            ))
            .with_state(state)
    }
}

impl Default for Dashboard {
    /// A dashboard over [`Registry::global`].
    ///
    /// ```
    /// let app = staunch_dashboard::Dashboard::default().build();
    /// assert!(app.is_ok());
    /// ```
    fn default() -> Self {
        Self::new(Registry::global())
    }
}

impl fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dashboard")
            .field("registry", &**self.registry)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("metrics_text", &self.metrics_text.is_some())
            .field("event_capacity", &self.event_capacity)
            .field("max_event_streams", &self.max_event_streams)
            .field("allowed_hosts", &self.allowed_hosts.list())
            .finish()
    }
}

fn validate_token(token: &str) -> Result<(), ConfigError> {
    if token.is_empty() {
        return Err(ConfigError::new("admin_token", "", "must not be empty"));
    }
    let length = token.chars().count();
    if length < MIN_ADMIN_TOKEN_LEN {
        // The value is a secret: name the rule and the length, never the token.
        return Err(ConfigError::new(
            "admin_token",
            "<redacted>",
            format!("must be at least {MIN_ADMIN_TOKEN_LEN} characters long (got {length})"),
        ));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        // The value is a secret: name the rule, never echo it.
        return Err(ConfigError::new(
            "admin_token",
            "<redacted>",
            "must not contain whitespace or control characters",
        ));
    }
    Ok(())
}

/// API answers describe live state: never cache them.
async fn no_store(mut response: axum::response::Response) -> axum::response::Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
