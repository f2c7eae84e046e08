//! [`Dashboard`]: the options of the router and its construction.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::routing::{any, get, post};
use axum::Router;
use staunch::{ConfigError, Registry};

use crate::events::Hub;
use crate::state::{AppState, MetricsText, SharedRegistry};
use crate::{admin, api, error, events, metrics, page};

/// Transitions buffered for each event-stream reader before it is told it lagged.
const DEFAULT_EVENT_CAPACITY: usize = 256;

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
///     .build()?;
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct Dashboard {
    registry: SharedRegistry,
    admin_token: Option<String>,
    metrics_text: Option<MetricsText>,
    event_capacity: usize,
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
        }
    }

    /// Enables the admin actions (`POST /api/v1/circuits/{name}/reset`, `force-open`,
    /// `disable`, `close`) for requests carrying `Authorization: Bearer <token>`.
    ///
    /// Without a token they answer `403`. The token is compared in constant time; it must
    /// not be empty or contain whitespace.
    ///
    /// ```
    /// let app = staunch_dashboard::Dashboard::new(staunch::Registry::global())
    ///     .admin_token("s3cret-token")
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

    /// The router, ready to serve or to nest under a prefix of an application's router.
    ///
    /// Errors name the bad option: an empty or blank admin token, a zero event capacity.
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
        Ok(self.into_router())
    }

    /// Builds without validation; only for options that need none.
    pub(crate) fn into_router(self) -> Router {
        let hub = Hub::listen(self.registry, self.event_capacity.max(1));
        let state = AppState::new(hub, self.admin_token, self.metrics_text);
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
            .finish()
    }
}

fn validate_token(token: &str) -> Result<(), ConfigError> {
    if token.is_empty() {
        return Err(ConfigError::new("admin_token", "", "must not be empty"));
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
