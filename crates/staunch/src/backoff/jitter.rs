//! Jitter modes: how a delay is randomized inside `[floor, cap]`.

/// How a backoff randomizes its delays.
///
/// Every mode draws inside `[floor, cap]` and never clamps after drawing, so a jittered
/// delay never exceeds the cap and stays random once delays reach it. The exact ranges
/// are in the [module docs](crate::backoff).
///
/// ```
/// use std::time::Duration;
/// use staunch::{Backoff, Jitter};
///
/// let cap = Duration::from_secs(10);
/// for jitter in [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
///     let backoff = Backoff::exponential(Duration::from_secs(1)).with_max_delay(cap).with_jitter(jitter);
///     assert!(backoff.iter().take(50).all(|d| d <= cap));
/// }
/// assert_eq!(Jitter::default(), Jitter::None);
/// assert_eq!(Jitter::Full.as_str(), "full");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Jitter {
    /// No randomness: the delay is the ceiling.
    #[default]
    None,
    /// Uniform between the floor and the next ceiling (AWS "Full Jitter"): the least work
    /// under contention.
    Full,
    /// Uniform in the upper half of the next ceiling (AWS "Equal Jitter").
    Equal,
    /// Uniform between the floor and three times the previous delay, within the next
    /// ceiling (AWS "Decorrelated Jitter", without its pile-up at the cap).
    Decorrelated,
}

impl Jitter {
    /// The lower-case name: `"none"`, `"full"`, `"equal"` or `"decorrelated"`.
    ///
    /// ```
    /// assert_eq!(staunch::Jitter::Decorrelated.as_str(), "decorrelated");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }
}

impl std::fmt::Display for Jitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
