//! Verdicts and server delay hints for the [`reqwest`] HTTP client (feature `reqwest`).
//!
//! Two kinds of failure reach a caller of `reqwest`: the request never got an answer
//! (a [`reqwest::Error`]: refused, reset, timed out), or it got an answer with an error
//! status. [`verdict`] and [`is_transient`] judge the first kind, including the errors of
//! [`Response::error_for_status`](reqwest::Response::error_for_status); but such an
//! error has dropped the response's headers, and with them the server's `Retry-After`.
//! [`error_for_status`] keeps it: it turns an error status into an [`Error`] that carries
//! the status and the delay hint, so the policy waits as long as the server asked.
//!
//! ```
//! use staunch::{classify, Policy};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let policy = Policy::builder("api").clock(staunch::test_util::FakeClock::new().clock()).build()?;
//! let client = reqwest::Client::new();
//! // Port 1 on loopback refuses connections: a transient error, retried then counted.
//! let result = policy
//!     .call(|| async {
//!         let response = client.get("http://127.0.0.1:1/").send().await?;
//!         classify::reqwest::error_for_status(response)
//!     })
//!     .classify(classify::reqwest::Error::verdict)
//!     .await;
//! assert_eq!(result.unwrap_err().attempts(), 3);
//! # Ok(()) }
//! ```
//!
//! Hints are parsed in both forms of `Retry-After` (seconds or an HTTP date) and from
//! `retry-after-ms` (OpenAI and Azure), which wins when both are present because it is
//! more precise. They are not capped here: the policy caps them with
//! [`max_delay_hint`](crate::PolicyBuilder::max_delay_hint) (60 s by default), and a
//! hint over the cap ends the call rather than parking it.

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Response, StatusCode};

use super::{http, io, Verdict};

/// The verdict for an error of the `reqwest` client.
///
/// Timeouts, refused or reset connections and failures while sending or reading the body
/// are transient; a status error (from `error_for_status`) is judged by
/// [`http::status_verdict`]; a request that could not be built or followed too many
/// redirects is the caller's own and ignored; a body that does not decode counts against
/// the breaker without a retry.
///
/// ```
/// use staunch::{classify, Verdict};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let refused = reqwest::get("http://127.0.0.1:1/").await.unwrap_err();
/// assert_eq!(classify::reqwest::verdict(&refused), Verdict::TRANSIENT);
/// let bad_url = reqwest::get("not a url").await.unwrap_err();
/// assert_eq!(classify::reqwest::verdict(&bad_url), Verdict::IGNORE);
/// # }
/// ```
pub fn verdict(error: &reqwest::Error) -> Verdict {
    if let Some(status) = error.status() {
        return http::status_verdict(status.as_u16());
    }
    if error.is_builder() || error.is_redirect() {
        return Verdict::IGNORE;
    }
    if error.is_decode() {
        return Verdict::FATAL;
    }
    if error.is_timeout() || error.is_connect() || error.is_request() || error.is_body() {
        return Verdict::TRANSIENT;
    }
    match io_source(error) {
        Some(io_error) if io::is_transient(io_error) => Verdict::TRANSIENT,
        _ => Verdict::FATAL,
    }
}

/// Whether a `reqwest` error is worth another attempt (see [`verdict`]): the predicate
/// for `.when(..)`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let refused = reqwest::get("http://127.0.0.1:1/").await.unwrap_err();
/// assert!(staunch::classify::reqwest::is_transient(&refused));
/// # }
/// ```
pub fn is_transient(error: &reqwest::Error) -> bool {
    verdict(error).should_retry()
}

fn io_source(error: &reqwest::Error) -> Option<&std::io::Error> {
    let mut source = std::error::Error::source(error);
    while let Some(current) = source {
        if let Some(io_error) = current.downcast_ref::<std::io::Error>() {
            return Some(io_error);
        }
        source = current.source();
    }
    None
}

/// The server's requested pause in `headers`: `retry-after-ms`, else `Retry-After` in
/// seconds or as an HTTP date (measured from `now`, the wall clock).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use reqwest::header::{HeaderMap, HeaderValue};
/// use staunch::classify::reqwest::delay_hint_at;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("retry-after", HeaderValue::from_static("3"));
/// assert_eq!(delay_hint_at(&headers, SystemTime::now()), Some(Duration::from_secs(3)));
/// headers.insert("retry-after-ms", HeaderValue::from_static("1500"));
/// assert_eq!(delay_hint_at(&headers, SystemTime::now()), Some(Duration::from_millis(1500)));
/// ```
pub fn delay_hint_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    text("retry-after-ms")
        .and_then(http::parse_retry_after_ms)
        .or_else(|| text(RETRY_AFTER.as_str()).and_then(|v| http::parse_retry_after(v, now)))
}

