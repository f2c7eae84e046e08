//! [`PolicyLayer`]: the combined policy (budget, retry, breaker, attempt timeout) as a
//! tower layer.

mod error;
mod future;
mod layer;
mod service;

pub use future::PolicyFuture;
pub use layer::PolicyLayer;
pub use service::PolicyService;
