//! A live dashboard, JSON API, Prometheus metrics and admin actions for staunch breakers,
//! as an [`axum::Router`] to mount in an application's own server.
//!
//! | route | what it serves |
//! |---|---|
//! | `GET /` | the live page: every breaker's state, counts and rates, and a timeline of transitions; no external assets |
//! | `GET /api/v1/circuits` | `{"llm": {"state": "closed", "failure_count": 0, ...}, ...}`: the registry's snapshot; a breaker sharing its state across replicas adds `shared` (fleet state, replicas, connected) |
//! | `GET /api/v1/circuits/{name}` | one breaker's snapshot and `recent_transitions` (oldest first, with `ago_ms`) |
//! | `GET /api/v1/events` | server-sent events: `snapshot` once, then `transition` as they happen |
//! | `POST /api/v1/circuits/{name}/{reset,force-open,disable,close}` | admin actions, with [`Dashboard::admin_token`] only |
//! | `GET /metrics` | Prometheus text exposition (see below) |
//!
//! Errors answer `{"error": "<kind>"}` with kind `not_found` (404), `unauthorized` (401),
//! `admin_disabled` (403), `host_not_allowed` (403) or `too_many_streams` (503), never a
//! message or a piece of the request.
//!
//! # Exposing it
//!
//! The router is safe to put behind a load balancer:
//!
//! - it answers only the host names it is known by ([`Dashboard::allowed_hosts`]; the
//!   loopback names by default), against DNS rebinding;
//! - the page runs under a content security policy without `'unsafe-inline'`: its one
//!   script and one style sheet are allowed by their SHA-256, nothing is loaded from
//!   elsewhere, and it cannot be framed;
//! - event streams are capped ([`Dashboard::max_event_streams`]), each buffers a bounded
//!   number of transitions ([`Dashboard::event_capacity`]) and a reader that falls behind
//!   is disconnected;
//! - admin actions need a bearer token of at least 16 characters, compared in constant
//!   time.
//!
//! # Metrics
//!
//! Gauges (`staunch_circuit_state`, `staunch_circuit_failure_rate`,
//! `staunch_circuit_slow_call_rate`) and the counters `staunch_circuit_not_permitted_calls_total`
//! and `staunch_circuit_transitions_total` are rendered at each scrape from the registry and
//! the dashboard's own listener: they need nothing else. The call and retry counters
//! (`staunch_circuit_calls_total`, `staunch_retry_calls_total`,
//! `staunch_retry_attempts_total`) come from staunch's `metrics` feature through a recorder;
//! pass its rendering to [`Dashboard::metrics_text`] to serve them on the same route.
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use staunch::{CircuitBreaker, Registry};
//!
//! let registry = Registry::global();
//! registry.insert(CircuitBreaker::builder("llm").build()?);
//!
//! // Nest it under a prefix of the application's router and serve on loopback.
//! let app = axum::Router::new().nest("/resilience", staunch_dashboard::router(registry));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let server = tokio::spawn(async move { axum::serve(listener, app).await });
//! # server.abort();
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::ops::Deref;

use axum::Router;
use staunch::Registry;

mod admin;
mod api;
mod builder;
mod error;
mod events;
mod host;
mod metrics;
mod page;
mod state;

pub use builder::Dashboard;

/// The dashboard router over `registry`, with the defaults: read-only (no admin actions),
/// metrics from snapshots only.
///
/// ```
/// let app: axum::Router = staunch_dashboard::router(staunch::Registry::global());
/// # let _ = app;
/// ```
pub fn router<R>(registry: R) -> Router
where
    R: Deref<Target = Registry> + Send + Sync + 'static,
{
    Dashboard::new(registry).into_router()
}
