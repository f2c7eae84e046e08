//! `classify::reqwest` on errors that `reqwest` itself produced against a local server.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::routing::get;
use axum::Router;
use staunch::classify;
use staunch::Verdict;

/// A server whose `/status/{code}` answers that code with the query's headers, and whose
/// `/hang` never answers.
async fn server() -> String {
    let app = Router::new()
        .route(
            "/status/{code}",
            get(
                |axum::extract::Path(code): axum::extract::Path<u16>,
                 axum::extract::Query(headers): axum::extract::Query<Vec<(String, String)>>| async move {
                    let mut map = HeaderMap::new();
                    for (name, value) in headers {
                        map.insert(
                            HeaderName::try_from(name).expect("header name"),
                            HeaderValue::try_from(value).expect("header value"),
                        );
                    }
                    (StatusCode::from_u16(code).expect("status"), map, "not json")
                },
            ),
        )
        .route("/hang", get(std::future::pending::<()>));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn status_error(base: &str, code: u16) -> reqwest::Error {
    reqwest::get(format!("{base}/status/{code}"))
        .await
        .expect("an answer")
        .error_for_status()
        .expect_err("an error status")
}

#[tokio::test]
async fn request_errors_of_the_real_client() {
    let base = server().await;
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("local address");
        drop(listener); // nothing listens there any more
        reqwest::get(format!("http://{addr}/")).await.unwrap_err()
    };
    let timed_out = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client")
        .get(format!("{base}/hang"))
        .send()
        .await
        .unwrap_err();
    let bad_url = reqwest::get("http://[::1").await.unwrap_err();
    let not_json = reqwest::get(format!("{base}/status/200"))
        .await
        .expect("an answer")
        .json::<serde_json::Value>()
        .await
        .unwrap_err();

    let table: Vec<(&str, reqwest::Error, Verdict)> = vec![
        ("connection refused", refused, Verdict::TRANSIENT),
        ("client timeout", timed_out, Verdict::TRANSIENT),
        ("invalid URL", bad_url, Verdict::IGNORE),
        ("body is not JSON", not_json, Verdict::FATAL),
        ("408", status_error(&base, 408).await, Verdict::TRANSIENT),
        ("429", status_error(&base, 429).await, Verdict::TRANSIENT),
        ("500", status_error(&base, 500).await, Verdict::TRANSIENT),
        ("502", status_error(&base, 502).await, Verdict::TRANSIENT),
        ("503", status_error(&base, 503).await, Verdict::TRANSIENT),
        ("504", status_error(&base, 504).await, Verdict::TRANSIENT),
        ("501", status_error(&base, 501).await, Verdict::FATAL),
        ("400", status_error(&base, 400).await, Verdict::IGNORE),
        ("401", status_error(&base, 401).await, Verdict::IGNORE),
        ("404", status_error(&base, 404).await, Verdict::IGNORE),
    ];
    for (what, error, expected) in table {
        assert_eq!(
            classify::reqwest::verdict(&error),
            expected,
            "{what}: {error:?}"
        );
        assert_eq!(
            classify::reqwest::is_transient(&error),
            expected.should_retry(),
            "{what}"
        );
    }
}

/// The lowest and highest hint expected.
type HintRange = (Duration, Duration);

/// Whether some error of the chain from `error` repeats its cause's message in its own.
fn repeats_a_cause(error: &dyn std::error::Error) -> bool {
    let mut current = error;
    while let Some(cause) = current.source() {
        if current.to_string().ends_with(&cause.to_string()) {
            return true;
        }
        current = cause;
    }
    false
}

#[tokio::test]
async fn the_printed_chain_says_each_cause_once() {
    let base = server().await;
    let response = reqwest::get(format!("{base}/status/503"))
        .await
        .expect("an answer");
    let error = classify::reqwest::error_for_status(response).expect_err("503");
    assert!(!repeats_a_cause(&error), "{error:?}");
    let report = staunch_examples::report(&error);
    assert_eq!(
        report.matches("503 Service Unavailable").count(),
        1,
        "{report}"
    );

    let refused: classify::reqwest::Error = reqwest::get("http://127.0.0.1:1/")
        .await
        .expect_err("nothing listens on port 1")
        .into();
    assert!(!repeats_a_cause(&refused), "{refused:?}");
    let report = staunch_examples::report(&refused);
    assert!(
        report.starts_with("request failed: error sending request"),
        "{report}"
    );
}

