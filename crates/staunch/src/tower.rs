//! `tower` layers for the circuit breaker, the retry and the combined policy (feature
//! `tower`), so they drop into axum, tonic, hyper and reqwest stacks.
//!
//! | layer | service error | needs |
//! |---|---|---|
//! | [`CircuitBreakerLayer`] | [`BreakerError<S::Error>`](crate::BreakerError) | |
//! | [`RetryLayer`] | [`RetryError<S::Error>`](crate::RetryError) | `S: Clone`, `Request: Clone` |
//! | [`PolicyLayer`] | [`PolicyError<S::Error>`](crate::PolicyError) | `S: Clone`, `Request: Clone` |
//!
//! Each classifies the inner service's errors with the same [`Classify`](crate::Classify)
//! seam as the rest of staunch (default: every error transient), set with `.when(..)` or
//! `.classify(..)` on the layer, and each takes a `.fallback(..)` like the other call
//! forms ([`Fallback`](crate::policy::Fallback)), cloned for each request. The response
//! futures are hand-written: the success path allocates nothing (the breaker's permit is
//! an owned handle, a reference count).
//!
//! A retrying service calls its inner service more than once per request, so it keeps a
//! clone of the request and of the inner service: the clone that was polled ready takes
//! the first attempt, and each later attempt waits for readiness again. A readiness error
//! ends the call at once (tower treats such a service as failed), reported as not
//! retryable.
//!
//! Each layer follows tower's template: a folder with `layer.rs` (the layer: `Clone`,
//! `Debug`, its options), `service.rs` (the service: `get_ref`, `get_mut`,
//! `into_inner`), `future.rs` (the response future, the engine's driver) and `error.rs`
//! where the service makes errors of its own; the types are re-exported here.
//!
//! Prefer [`PolicyLayer`] to stacking [`RetryLayer`] over [`CircuitBreakerLayer`]: the
//! policy's retry knows its breaker (it waits for the probe or fails fast, see
//! [`policy`](crate::policy)), a stack only sees a refusal as one more error.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::convert::Infallible;
//! use staunch::tower::PolicyLayer;
//! use staunch::Policy;
//! use tower_layer::Layer;
//! use tower_service::Service;
//!
//! #[derive(Clone)]
//! struct Echo;
//! impl Service<String> for Echo {
//!     type Response = String;
//!     type Error = Infallible;
//!     type Future = std::future::Ready<Result<String, Infallible>>;
//!     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
//!         std::task::Poll::Ready(Ok(()))
//!     }
//!     fn call(&mut self, request: String) -> Self::Future {
//!         std::future::ready(Ok(request))
//!     }
//! }
//!
//! let mut service = PolicyLayer::new(Policy::builder("echo").build()?).layer(Echo);
//! std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
//! assert_eq!(service.call("hi".to_owned()).await?, "hi");
//! # Ok(()) }
//! ```

mod breaker;
mod keyed;
mod policy;
mod retry;

pub use breaker::{CircuitBreakerFuture, CircuitBreakerLayer, CircuitBreakerService};
pub use keyed::{KeyedCircuitBreakerLayer, KeyedCircuitBreakerService};
pub use policy::{PolicyFuture, PolicyLayer, PolicyService};
pub use retry::{RetryFuture, RetryLayer, RetryService};

/// The inner service for one request of a retrying service: the clone that was polled
/// ready takes it, and a fresh clone waits for readiness in its place.
fn take_ready<S: Clone>(inner: &mut S) -> S {
    let fresh = inner.clone();
    std::mem::replace(inner, fresh)
}
