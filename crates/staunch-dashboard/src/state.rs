//! The state shared by every handler: the registry, the transition hub and the options.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use staunch::Registry;
use tokio::sync::Semaphore;

use crate::events::Hub;
use crate::host::AllowedHosts;

/// A registry held by the router: `&'static Registry` (the global one), `Arc<Registry>`, or
/// any other shared handle.
pub(crate) type SharedRegistry = Arc<dyn Deref<Target = Registry> + Send + Sync>;

/// Renders extra exposition text, such as a `metrics` recorder's.
pub(crate) type MetricsText = Arc<dyn Fn() -> String + Send + Sync>;

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Inner>);

struct Inner {
    hub: Arc<Hub>,
    admin_token: Option<Box<[u8]>>,
    metrics_text: Option<MetricsText>,
    allowed_hosts: AllowedHosts,
    /// One permit per open event stream.
    streams: Arc<Semaphore>,
}

/// The options of [`AppState`] beyond the hub.
pub(crate) struct Options {
    pub(crate) admin_token: Option<String>,
    pub(crate) metrics_text: Option<MetricsText>,
    pub(crate) allowed_hosts: AllowedHosts,
    pub(crate) max_event_streams: usize,
}

impl AppState {
    pub(crate) fn new(hub: Arc<Hub>, options: Options) -> Self {
        Self(Arc::new(Inner {
            hub,
            admin_token: options
                .admin_token
                .map(|t| t.into_bytes().into_boxed_slice()),
            metrics_text: options.metrics_text,
            allowed_hosts: options.allowed_hosts,
            streams: Arc::new(Semaphore::new(options.max_event_streams)),
        }))
    }

    pub(crate) fn allowed_hosts(&self) -> &AllowedHosts {
        &self.0.allowed_hosts
    }

    /// The places of the event streams.
    pub(crate) fn streams(&self) -> &Arc<Semaphore> {
        &self.0.streams
    }

    pub(crate) fn registry(&self) -> &Registry {
        self.0.hub.registry()
    }

    pub(crate) fn hub(&self) -> &Hub {
        &self.0.hub
    }

    /// The configured admin token; `None` disables the admin actions.
    pub(crate) fn admin_token(&self) -> Option<&[u8]> {
        self.0.admin_token.as_deref()
    }

    pub(crate) fn metrics_text(&self) -> Option<&MetricsText> {
        self.0.metrics_text.as_ref()
    }
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("registry", self.registry())
            .field("admin", &self.admin_token().is_some())
            .field("metrics_text", &self.metrics_text().is_some())
            .field("allowed_hosts", &self.allowed_hosts().list())
            .finish_non_exhaustive()
    }
}
