//! `GET /`: the live page, one HTML document with its style and script inlined.
//!
//! Nothing is loaded from elsewhere, so the page works offline and behind strict proxies.
//! It reads `api/v1/circuits` every second and listens to `api/v1/events`, both relative to
//! its own address, so the router can be nested under any prefix.

use axum::http::header;
use axum::response::IntoResponse;

/// The page, assembled at compile time from the files in `assets/`.
const PAGE: &str = concat!(
    include_str!("../assets/head.html"),
    "<style>\n",
    include_str!("../assets/dashboard.css"),
    "</style>\n",
    include_str!("../assets/body.html"),
    "<script>\n",
    include_str!("../assets/dashboard.js"),
    "</script>\n</body>\n</html>\n",
);

/// Inline style and script only, data only from the same origin, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     script-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// `GET /`.
pub(crate) async fn index() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
}

#[cfg(test)]
mod tests {
    use super::PAGE;

    #[test]
    fn the_page_is_self_contained() {
        assert!(PAGE.starts_with("<!doctype html>"));
        for external in ["http://", "https://", "src=\"/", "href=\"/"] {
            assert!(!PAGE.contains(external), "page refers to {external}");
        }
        assert!(PAGE.contains("api/v1/events"));
    }
}
