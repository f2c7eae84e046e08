//! [`RetryLayer`]: retries a service's failed requests under a
//! [`RetryPolicy`](crate::RetryPolicy).

mod error;
mod future;
mod layer;
mod service;

pub use future::RetryFuture;
pub use layer::RetryLayer;
pub use service::RetryService;
