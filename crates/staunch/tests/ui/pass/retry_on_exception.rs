//! Every shape of function `#[retry_on_exception]` wraps.

use std::fmt::Display;
use std::io;

use staunch::{retry_on_exception, Verdict};

fn is_transient(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::TimedOut
}

fn verdict(error: &io::Error) -> Verdict {
    if is_transient(error) {
        Verdict::TRANSIENT
    } else {
        Verdict::FATAL
    }
}

#[retry_on_exception(max_attempts = 3, wait_min = 1.0, wait_max = 10.0, when = is_transient)]
fn free(n: u32) -> Result<u32, io::Error> {
    Ok(n + 1)
}

#[retry_on_exception]
pub async fn no_arguments() -> io::Result<()> {
    Ok(())
}

#[retry_on_exception(classify = verdict, name = "typed")]
fn classified() -> Result<u32, io::Error> {
    Ok(1)
}

#[retry_on_exception(classify = |_| Verdict::FATAL)]
fn question_mark(text: &str) -> Result<u32, Box<dyn std::error::Error>> {
    let n: u32 = text.parse()?;
    Ok(n)
}

#[retry_on_exception(when = |e| e.kind() == io::ErrorKind::Interrupted)]
fn closure_predicate() -> Result<(), io::Error> {
    Ok(())
}

#[retry_on_exception(max_attempts = 2)]
fn generic<T: Clone, E>(value: &T) -> Result<T, E> {
    Ok(value.clone())
}

#[retry_on_exception(max_attempts = 2)]
fn impl_trait_output(name: &str) -> Result<impl Display + '_, io::Error> {
    Ok(name)
}

#[retry_on_exception(max_attempts = 2, wait_max = "2m")]
fn impl_trait_argument(items: impl IntoIterator<Item = u32> + Clone) -> Result<u32, io::Error> {
    // The body runs once per attempt: it clones what it consumes.
    Ok(items.clone().into_iter().sum())
}

struct Service {
    calls: u32,
    name: String,
}

impl Service {
    #[retry_on_exception(max_attempts = 2)]
    fn by_ref(&self) -> Result<&str, io::Error> {
        Ok(&self.name)
    }

    /// Documented, `#[must_use]`, with `&mut self`.
    #[must_use]
    #[retry_on_exception(max_attempts = 2)]
    fn by_mut(&mut self) -> Result<u32, io::Error> {
        self.calls += 1;
        Ok(self.calls)
    }

    #[retry_on_exception(max_attempts = 2)]
    async fn async_by_mut(&mut self, add: u32) -> Result<u32, io::Error> {
        self.calls += add;
        Ok(self.calls)
    }

    #[retry_on_exception(max_attempts = 2)]
    async fn async_by_ref(&self) -> Result<&str, io::Error> {
        Ok(&self.name)
    }

    #[retry_on_exception(max_attempts = 2)]
    fn associated() -> Result<Self, io::Error> {
        Ok(Self { calls: 0, name: "svc".into() })
    }
}

trait Store {
    fn load(&self) -> Result<u32, io::Error>;
}

impl Store for Service {
    #[retry_on_exception(max_attempts = 2)]
    fn load(&self) -> Result<u32, io::Error> {
        Ok(self.calls)
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(free(1).unwrap(), 2);
    runtime.block_on(no_arguments()).unwrap();
    assert_eq!(classified().unwrap(), 1);
    assert_eq!(question_mark("7").unwrap(), 7);
    closure_predicate().unwrap();
    assert_eq!(generic::<_, ()>(&5).unwrap(), 5);
    assert_eq!(impl_trait_output("x").unwrap().to_string(), "x");
    assert_eq!(impl_trait_argument([1, 2]).unwrap(), 3);
    let mut service = Service::associated().unwrap();
    assert_eq!(service.by_ref().unwrap(), "svc");
    assert_eq!(service.by_mut().unwrap(), 1);
    assert_eq!(runtime.block_on(service.async_by_mut(2)).unwrap(), 3);
    assert_eq!(runtime.block_on(service.async_by_ref()).unwrap(), "svc");
    assert_eq!(service.load().unwrap(), 3);
}
