//! Permits: the one way into a breaker. A permit reports the outcome of the call it
//! admitted; dropped without a report, it gives a half-open slot back and counts nothing.

use std::fmt;
use std::sync::Arc;

use super::core::{Inner, Ticket};
use crate::classify::{Classify, Verdict};

/// Admission to make one call through a breaker, from
/// [`CircuitBreaker::try_acquire`](crate::CircuitBreaker::try_acquire).
///
/// Report how the call went with [`success`](Permit::success),
/// [`failure`](Permit::failure), [`ignore`](Permit::ignore) or [`record`](Permit::record).
/// Dropping the permit without a report (a cancelled future, a panic) counts nothing and
/// frees its half-open probe slot, so the circuit can never be stuck half-open by a lost
/// call. A report made after the breaker changed state since admission is ignored.
///
/// ```
/// use staunch::{test_util::FakeClock, CircuitBreaker, Verdict};
///
/// let breaker = CircuitBreaker::builder("db").failure_threshold(2).clock(FakeClock::new().clock()).build()?;
/// breaker.try_acquire()?.failure();
/// breaker.try_acquire()?.record(Verdict::IGNORE);
/// assert_eq!(breaker.failure_count(), 1);
/// drop(breaker.try_acquire()?); // counts nothing
/// breaker.try_acquire()?.success();
/// assert_eq!(breaker.failure_count(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a permit reports its call's outcome; dropping it at once counts nothing"]
pub struct Permit<'a> {
    inner: &'a Inner,
    ticket: Option<Ticket>,
}

/// A [`Permit`] that owns a handle to its breaker, for calls that outlive a borrow (a
/// spawned task, a tower service's response future). It costs one reference-count
/// increment more than a [`Permit`].
///
/// ```
/// use staunch::{test_util::FakeClock, CircuitBreaker};
///
/// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
/// let permit = breaker.try_acquire_owned()?;
/// std::thread::spawn(move || permit.success()).join().unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a permit reports its call's outcome; dropping it at once counts nothing"]
pub struct OwnedPermit {
    inner: Arc<Inner>,
    ticket: Option<Ticket>,
}

macro_rules! permit_methods {
    () => {
        /// Reports a success.
        #[inline]
        pub fn success(mut self) {
            if let Some(ticket) = self.ticket.take() {
                self.inner.succeed(ticket);
            }
        }

        /// Reports a counted failure.
        #[inline]
        pub fn failure(mut self) {
            if let Some(ticket) = self.ticket.take() {
                self.inner.fail(ticket, None);
            }
        }

        /// Reports an error that does not count: nothing is counted and a half-open slot
        /// is given back.
        #[inline]
        pub fn ignore(mut self) {
            if let Some(ticket) = self.ticket.take() {
                self.inner.release(ticket, false);
            }
        }

        /// Reports an error by its classifier's verdict: counted (with its delay hint)
        /// when [`Verdict::counts_as_failure`], ignored otherwise.
        #[inline]
        pub fn record(mut self, verdict: Verdict) {
            if let Some(ticket) = self.ticket.take() {
                if verdict.counts_as_failure() {
                    self.inner.fail(ticket, verdict.delay_hint());
                } else {
                    self.inner.release(ticket, false);
                }
            }
        }

        /// Reports a call's result: `Ok` is a success, `Err` is classified.
        #[inline]
        pub fn record_result<T, E>(self, result: &Result<T, E>, classifier: &impl Classify<E>) {
            match result {
                Ok(_) => self.success(),
                Err(error) => self.record(classifier.classify(error)),
            }
        }

        /// Whether this permit is a half-open probe.
        pub fn is_probe(&self) -> bool {
            self.ticket.is_some_and(|t| t.probe)
        }
    };
}

impl<'a> Permit<'a> {
    #[inline]
    pub(crate) fn new(inner: &'a Inner, ticket: Ticket) -> Self {
        Self {
            inner,
            ticket: Some(ticket),
        }
    }

    permit_methods!();
}

impl OwnedPermit {
    pub(crate) fn new(inner: Arc<Inner>, ticket: Ticket) -> Self {
        Self {
            inner,
            ticket: Some(ticket),
        }
    }

    permit_methods!();
}

impl Drop for Permit<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.inner.release(ticket, true);
        }
    }
}

impl Drop for OwnedPermit {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.inner.release(ticket, true);
        }
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(f, "Permit", &self.inner.name, self.ticket)
    }
}

impl fmt::Debug for OwnedPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(f, "OwnedPermit", &self.inner.name, self.ticket)
    }
}

fn debug(
    f: &mut fmt::Formatter<'_>,
    kind: &str,
    name: &str,
    ticket: Option<Ticket>,
) -> fmt::Result {
    f.debug_struct(kind)
        .field("breaker", &name)
        .field("generation", &ticket.map(|t| t.generation))
        .field("probe", &ticket.is_some_and(|t| t.probe))
        .finish()
}
