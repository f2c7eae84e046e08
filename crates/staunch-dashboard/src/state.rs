//! The state shared by every handler: the registry, the transition hub and the options.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use staunch::Registry;

use crate::events::Hub;

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
}

impl AppState {
    pub(crate) fn new(
        hub: Arc<Hub>,
        admin_token: Option<String>,
        metrics_text: Option<MetricsText>,
    ) -> Self {
        Self(Arc::new(Inner {
            hub,
            admin_token: admin_token.map(|t| t.into_bytes().into_boxed_slice()),
            metrics_text,
        }))
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
            .finish_non_exhaustive()
    }
}
