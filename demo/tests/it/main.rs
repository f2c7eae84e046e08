//! The demo, end to end.

#[path = "../../../crates/staunch-dashboard/tests/it/chromium.rs"]
mod chromium;
mod cli;
mod fleet;
mod run;
