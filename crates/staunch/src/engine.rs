//! The one call engine: every way of making a call (a retry alone, a breaker alone, the
//! combined policy; as a future, a blocking call, a tower service or an attribute's
//! expansion) runs on one step machine, driven by one async and one blocking driver.
//!
//! - [`step`]: the pure "what next" after each event (admission, refusal, an attempt's
//!   end), with the layers it decides with;
//! - [`table`]: what an attempt's end means, the same for every form;
//! - [`form`]: what a call form hands the engine;
//! - [`future`] and [`blocking`]: the two drivers;
//! - [`events`]: the events and counters, emitted by the step machine alone.
//!
//! A retry alone is a run without a breaker; a breaker alone is a run of one attempt.
//! What a panic, a timeout, a dropped future, a refusal or the deadline means is decided
//! here once; the guide's [behaviour table](crate::guide#the-behaviour-table) writes it
//! down.

pub(crate) mod blocking;
pub(crate) mod cold_drop;
pub(crate) mod events;
pub(crate) mod form;
pub(crate) mod future;
pub(crate) mod step;
pub(crate) mod table;
