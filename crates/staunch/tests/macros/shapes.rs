//! Methods with `&self` and `&mut self`, generic functions, borrowed results.

use std::fmt::Debug;
use std::io;

use staunch::test_util::FakeClock;
use staunch::{retry_on_exception, Clock};

struct Connection {
    clock: Clock,
    sent: Vec<String>,
    failures_left: u32,
}

impl Connection {
    /// Mutates `self` on every attempt.
    #[retry_on_exception(max_attempts = 4, wait_min = 1, clock = self.clock.clone())]
    fn send(&mut self, message: &str) -> Result<usize, io::Error> {
        self.sent.push(message.to_owned());
        if self.failures_left > 0 {
            self.failures_left -= 1;
            return Err(io::ErrorKind::ConnectionReset.into());
        }
        Ok(self.sent.len())
    }

    #[retry_on_exception(max_attempts = 4, wait_min = 1, clock = self.clock.clone())]
    async fn send_async(&mut self, message: &str) -> Result<usize, io::Error> {
        tokio::task::yield_now().await;
        self.sent.push(message.to_owned());
        if self.failures_left > 0 {
            self.failures_left -= 1;
            Err(io::ErrorKind::ConnectionReset)?;
        }
        Ok(self.sent.len())
    }

    /// Returns a borrow of `self` (`&self` only: see the crate docs on `&mut self`).
    #[retry_on_exception(max_attempts = 2, wait_min = 1, clock = self.clock.clone())]
    fn last(&self) -> Result<&str, io::Error> {
        self.sent
            .last()
            .map(String::as_str)
            .ok_or_else(|| io::ErrorKind::NotFound.into())
    }

    #[retry_on_exception(max_attempts = 2, wait_min = 1, clock = self.clock.clone())]
    async fn last_async(&self) -> Result<&str, io::Error> {
        Ok(self.sent.last().unwrap())
    }
}

fn connection(fake: &FakeClock, failures_left: u32) -> Connection {
    Connection {
        clock: fake.clock(),
        sent: Vec::new(),
        failures_left,
    }
}

#[test]
fn mut_self_methods_borrow_per_attempt() {
    let fake = FakeClock::new();
    let mut conn = connection(&fake, 2);
    assert!(conn.last().is_err());
    assert_eq!(fake.sleeps().len(), 1);
    assert_eq!(conn.send("hi").unwrap(), 3);
    assert_eq!(conn.sent, ["hi", "hi", "hi"]);
    assert_eq!(conn.last().unwrap(), "hi");
    assert_eq!(fake.sleeps().len(), 3);
}

#[tokio::test]
async fn async_mut_self_methods_borrow_per_attempt() {
    let fake = FakeClock::new();
    let mut conn = connection(&fake, 3);
    assert_eq!(conn.send_async("hey").await.unwrap(), 4);
    assert_eq!(conn.last_async().await.unwrap(), "hey");
    assert_eq!(fake.sleeps().len(), 3);
}

#[retry_on_exception(max_attempts = 3, wait_min = 1, clock = clock.clone())]
fn parse_all<T, E>(clock: &Clock, items: &[&str]) -> Result<Vec<T>, E>
where
    T: std::str::FromStr,
    E: From<T::Err> + Debug,
{
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(item.parse::<T>()?);
    }
    Ok(out)
}

#[test]
fn generic_functions() {
    #[derive(Debug)]
    struct Bad;
    impl From<std::num::ParseIntError> for Bad {
        fn from(_: std::num::ParseIntError) -> Self {
            Bad
        }
    }
    let fake = FakeClock::new();
    let ok: Vec<u8> = parse_all::<u8, Bad>(&fake.clock(), &["1", "2"]).unwrap();
    assert_eq!(ok, [1, 2]);
    assert!(parse_all::<u8, Bad>(&fake.clock(), &["x"]).is_err());
    assert_eq!(fake.sleeps().len(), 2);
}
