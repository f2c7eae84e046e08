//! A `ChatService` calling an LLM-style HTTP API through the LLM preset: the API answers
//! `429` with `Retry-After`, then a `500`, then the reply. The server is a thread on
//! 127.0.0.1 started by the example; everything is std.
//!
//! Run with `cargo run -p staunch-examples --bin chat_service`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, SystemTime};

use staunch::classify::http::{parse_retry_after, status_verdict};
use staunch::{Policy, PolicyError, Verdict};

/// What the chat API can answer besides a reply.
#[derive(Debug)]
#[allow(dead_code)] // the fields are shown through `Debug`
enum ChatError {
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for ChatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChatError::Status { code, .. } => write!(f, "the chat API answered {code}"),
            ChatError::Io(_) => f.write_str("the chat API could not be reached"),
        }
    }
}

impl std::error::Error for ChatError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChatError::Status { .. } => None,
            ChatError::Io(e) => Some(e),
        }
    }
}

impl ChatError {
    /// The classifier: HTTP status verdicts, with the server's `Retry-After` as a hint.
    fn verdict(&self) -> Verdict {
        match self {
            ChatError::Status {
                code,
                retry_after: Some(wait),
            } => status_verdict(*code).with_delay_hint(*wait),
            ChatError::Status { code, .. } => status_verdict(*code),
            ChatError::Io(_) => Verdict::TRANSIENT,
        }
    }
}

struct ChatService {
    api: SocketAddr,
    policy: Policy,
}

impl ChatService {
    fn new(api: SocketAddr) -> Self {
        // The LLM preset (shared `llm` breaker, 120 s attempt timeout, budget), with
        // shorter waits so the example runs in a second or two.
        let policy = Policy::llm()
            .to_builder()
            .wait_min(Duration::from_millis(100))
            .wait_max(Duration::from_millis(400))
            .build()
            .expect("valid settings");
        Self { api, policy }
    }

    fn reply(&self, prompt: &str) -> Result<String, PolicyError<ChatError>> {
        let mut attempt = 0;
        self.policy
            .blocking(|| {
                attempt += 1;
                let result = post(self.api, prompt);
                println!("  attempt {attempt}: {result:?}");
                result
            })
            .classify(ChatError::verdict)
            .call()
    }
}

/// One `POST /v1/chat` over a fresh connection; the body of a `200` is the reply.
fn post(api: SocketAddr, prompt: &str) -> Result<String, ChatError> {
    let mut stream = TcpStream::connect(api).map_err(ChatError::Io)?;
    let request = format!(
        "POST /v1/chat HTTP/1.1\r\nhost: {api}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{prompt}",
        prompt.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(ChatError::Io)?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).map_err(ChatError::Io)?;
    let code: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(502);
    let mut retry_after = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).map_err(ChatError::Io)?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("retry-after") {
                retry_after = parse_retry_after(value, SystemTime::now());
            }
        }
    }
    let mut body = String::new();
    reader.read_to_string(&mut body).map_err(ChatError::Io)?;
    match code {
        200 => Ok(body),
        code => Err(ChatError::Status { code, retry_after }),
    }
}

/// A fake LLM API: answers its script in order, one connection each.
fn start_api(script: Vec<(u16, &'static str, &'static str)>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    std::thread::spawn(move || {
        for (status, headers, body) in script {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n{headers}connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    addr
}

fn main() {
    let api = start_api(vec![
        (429, "retry-after: 1\r\n", "rate limited"),
        (500, "", "oops"),
        (200, "", "Hello! How can I help?"),
    ]);
    let chat = ChatService::new(api);
    println!("asking the chat API (429 with Retry-After: 1, then 500, then 200):");
    match chat.reply("hi") {
        Ok(reply) => println!("reply: {reply}"),
        // The policy's message, then its causes down to the transport's error.
        Err(err) => println!("failed: {}", staunch_examples::report(&err)),
    }
    let breaker = chat.policy.breaker();
    println!(
        "breaker `{}`: {}, {} failures",
        breaker.name(),
        breaker.state(),
        breaker.failure_count()
    );
}
