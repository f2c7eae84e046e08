//! One kind of staunch call, `.await`ed `n` times in a current-thread tokio runtime, for
//! counting instructions per call with callgrind (`scripts/instructions.sh`): a count
//! that does not move with the machine's noise, to compare two versions of the call
//! path exactly. Speed itself is measured by the criterion benches.
//!
//! `instructions <case> <n>`, with `case` one of `direct`, `direct_failure`, `retry`,
//! `retry_borrowed` (the policy borrowed), `success`, `failure`, `rejection`, `policy`,
//! `policy_timeout`, one of the retry peers `tryhard` and `tokio_retry`, or one of the
//! reference wrappers of `staunch_benches::floor` (`floor_retry`, `floor_breaker`): the
//! operation and the subjects are configured as in `benches/runtime.rs`.

use std::hint::black_box;
use std::io;
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use staunch::{CircuitBreaker, Policy, RetryBuilder, Retryable as _};
use staunch_benches::floor::{Gated, Wrapper};

type Outcome = Result<u64, io::Error>;

/// `Ok(x + 1)` (or an error when `fail`), by way of a branch the optimizer cannot decide.
#[inline(never)]
fn op(x: u64, fail: bool) -> Outcome {
    if black_box(fail) {
        Err(io::ErrorKind::TimedOut.into())
    } else {
        Ok(black_box(x).wrapping_add(1))
    }
}

async fn op_async(x: u64, fail: bool) -> Outcome {
    op(x, fail)
}

const HOUR: Duration = Duration::from_secs(3600);
const USAGE: &str = "usage: instructions <direct|direct_failure|retry|retry_borrowed|success|failure|rejection|policy|policy_timeout|tryhard|tokio_retry|floor_retry|floor_breaker> <calls>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [case, n] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let Ok(n) = n.parse::<u64>() else {
        eprintln!("invalid <calls> `{n}`: not a whole number\n{USAGE}");
        return ExitCode::FAILURE;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    // Failures in chunks that never trip: the most the threshold allows.
    let failing = CircuitBreaker::builder("bench")
        .failure_threshold(u32::from(u16::MAX))
        .recovery_timeout(HOUR)
        .build()
        .expect("valid");
    if case == "failure" && n >= u64::from(u16::MAX) {
        eprintln!("invalid <calls> `{n}`: `failure` counts fewer than 65535 failures");
        return ExitCode::FAILURE;
    }
    let breaker = CircuitBreaker::builder("bench")
        .failure_threshold(5)
        .recovery_timeout(HOUR)
        .build()
        .expect("valid");
    let open = CircuitBreaker::builder("bench").build().expect("valid");
    open.force_open();
    let retry = RetryBuilder::retry_on_exception()
        .max_attempts(3)
        .wait_min(Duration::from_secs(1))
        .wait_max(Duration::from_secs(10))
        .build()
        .expect("valid");
    let policy = |timeout: Option<Duration>| {
        let builder = Policy::builder("bench")
            .max_attempts(3)
            .wait_min(Duration::from_secs(1))
            .wait_max(Duration::from_secs(10))
            .failure_threshold(5)
            .recovery_timeout(HOUR);
        match timeout {
            Some(timeout) => builder.attempt_timeout(timeout),
            None => builder,
        }
        .build()
        .expect("valid")
    };
    let word = AtomicU64::new(0);
    let plain = policy(None);
    let timed = policy(Some(Duration::from_secs(2)));
    macro_rules! run {
        ($call:expr) => {
            rt.block_on(async {
                for _ in 0..n {
                    let _ = black_box($call.await);
                }
            })
        };
    }
    match case.as_str() {
        "direct" => run!(op_async(black_box(1), false)),
        "direct_failure" => run!(op_async(black_box(1), true)),
        "retry" => run!((|| op_async(black_box(1), false)).retry(retry)),
        "retry_borrowed" => run!((|| op_async(black_box(1), false)).retry(&retry)),
        "success" => run!(breaker.call(|| op_async(black_box(1), false))),
        "failure" => run!(failing.call(|| op_async(black_box(1), true))),
        "rejection" => run!(open.call(|| op_async(black_box(1), false))),
        "policy" => run!(plain.call(|| op_async(black_box(1), false))),
        "policy_timeout" => run!(timed.call(|| op_async(black_box(1), false))),
        "floor_retry" => run!(Wrapper::new(|| op_async(black_box(1), false))),
        "floor_breaker" => run!(Gated::new(&word, || op_async(black_box(1), false))),
        "tryhard" => run!(tryhard::retry_fn(|| op_async(black_box(1), false))
            .retries(2)
            .exponential_backoff(Duration::from_secs(1))
            .max_delay(Duration::from_secs(10))),
        "tokio_retry" => run!(tokio_retry::Retry::start(
            tokio_retry::strategy::ExponentialBackoff::from_millis(2)
                .factor(500)
                .max_delay(Duration::from_secs(10))
                .take(2),
            || op_async(black_box(1), false)
        )),
        other => {
            eprintln!("unknown case `{other}`\n{USAGE}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
