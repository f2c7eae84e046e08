//! `GET /`: the live page, one HTML document with its style and script inlined.
//!
//! Nothing is loaded from elsewhere, so the page works offline and behind strict proxies.
//! It reads `api/v1/circuits` every second and listens to `api/v1/events`, both relative to
//! its own address, so the router can be nested under any prefix.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The inline style sheet, exactly as it appears between `<style>` and `</style>`.
const STYLE: &str = concat!("\n", include_str!("../assets/dashboard.css"));

/// The inline script, exactly as it appears between `<script>` and `</script>`.
const SCRIPT: &str = concat!("\n", include_str!("../assets/dashboard.js"));

/// The page, assembled at compile time from the files in `assets/`.
const PAGE: &str = concat!(
    include_str!("../assets/head.html"),
    "<style>",
    "\n",
    include_str!("../assets/dashboard.css"),
    "</style>\n",
    include_str!("../assets/body.html"),
    "<script>",
    "\n",
    include_str!("../assets/dashboard.js"),
    "</script>\n</body>\n</html>\n",
);

/// Only the page's own style and script, named by their hashes (no `'unsafe-inline'`), data
/// only from the same origin, no framing.
static CONTENT_SECURITY_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let policy = format!(
        "default-src 'none'; style-src {}; script-src {}; connect-src 'self'; img-src data:; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        source_hash(STYLE),
        source_hash(SCRIPT),
    );
    // Base64 and the fixed text are visible ASCII.
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
});

/// A CSP hash source: `'sha256-<base64 of the SHA-256 of text>'`.
fn source_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!("'sha256-{}'", STANDARD.encode(digest))
}

/// `GET /`.
pub(crate) async fn index() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        [(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY.clone(),
        )],
        PAGE,
    )
}

#[cfg(test)]
mod tests {
    use super::PAGE;

    #[test]
    fn the_page_is_self_contained() {
        assert!(PAGE.starts_with("<!doctype html>"));
        // The SVG namespace is a name, not an address the page loads.
        let page = PAGE.replace("\"http://www.w3.org/2000/svg\"", "");
        for external in ["http://", "https://", "src=\"/", "href=\"/"] {
            assert!(!page.contains(external), "page refers to {external}");
        }
        assert!(PAGE.contains("api/v1/events"));
    }

    #[test]
    fn the_hashed_sources_are_those_in_the_page() {
        assert!(super::PAGE.contains(&format!("<style>{}</style>", super::STYLE)));
        assert!(super::PAGE.contains(&format!("<script>{}</script>", super::SCRIPT)));
    }
}
