//! Attributes for staunch: retry, circuit breakers and both combined, on any function
//! returning `Result`. Use them through `staunch` with the feature `macros`.

use proc_macro::TokenStream;

mod attr;
mod expand;
mod item;

use attr::Kind;

/// Retries the function's body with exponential backoff.
#[proc_macro_attribute]
pub fn retry_on_exception(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::RetryOnException, args.into(), item.into()).into()
}

/// Retries the function's body with jittered exponential backoff.
#[proc_macro_attribute]
pub fn retry_with_jitter(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::RetryWithJitter, args.into(), item.into()).into()
}

/// Guards the function with a circuit breaker.
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::CircuitBreaker, args.into(), item.into()).into()
}

/// Retry outside, circuit breaker inside.
#[proc_macro_attribute]
pub fn resilient(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::Resilient, args.into(), item.into()).into()
}
