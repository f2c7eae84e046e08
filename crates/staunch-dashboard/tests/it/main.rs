//! Behaviour of the dashboard against a real server on an ephemeral loopback port.

mod admin;
mod api;
mod browser;
mod chromium;
mod events;
mod metrics;
mod security;
mod support;
