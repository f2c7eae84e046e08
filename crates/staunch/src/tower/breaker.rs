//! [`CircuitBreakerLayer`]: every request takes a permit; errors are classified.
//!
//! By default a request is admitted when it is sent ([`Service::call`]) and a refused one
//! fails with [`BreakerError::Open`]; readiness is the inner service's. With
//! [`reject_in_poll_ready`](CircuitBreakerLayer::reject_in_poll_ready) admission moves
//! into [`Service::poll_ready`]: the service is ready only once it holds a permit for its
//! next request, so an open circuit (or a half-open one whose probe slots are taken) fails
//! readiness, and a load balancer stops routing to the endpoint instead of sending it
//! requests that fail at once.
//!
//! [`Service::call`]: tower_service::Service::call
//! [`Service::poll_ready`]: tower_service::Service::poll_ready
//! [`BreakerError::Open`]: crate::BreakerError::Open

mod future;
mod layer;
mod service;

pub use future::CircuitBreakerFuture;
pub use layer::CircuitBreakerLayer;
pub use service::CircuitBreakerService;
