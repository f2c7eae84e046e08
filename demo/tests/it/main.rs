//! The demo, end to end.

#[path = "../../../crates/staunch-dashboard/tests/it/chromium.rs"]
mod chromium;
mod cli;
mod fleet;
mod run;

/// Held by the tests that run a whole demo (the page test's demo and browser, the fleet
/// test's three replicas and Redis), so that they run one at a time: side by side on a
/// small machine, a healthy replica's database calls time out waiting for the CPU and
/// its breaker trips on its own, which the fleet test rightly refuses.
static WHOLE_DEMO: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
