//! [`KeyedCircuitBreakerLayer`]: one breaker per key of the request (host, model,
//! tenant), from the registry's bounded [`KeyedBreakers`](crate::KeyedBreakers).
//!
//! Each request is sent through the [`CircuitBreakerService`] of its key's breaker, so
//! the response future, the classification, the fallback and what a dropped future or a
//! refusal means are those of [`CircuitBreakerLayer`]: only the choice of breaker is
//! added. With [`reject_in_poll_ready`](KeyedCircuitBreakerLayer::reject_in_poll_ready),
//! readiness also fails while every request would be refused: a load balancer then sees
//! the endpoint as unavailable instead of sending it requests that fail at once.
//!
//! [`CircuitBreakerService`]: crate::tower::CircuitBreakerService
//! [`CircuitBreakerLayer`]: crate::tower::CircuitBreakerLayer

mod layer;
mod service;

pub use layer::KeyedCircuitBreakerLayer;
pub use service::KeyedCircuitBreakerService;
