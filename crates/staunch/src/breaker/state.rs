//! [`CircuitState`]: the five states of a breaker and their lower-case names.

use std::fmt;
use std::str::FromStr;

/// The state of a circuit breaker.
///
/// The string form is lower case (`"closed"`, `"open"`, `"half_open"`, `"forced_open"`,
/// `"disabled"`), like the seed's `state.value`, and parses back with [`FromStr`].
///
/// ```
/// use staunch::CircuitState;
///
/// assert_eq!(CircuitState::HalfOpen.as_str(), "half_open");
/// assert_eq!(CircuitState::Open.to_string(), "open");
/// assert_eq!("forced_open".parse::<CircuitState>().unwrap(), CircuitState::ForcedOpen);
/// assert!("ajar".parse::<CircuitState>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CircuitState {
    /// Calls pass; failures are counted.
    Closed = 0,
    /// Calls are rejected until the open period ends.
    Open = 1,
    /// A limited number of probe calls test whether the dependency has recovered.
    HalfOpen = 2,
    /// Calls are rejected until an operator closes the circuit.
    ForcedOpen = 3,
    /// Every call passes and is still measured; the circuit never opens by itself.
    Disabled = 4,
}

impl CircuitState {
    /// Every state, in declaration order.
    ///
    /// ```
    /// assert_eq!(staunch::CircuitState::ALL.len(), 5);
    /// ```
    pub const ALL: [CircuitState; 5] = [
        CircuitState::Closed,
        CircuitState::Open,
        CircuitState::HalfOpen,
        CircuitState::ForcedOpen,
        CircuitState::Disabled,
    ];

    /// The lower-case name: `"closed"`, `"open"`, `"half_open"`, `"forced_open"` or
    /// `"disabled"`.
    ///
    /// ```
    /// assert_eq!(staunch::CircuitState::Closed.as_str(), "closed");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
            CircuitState::ForcedOpen => "forced_open",
            CircuitState::Disabled => "disabled",
        }
    }

    /// Whether calls are let through without limit (CLOSED or DISABLED).
    ///
    /// ```
    /// use staunch::CircuitState;
    /// assert!(CircuitState::Disabled.is_passing());
    /// assert!(!CircuitState::HalfOpen.is_passing());
    /// ```
    pub const fn is_passing(self) -> bool {
        matches!(self, CircuitState::Closed | CircuitState::Disabled)
    }

    pub(crate) const fn code(self) -> u8 {
        self as u8
    }

    pub(crate) const fn from_code(code: u8) -> CircuitState {
        match code {
            1 => CircuitState::Open,
            2 => CircuitState::HalfOpen,
            3 => CircuitState::ForcedOpen,
            4 => CircuitState::Disabled,
            _ => CircuitState::Closed,
        }
    }
}

impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`CircuitState`] from a string that names none.
///
/// ```
/// let err = "ajar".parse::<staunch::CircuitState>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown circuit state `ajar`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseStateError {
    given: String,
}

impl fmt::Display for ParseStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown circuit state `{}`", self.given)
    }
}

impl std::error::Error for ParseStateError {}

impl FromStr for CircuitState {
    type Err = ParseStateError;

    /// Parses the lower-case name; upper case and `-` for `_` are accepted too
    /// (`"HALF_OPEN"`, `"half-open"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        CircuitState::ALL
            .into_iter()
            .find(|state| state.as_str() == wanted)
            .ok_or_else(|| ParseStateError {
                given: s.to_owned(),
            })
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for CircuitState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for CircuitState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}