/// The verdict for an answer: `None` if its status is a success, else the status's
/// verdict with the server's delay hint attached.
///
/// ```
/// use std::time::Duration;
/// # use std::io::{Read, Write};
/// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// # let url = format!("http://{}/", listener.local_addr().unwrap());
/// # std::thread::spawn(move || {
/// #     let (mut stream, _) = listener.accept().unwrap();
/// #     let _ = stream.read(&mut [0; 1024]);
/// #     let _ = stream.write_all(b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 2\r\ncontent-length: 0\r\n\r\n");
/// # });
/// # #[tokio::main(flavor = "current_thread")] async fn main_(url: String) {
/// // `url` answers 429 with `Retry-After: 2`.
/// let response = reqwest::get(&url).await.unwrap();
/// let verdict = staunch::classify::reqwest::response_verdict(&response).unwrap();
/// assert!(verdict.should_retry());
/// assert_eq!(verdict.delay_hint(), Some(Duration::from_secs(2)));
/// # }
/// # main_(url);
/// ```
pub fn response_verdict(response: &Response) -> Option<Verdict> {
    let status = response.status();
    if status.is_success() {
        return None;
    }
    let verdict = http::status_verdict(status.as_u16());
    Some(match delay_hint_at(response.headers(), SystemTime::now()) {
        Some(hint) => verdict.with_delay_hint(hint),
        None => verdict,
    })
}

/// Like [`Response::error_for_status`], but the error keeps the status and the server's
/// delay hint (see the [module docs](self)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let error = staunch::classify::reqwest::Error::from(
///     reqwest::get("http://127.0.0.1:1/").await.unwrap_err(),
/// );
/// assert!(error.status().is_none());
/// # }
/// ```
pub fn error_for_status(response: Response) -> Result<Response, Error> {
    match response_verdict(&response) {
        None => Ok(response),
        Some(verdict) => Err(Error::Status(StatusError {
            status: response.status(),
            delay_hint: verdict.delay_hint(),
            url: response.url().to_string(),
        })),
    }
}

/// An HTTP call that failed: no answer, or an answer with an error status.
///
/// ```
/// use staunch::classify::reqwest::Error;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let error: Error = reqwest::get("http://127.0.0.1:1/").await.unwrap_err().into();
/// assert!(error.verdict().should_retry());
/// // The message is this layer's; reqwest's error is the `source()`, printed after it.
/// assert_eq!(error.to_string(), "request failed");
/// assert!(std::error::Error::source(&error).is_some());
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The request got no usable answer.
    Request(reqwest::Error),
    /// The server answered with an error status.
    Status(StatusError),
}

impl Error {
    /// The verdict: [`verdict`] for a request error, the status's verdict with the
    /// server's delay hint for a status error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let error = staunch::classify::reqwest::Error::from(reqwest::get("x").await.unwrap_err());
    /// assert_eq!(error.verdict(), staunch::Verdict::IGNORE);
    /// # }
    /// ```
    pub fn verdict(&self) -> Verdict {
        match self {
            Self::Request(error) => verdict(error),
            Self::Status(error) => {
                let verdict = http::status_verdict(error.status.as_u16());
                match error.delay_hint {
                    Some(hint) => verdict.with_delay_hint(hint),
                    None => verdict,
                }
            }
        }
    }

    /// The error status, if the server answered.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let error = staunch::classify::reqwest::Error::from(reqwest::get("x").await.unwrap_err());
    /// assert_eq!(error.status(), None);
    /// # }
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Request(error) => error.status(),
            Self::Status(error) => Some(error.status),
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Self {
        Self::Request(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The cause is the `source()`, not repeated here: a printed chain says it once.
            Self::Request(_) => f.write_str("request failed"),
            Self::Status(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Request(error) => Some(error),
            // Transparent: the message is the status error's, so are the causes.
            Self::Status(error) => std::error::Error::source(error),
        }
    }
}

/// An answer with an error status, and the pause the server asked for.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use staunch::classify::reqwest::Error;
/// let error = Error::from(reqwest::get("http://127.0.0.1:1/").await.unwrap_err());
/// if let Error::Status(status) = &error {
///     println!("{} asked to wait {:?}", status.status(), status.delay_hint());
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct StatusError {
    status: StatusCode,
    delay_hint: Option<Duration>,
    url: String,
}

impl StatusError {
    /// The status of the answer.
    ///
    /// See [`StatusError`] for an example.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The pause the server asked for (`retry-after-ms` or `Retry-After`), uncapped.
    ///
    /// See [`StatusError`] for an example.
    pub fn delay_hint(&self) -> Option<Duration> {
        self.delay_hint
    }

    /// The URL that answered.
    ///
    /// See [`StatusError`] for an example.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} answered {}", self.url, self.status)?;
        if let Some(hint) = self.delay_hint {
            write!(f, ", retry after {hint:?}")?;
        }
        Ok(())
    }
}

impl std::error::Error for StatusError {}
