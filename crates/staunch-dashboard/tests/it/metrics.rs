//! The Prometheus exposition.

use std::collections::{BTreeMap, BTreeSet};

use metrics_exporter_prometheus::PrometheusBuilder;

use crate::support::{breaker, trip, Server};

/// The families declared by `# TYPE` lines, after checking every line's format: `# HELP`
/// and `# TYPE` before a family's samples, each family once, valid names, quoted and
/// escaped label values, numeric values.
fn parse(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut families: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut typed = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE line without a kind");
            assert!(valid_name(name), "bad family name in {line:?}");
            assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind));
            assert!(
                typed.insert(name.to_owned()),
                "family {name} declared twice"
            );
            families.entry(name.to_owned()).or_default();
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            assert!(valid_name(rest.split(' ').next().unwrap()), "{line:?}");
        } else if !line.starts_with('#') && !line.is_empty() {
            let (name, value) = sample(line);
            value
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("bad value in {line:?}"));
            let family = families
                .iter_mut()
                .find(|(f, _)| {
                    name == **f
                        || name
                            .strip_prefix(f.as_str())
                            .is_some_and(|s| s.starts_with('_'))
                })
                .unwrap_or_else(|| panic!("sample before its TYPE line: {line:?}"));
            family.1.push(line.to_owned());
        }
    }
    families
}

/// Splits `name{k="v",...} value` after checking the label syntax.
fn sample(line: &str) -> (&str, &str) {
    let (series, value) = line.rsplit_once(' ').expect("sample without a value");
    let name = match series.split_once('{') {
        None => series,
        Some((name, labels)) => {
            let labels = labels.strip_suffix('}').expect("unclosed labels");
            let mut rest = labels;
            while !rest.is_empty() {
                let (key, after) = rest.split_once("=\"").expect("label without =\"");
                assert!(valid_name(key), "bad label name in {line:?}");
                let mut chars = after.char_indices();
                let end = loop {
                    match chars.next().expect("unterminated label value") {
                        (_, '\\') => assert!(matches!(chars.next(), Some((_, '\\' | '"' | 'n')))),
                        (i, '"') => break i,
                        _ => {}
                    }
                };
                rest = after[end + 1..]
                    .strip_prefix(',')
                    .unwrap_or(&after[end + 1..]);
            }
            name
        }
    };
    assert!(valid_name(name), "bad metric name in {line:?}");
    (name, value)
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

async fn scrape(server: &Server) -> String {
    let response = server.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"));
    response.text().await.unwrap()
}

#[tokio::test]
async fn snapshots_render_the_documented_families() {
    let server = Server::start().await;
    let mcp = server.breaker("mcp");
    trip(&mcp);
    let _ = mcp.call_blocking(|| Ok::<_, &str>(()));
    let families = parse(&scrape(&server).await);

    let state = &families["staunch_circuit_state"];
    assert_eq!(
        state.len(),
        3 * 5,
        "one-hot over five states for three breakers"
    );
    assert!(state.contains(&r#"staunch_circuit_state{name="mcp",state="open"} 1"#.to_owned()));
    assert!(state.contains(&r#"staunch_circuit_state{name="mcp",state="closed"} 0"#.to_owned()));
    assert!(state.contains(&r#"staunch_circuit_state{name="llm",state="closed"} 1"#.to_owned()));
    let transitions = &families["staunch_circuit_transitions_total"];
    assert_eq!(
        transitions,
        &[r#"staunch_circuit_transitions_total{from="closed",name="mcp",to="open"} 1"#]
    );
    let rejected = &families["staunch_circuit_not_permitted_calls_total"];
    assert!(
        rejected.contains(&r#"staunch_circuit_not_permitted_calls_total{name="mcp"} 1"#.to_owned())
    );
}

#[tokio::test]
async fn a_recorder_adds_its_counters_and_each_family_appears_once() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let server = Server::serve(move |d| d.metrics_text(move || handle.render())).await;
    // Breakers register their metric handles with the recorder current when they are built.
    let recorded = metrics::with_local_recorder(&recorder, || breaker("recorded", &server.fake));
    server.registry.insert(recorded.clone());
    let _ = recorded.call_blocking(|| Ok::<_, &str>(()));
    trip(&recorded);
    let text = scrape(&server).await;
    let families = parse(&text);
    let calls = &families["staunch_circuit_calls_total"];
    assert!(
        calls.iter().any(|l| l.contains(r#"kind="successful""#)),
        "{text}"
    );
    assert!(
        calls.iter().any(|l| l.contains(r#"kind="failed""#)),
        "{text}"
    );
    assert!(families.contains_key("staunch_circuit_state"));
    assert!(families.contains_key("staunch_circuit_transitions_total"));
}

/// Checked with a Prometheus text parser: every family has its `# HELP` and `# TYPE`, the
/// families come sorted by name, and a second scrape of the same state is the same text.
#[tokio::test]
async fn every_family_has_help_and_type_in_a_stable_order() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let server = Server::serve(move |d| d.metrics_text(move || handle.render())).await;
    for name in ["recorded-a", "recorded-b", "recorded-c"] {
        let recorded = metrics::with_local_recorder(&recorder, || breaker(name, &server.fake));
        server.registry.insert(recorded.clone());
        let _ = recorded.call_blocking(|| Ok::<_, &str>(()));
        trip(&recorded);
    }
    let text = scrape(&server).await;
    parse(&text);
    let lines = text.lines().map(|line| Ok(line.to_owned()));
    let scraped = prometheus_parse::Scrape::parse(lines).unwrap();
    let typed: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .map(|rest| rest.split(' ').next().unwrap())
        .collect();
    assert!(typed.len() >= 6, "{text}");
    for family in &typed {
        let help = scraped.docs.get(*family).map(String::as_str);
        assert!(
            help.is_some_and(|h| !h.is_empty()),
            "no HELP for {family}:\n{text}"
        );
    }
    for sample in &scraped.samples {
        assert!(
            typed.contains(&sample.metric.as_str()),
            "untyped {}",
            sample.metric
        );
    }
    let mut sorted = typed.clone();
    sorted.sort_unstable();
    assert_eq!(typed, sorted, "families out of order:\n{text}");
    for _ in 0..5 {
        assert_eq!(
            scrape(&server).await,
            text,
            "two scrapes of one state differ"
        );
    }
}

/// The page's charts read `calls_total` and `failures_total` from the JSON API, counted by
/// the recorder.
#[tokio::test]
async fn the_api_carries_the_recorders_call_counts() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let server = Server::serve(move |d| d.metrics_text(move || handle.render())).await;
    let recorded = metrics::with_local_recorder(&recorder, || breaker("counted", &server.fake));
    server.registry.insert(recorded.clone());
    for _ in 0..2 {
        let _ = recorded.call_blocking(|| Ok::<_, &str>(()));
    }
    trip(&recorded);
    let (_, body) = server.get_json("/api/v1/circuits").await;
    assert_eq!(body["counted"]["calls_total"], 5.0);
    assert_eq!(body["counted"]["failures_total"], 3.0);
    assert!(body["llm"].get("calls_total").is_none());
}