#[tokio::test]
async fn error_for_status_keeps_the_servers_delay_hint() {
    let base = server().await;
    let in_an_hour = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
    let table: Vec<(&str, String, Verdict, Option<HintRange>)> = vec![
        (
            "429, Retry-After in seconds",
            "429?retry-after=2".into(),
            Verdict::TRANSIENT,
            Some((Duration::from_secs(2), Duration::from_secs(2))),
        ),
        (
            "503, Retry-After as a date",
            format!("503?retry-after={in_an_hour}"),
            Verdict::TRANSIENT,
            Some((Duration::from_secs(3590), Duration::from_secs(3600))),
        ),
        (
            "429, retry-after-ms",
            "429?retry-after-ms=1500".into(),
            Verdict::TRANSIENT,
            Some((Duration::from_millis(1500), Duration::from_millis(1500))),
        ),
        (
            "429, both: the milliseconds win",
            "429?retry-after=9&retry-after-ms=250".into(),
            Verdict::TRANSIENT,
            Some((Duration::from_millis(250), Duration::from_millis(250))),
        ),
        (
            "503, unparseable hint",
            "503?retry-after=soon".into(),
            Verdict::TRANSIENT,
            None,
        ),
        ("500, no hint", "500".into(), Verdict::TRANSIENT, None),
        ("401", "401".into(), Verdict::IGNORE, None),
    ];
    for (what, path, expected, hint) in table {
        let response = reqwest::get(format!("{base}/status/{path}"))
            .await
            .expect("an answer");
        let error = classify::reqwest::error_for_status(response).expect_err(what);
        let verdict = error.verdict();
        assert_eq!(verdict.should_retry(), expected.should_retry(), "{what}");
        assert_eq!(
            verdict.counts_as_failure(),
            expected.counts_as_failure(),
            "{what}"
        );
        match (verdict.delay_hint(), hint) {
            (None, None) => {}
            (Some(got), Some((low, high))) => {
                assert!(
                    low <= got && got <= high,
                    "{what}: {got:?} not in {low:?}..={high:?}"
                )
            }
            (got, want) => panic!("{what}: hint {got:?}, expected {want:?}"),
        }
    }
    let ok = reqwest::get(format!("{base}/status/200"))
        .await
        .expect("an answer");
    assert!(classify::reqwest::error_for_status(ok).is_ok());
}

#[tokio::test]
async fn a_policy_waits_the_hint_up_to_its_cap() {
    // 429 with `Retry-After: 1`, then 200: the retry waits the server's second, not its
    // own 1 ms backoff. A hint over the policy's cap ends the call instead.
    let base = server().await;
    let calls = Arc::new(AtomicU32::new(0));
    let policy = staunch::Policy::builder("hinted")
        .wait_min(Duration::from_millis(1))
        .wait_max(Duration::from_millis(1))
        .max_delay_hint(Duration::from_secs(5))
        .clock(staunch::test_util::FakeClock::new().clock())
        .build()
        .expect("valid");
    let started = policy.clock().now();
    let result = policy
        .call(|| {
            let n = calls.fetch_add(1, Ordering::Relaxed);
            let url = match n {
                0 => format!("{base}/status/429?retry-after=1"),
                _ => format!("{base}/status/200"),
            };
            async move { classify::reqwest::error_for_status(reqwest::get(url).await?) }
        })
        .classify(classify::reqwest::Error::verdict)
        .await;
    assert!(result.is_ok());
    assert_eq!(policy.clock().now() - started, Duration::from_secs(1));

    let too_long = policy
        .call(|| async {
            let url = format!("{base}/status/503?retry-after=60");
            classify::reqwest::error_for_status(reqwest::get(url).await?)
        })
        .classify(classify::reqwest::Error::verdict)
        .await
        .unwrap_err();
    assert_eq!(too_long.kind(), staunch::PolicyErrorKind::HintTooLong);
    assert_eq!(too_long.attempts(), 1);
}
