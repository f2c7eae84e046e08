//! Permits: the one way into a breaker. A permit reports the outcome of the call it
//! admitted; dropped without a report, it gives a half-open slot back and counts nothing.

use std::fmt;
use std::mem::ManuallyDrop;
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
    ticket: Ticket,
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
    slot: Option<(Arc<Inner>, Ticket)>,
}

macro_rules! permit_methods {
    ($take:ident) => {
        /// Reports a success.
        ///
        /// ```
        /// # use staunch::{test_util::FakeClock, CircuitBreaker};
        /// # let breaker = CircuitBreaker::builder("db").failure_threshold(2).clock(FakeClock::new().clock()).build()?;
        /// breaker.try_acquire()?.failure();
        /// breaker.try_acquire()?.success();
        /// assert_eq!(breaker.failure_count(), 0);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[inline]
        pub fn success(self) {
            if let Some((inner, ticket)) = self.$take() {
                inner.succeed(ticket);
            }
        }

        /// Reports a counted failure.
        ///
        /// ```
        /// # use staunch::{test_util::FakeClock, CircuitBreaker};
        /// # let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
        /// breaker.try_acquire()?.failure();
        /// assert_eq!(breaker.failure_count(), 1);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[inline]
        pub fn failure(self) {
            if let Some((inner, ticket)) = self.$take() {
                inner.fail(ticket, None);
            }
        }

        /// Reports an error that does not count: nothing is counted and a half-open slot
        /// is given back.
        ///
        /// ```
        /// # use staunch::{test_util::FakeClock, CircuitBreaker};
        /// # let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
        /// breaker.try_acquire()?.ignore();
        /// assert_eq!(breaker.failure_count(), 0);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[inline]
        pub fn ignore(self) {
            if let Some((inner, ticket)) = self.$take() {
                inner.release(ticket, false);
            }
        }

        /// Reports an error by its classifier's verdict: counted (with its delay hint)
        /// when [`Verdict::counts_as_failure`], ignored otherwise.
        ///
        /// ```
        /// # use staunch::{test_util::FakeClock, CircuitBreaker, Verdict};
        /// # let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
        /// breaker.try_acquire()?.record(Verdict::FATAL);
        /// breaker.try_acquire()?.record(Verdict::IGNORE);
        /// assert_eq!(breaker.failure_count(), 1);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[inline]
        pub fn record(self, verdict: Verdict) {
            if let Some((inner, ticket)) = self.$take() {
                if verdict.counts_as_failure() {
                    inner.fail(ticket, verdict.delay_hint());
                } else {
                    inner.release(ticket, false);
                }
            }
        }

        /// Reports a call's result: `Ok` is a success, `Err` is classified.
        ///
        /// ```
        /// # use staunch::{test_util::FakeClock, AllTransient, CircuitBreaker};
        /// # let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
        /// let result: Result<(), &str> = Err("timeout");
        /// breaker.try_acquire()?.record_result(&result, &AllTransient);
        /// assert_eq!(breaker.failure_count(), 1);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[inline]
        pub fn record_result<T, E>(self, result: &Result<T, E>, classifier: &impl Classify<E>) {
            match result {
                Ok(_) => self.success(),
                Err(error) => self.record(classifier.classify(error)),
            }
        }
    };
}

impl<'a> Permit<'a> {
    #[inline]
    pub(crate) fn new(inner: &'a Inner, ticket: Ticket) -> Self {
        Self { inner, ticket }
    }

    /// Consumes the permit without running its `Drop`.
    #[inline]
    fn take(self) -> Option<(&'a Inner, Ticket)> {
        let this = ManuallyDrop::new(self);
        Some((this.inner, this.ticket))
    }

    permit_methods!(take);

    /// Whether this permit is a half-open probe.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// # let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// assert!(!breaker.try_acquire()?.is_probe());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_probe(&self) -> bool {
        self.ticket.probe()
    }
}

impl OwnedPermit {
    pub(crate) fn new(inner: Arc<Inner>, ticket: Ticket) -> Self {
        Self {
            slot: Some((inner, ticket)),
        }
    }

    /// Takes the breaker and ticket, leaving the drop with nothing to release.
    fn take(mut self) -> Option<(Arc<Inner>, Ticket)> {
        self.slot.take()
    }

    permit_methods!(take);

    /// Whether this permit is a half-open probe.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// # let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// assert!(!breaker.try_acquire_owned()?.is_probe());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_probe(&self) -> bool {
        self.slot.as_ref().is_some_and(|(_, t)| t.probe())
    }
}

impl Drop for Permit<'_> {
    #[inline]
    fn drop(&mut self) {
        self.inner.release(self.ticket, true);
    }
}

impl Drop for OwnedPermit {
    fn drop(&mut self) {
        if let Some((inner, ticket)) = self.slot.take() {
            inner.release(ticket, true);
        }
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(f, "Permit", self.inner.name, Some(self.ticket))
    }
}

impl fmt::Debug for OwnedPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.slot {
            Some((inner, ticket)) => debug(f, "OwnedPermit", inner.name, Some(*ticket)),
            None => f.write_str("OwnedPermit(reported)"),
        }
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
        .field("generation", &ticket.map(|t| t.generation()))
        .field("probe", &ticket.is_some_and(|t| t.probe()))
        .finish()
}
