//! The live page in a real, headless Chromium.

use std::path::Path;

use crate::chromium::{Browser, BROWSER_TIMEOUT};
use crate::support::{trip, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_a_breaker_opening_as_it_happens() {
    let Some(browser) = Browser::start("dashboard-page").await else {
        return;
    };
    let server = Server::start().await;
    browser.open(&server.url("/")).await;
    browser
        .wait_for(
            r#"[data-breaker="llm"][data-state="closed"]"#,
            BROWSER_TIMEOUT,
        )
        .await
        .unwrap();
    browser
        .wait_for(r#"#status[data-live="true"]"#, BROWSER_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(
        browser.text(r#"[data-breaker="llm"] .badge"#).await,
        "CLOSED"
    );

    trip(&server.breaker("llm"));
    // Waits for the page to show it, however long the machine takes (the bound only ends
    // a hung test): no test here depends on speed.
    let shown = browser
        .wait_for(
            r#"[data-breaker="llm"][data-state="open"]"#,
            BROWSER_TIMEOUT,
        )
        .await;
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-page.png");
    browser.screenshot(&shot).await;
    eprintln!("screenshot: {}", shot.display());
    shown.unwrap();
    assert_eq!(browser.text(r#"[data-breaker="llm"] .badge"#).await, "OPEN");
    browser
        .wait_for(r#"#timeline li[data-state="open"]"#, BROWSER_TIMEOUT)
        .await
        .unwrap();

    // Rejected calls show as a bar on the breaker's rejections chart.
    for _ in 0..3 {
        assert!(server
            .breaker("llm")
            .call_blocking(|| Ok::<_, &str>(()))
            .is_err());
    }
    browser
        .wait_for(
            r#"[data-breaker="llm"] [data-chart="rejected"] rect.bar"#,
            BROWSER_TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(
        browser
            .text(r#"[data-breaker="llm"] [data-chart="rejected"] .total"#)
            .await,
        "3"
    );
    browser.close().await;
}
