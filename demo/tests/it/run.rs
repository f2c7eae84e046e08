//! An eight-second run: every breaker opens and recovers, and the page shows it.

use std::path::{Path, PathBuf};

use clap::Parser;
use staunch::presets::{DATABASE_CIRCUIT_BREAKER, LLM_CIRCUIT_BREAKER, MCP_CIRCUIT_BREAKER};
use staunch::{Policy, Registry};
use staunch_demo::{Demo, Options, Summary};

/// How the demo counts an attempt cut off by its timeout.
const NO_ANSWER: &str = "no answer within the attempt timeout";

use crate::chromium::{Browser, BROWSER_TIMEOUT};

/// Set to `1` to also write the screenshot to `docs/dashboard.png` for the README.
const UPDATE_DOCS: &str = "STAUNCH_UPDATE_DOCS_SCREENSHOT";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_breaker_opens_and_recovers_and_the_page_shows_it() {
    let _alone = super::WHOLE_DEMO.lock().await;
    let args = [
        "staunch-demo",
        "--port",
        "0",
        "--duration",
        "8s",
        "--no-table",
    ];
    // The browser starts first, so that its start-up time is not taken from the run.
    let browser = Browser::start("demo-page").await;
    let demo = Demo::start(Options::parse_from(args)).await.unwrap();
    the_demo_runs_on_the_presets();
    let url = demo.dashboard_url();
    let metrics = tokio::spawn(scrape_after_traffic(url.clone()));
    let browser = tokio::spawn(async move {
        if let Some(browser) = browser {
            watch(browser, &url).await;
        }
    });

    let summary = demo.run(std::future::pending()).await;
    println!("{summary}");
    assert!(summary.every_breaker_recovered(), "{summary}");
    assert!(
        summary.breakers[0].cached > 0,
        "no cached llm answer:\n{summary}"
    );
    for breaker in &summary.breakers {
        assert!(breaker.succeeded > 0, "{summary}");
        assert!(breaker.retries > 0, "{summary}");
        assert!(breaker.rejected > 0, "{summary}");
        assert!(breaker.transitions >= 3, "{summary}");
    }
    the_calls_went_through_the_real_clients(&summary);
    browser.await.unwrap();
    let metrics = metrics.await.unwrap();
    for family in [
        "staunch_circuit_state",
        "staunch_circuit_calls_total",
        "staunch_circuit_not_permitted_calls_total",
        "staunch_circuit_transitions_total",
        "staunch_retry_calls_total",
        "staunch_retry_attempts_total",
    ] {
        let declared = format!("# TYPE {family} ");
        assert_eq!(
            metrics.matches(&declared).count(),
            1,
            "{family} in:\n{metrics}"
        );
    }
}

/// The statics, the preset policies and the dashboard's registry hold the same breakers,
/// with the demo's short timeouts.
fn the_demo_runs_on_the_presets() {
    for (name, policy, breaker) in [
        ("llm", Policy::llm(), &*LLM_CIRCUIT_BREAKER),
        ("mcp", Policy::mcp(), &*MCP_CIRCUIT_BREAKER),
        ("database", Policy::database(), &*DATABASE_CIRCUIT_BREAKER),
    ] {
        assert!(policy.breaker().ptr_eq(breaker), "{name}");
        assert!(
            Registry::global().get(name).unwrap().ptr_eq(breaker),
            "{name}"
        );
        assert!(policy.budget().is_some(), "{name}");
        let timeout = policy.attempt_timeout().unwrap();
        assert!(
            timeout <= std::time::Duration::from_secs(1),
            "{name}: {timeout:?}"
        );
    }
}

/// The failures are the real clients' own: SQLite's "database is locked" through `sqlx`
/// while the maintenance job holds the write lock, and for MCP, hangs cut by the attempt
/// timeout and internal errors that the `rmcp` server sent and the `rmcp` client decoded.
fn the_calls_went_through_the_real_clients(summary: &Summary) {
    let [llm, mcp, database] = &summary.breakers[..] else {
        panic!("three breakers expected:\n{summary}");
    };
    assert!(
        llm.errors.keys().any(|e| e.starts_with("http status 5")),
        "{:?}",
        llm.errors
    );
    assert!(
        database.errors.get("database is locked") > Some(&0),
        "{:?}",
        database.errors
    );
    assert!(mcp.errors.get(NO_ANSWER) > Some(&0), "{:?}", mcp.errors);
    assert!(
        mcp.errors.keys().any(|e| e.starts_with("mcp error -32603")),
        "{:?}",
        mcp.errors
    );
}

/// The dashboard's `/metrics` right after the first transition the event stream reports.
async fn scrape_after_traffic(url: String) -> String {
    let http = reqwest::Client::new();
    let limit = std::time::Duration::from_secs(30);
    tokio::time::timeout(limit, async {
        let mut events = http
            .get(format!("{url}api/v1/events"))
            .send()
            .await
            .unwrap();
        let mut seen = String::new();
        while !seen.contains("event: transition") {
            let chunk = events.chunk().await.unwrap().expect("event stream ended");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        let metrics = http.get(format!("{url}metrics")).send().await.unwrap();
        metrics.text().await.unwrap()
    })
    .await
    .expect("no transition within the time limit")
}

/// Opens the dashboard while the demo runs and takes a screenshot once the last breaker to
/// fail, `database`, has left `closed` and a first breaker has recovered.
async fn watch(browser: Browser, url: &str) {
    browser.open(url).await;
    browser
        .wait_for(
            r#"[data-breaker="database"]:not([data-state="closed"])"#,
            BROWSER_TIMEOUT,
        )
        .await
        .unwrap();
    browser
        .wait_for(r#"#timeline li[data-state="closed"]"#, BROWSER_TIMEOUT)
        .await
        .unwrap();
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-dashboard.png");
    browser.screenshot(&shot).await;
    eprintln!("screenshot: {}", shot.display());
    if std::env::var(UPDATE_DOCS).is_ok_and(|v| v == "1") {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/dashboard.png");
        browser.screenshot(&docs).await;
        eprintln!("updated {}", docs.display());
    }
    browser.close().await;
}
