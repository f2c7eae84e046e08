//! The least a wrapper of an async call can do: reference points for the runtime benches,
//! measured beside staunch and its peers in the same run, as `atomic_load` and
//! `mutex_lock` are for the blocking breaker.
//!
//! A retry, or a breaker's `call`, owns the closure that makes each attempt, makes the
//! attempt's future inside its own, polls it and hands its output back. [`Wrapper`] does
//! exactly that and nothing else: what it costs over the direct call is what wrapping
//! the call in any such future costs in a runtime, before any retry or breaker logic.
//! [`Gated`] adds the least a breaker can check: one atomic load of a state word before
//! the attempt and one after it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

pin_project! {
    /// Makes one attempt with `make` on its first poll and returns its output.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use staunch_benches::floor::Wrapper;
    /// assert_eq!(Wrapper::new(|| async { Ok::<_, ()>(7) }).await, Ok(7));
    /// # }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct Wrapper<F, Fut> {
        make: F,
        #[pin]
        attempt: Option<Fut>,
    }
}

impl<F, Fut> Wrapper<F, Fut>
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    /// A call of `make`'s future, wrapped.
    ///
    /// ```
    /// let _ = staunch_benches::floor::Wrapper::new(|| async { 1 });
    /// ```
    #[inline]
    pub fn new(make: F) -> Self {
        Self {
            make,
            attempt: None,
        }
    }
}

impl<F, Fut> Future for Wrapper<F, Fut>
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    type Output = Fut::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if this.attempt.is_none() {
            this.attempt.set(Some((this.make)()));
        }
        this.attempt
            .as_pin_mut()
            .expect("the attempt was made above")
            .poll(cx)
    }
}

/// What [`Gated`] returns when its word is not zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shut;

pin_project! {
    /// [`Wrapper`] behind a state word: refuses with [`Shut`] unless the word reads zero
    /// before the attempt, and reads it again once the attempt is done, as a breaker
    /// checks that a success needs no write.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::sync::atomic::AtomicU64;
    /// use staunch_benches::floor::{Gated, Shut};
    /// let word = AtomicU64::new(0);
    /// assert_eq!(Gated::new(&word, || async { 7 }).await, Ok(7));
    /// word.store(1, std::sync::atomic::Ordering::Relaxed);
    /// assert_eq!(Gated::new(&word, || async { 7 }).await, Err(Shut));
    /// # }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct Gated<'a, F, Fut> {
        word: &'a AtomicU64,
        #[pin]
        inner: Wrapper<F, Fut>,
    }
}

impl<'a, F, Fut> Gated<'a, F, Fut>
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    /// A call of `make`'s future behind `word`.
    ///
    /// ```
    /// let word = std::sync::atomic::AtomicU64::new(0);
    /// let _ = staunch_benches::floor::Gated::new(&word, || async { 1 });
    /// ```
    #[inline]
    pub fn new(word: &'a AtomicU64, make: F) -> Self {
        Self {
            word,
            inner: Wrapper::new(make),
        }
    }
}

impl<F, Fut> Future for Gated<'_, F, Fut>
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    type Output = Result<Fut::Output, Shut>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.inner.attempt.is_none() && this.word.load(Ordering::Acquire) != 0 {
            return Poll::Ready(Err(Shut));
        }
        let output = std::task::ready!(this.inner.poll(cx));
        // The breaker's check that the success needs no write.
        if this.word.load(Ordering::Acquire) != 0 {
            changed();
        }
        Poll::Ready(Ok(output))
    }
}

/// Where a breaker would record a success on a word that changed: out of line.
#[cold]
#[inline(never)]
fn changed() {
    std::hint::black_box(());
}
