//! `Serialize` and `Deserialize` for [`ResilienceSettings`] (feature `serde`).
//!
//! Durations are read as seconds (`60`, `1.5`, `"60"`) or strings with units (`"500ms"`,
//! `"1h 30m"`) and written as seconds (`60`, `1.5`); counts are whole numbers (`5`, `5.0`,
//! `"5"`). Missing fields and `null` take the seed's defaults (`attempt_timeout`: none).
//! Unknown fields are ignored, so the settings can be `#[serde(flatten)]`ed into a larger
//! configuration.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use super::duration::{self, from_secs_f64};
use super::field::{parse_count, Field, TOO_LARGE_COUNT};
use super::validate::{self, Origin, Origins, Rank};
use super::ResilienceSettings;
use crate::ConfigError;

impl Serialize for ResilienceSettings {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("ResilienceSettings", 6)?;
        state.serialize_field("circuit_failure_threshold", &self.circuit_failure_threshold)?;
        state.serialize_field(
            "circuit_recovery_timeout",
            &Seconds(self.circuit_recovery_timeout),
        )?;
        state.serialize_field("retry_max_attempts", &self.retry_max_attempts)?;
        state.serialize_field("retry_wait_min", &Seconds(self.retry_wait_min))?;
        state.serialize_field("retry_wait_max", &Seconds(self.retry_wait_max))?;
        state.serialize_field("attempt_timeout", &self.attempt_timeout.map(Seconds))?;
        state.end()
    }
}

/// A duration written as whole seconds when it has no fraction, else as fractional ones.
struct Seconds(Duration);

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.subsec_nanos() == 0 {
            serializer.serialize_u64(self.0.as_secs())
        } else {
            serializer.serialize_f64(self.0.as_secs_f64())
        }
    }
}

impl<'de> Deserialize<'de> for ResilienceSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Raw::deserialize(deserializer)?;
        raw.into_settings().map_err(de::Error::custom)
    }
}

/// The fields as written, before parsing and validation.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Raw {
    circuit_failure_threshold: Option<Value>,
    circuit_recovery_timeout: Option<Value>,
    retry_max_attempts: Option<Value>,
    retry_wait_min: Option<Value>,
    retry_wait_max: Option<Value>,
    attempt_timeout: Option<Value>,
}

impl Raw {
    fn into_settings(self) -> Result<ResilienceSettings, ConfigError> {
        let mut out = ResilienceSettings::default();
        let mut origins = Origins::fields(Rank::Code);
        let values = [
            (
                Field::CircuitFailureThreshold,
                self.circuit_failure_threshold,
            ),
            (Field::CircuitRecoveryTimeout, self.circuit_recovery_timeout),
            (Field::RetryMaxAttempts, self.retry_max_attempts),
            (Field::RetryWaitMin, self.retry_wait_min),
            (Field::RetryWaitMax, self.retry_wait_max),
            (Field::AttemptTimeout, self.attempt_timeout),
        ];
        for (field, value) in values {
            let Some(value) = value else { continue };
            let written = value.to_string();
            value
                .apply(field, &mut out)
                .map_err(|reason| ConfigError::new(field.name(), &written, reason))?;
            let mut origin = Origin::field(field, Rank::Code);
            origin.raw = Some(written);
            origins.set(field, origin);
        }
        validate::validate(&out, &origins)?;
        Ok(out)
    }
}

/// A number or a string, as written.
#[derive(Debug)]
enum Value {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text(String),
}

impl Value {
    fn apply(&self, field: Field, out: &mut ResilienceSettings) -> Result<(), Cow<'static, str>> {
        if let Value::Text(text) = self {
            return field.parse_into(text, out);
        }
        if field.is_count() {
            field.set_count(out, self.count()?);
        } else {
            field.set_duration(out, self.seconds()?);
        }
        Ok(())
    }

    fn count(&self) -> Result<u32, Cow<'static, str>> {
        match *self {
            Value::Unsigned(n) => u32::try_from(n).map_err(|_| TOO_LARGE_COUNT.into()),
            Value::Signed(n) if n < 0 => Err("must not be negative".into()),
            Value::Signed(n) => u32::try_from(n).map_err(|_| TOO_LARGE_COUNT.into()),
            // `10.0` is ten; `10.5`, infinities and NaN are not counts.
            Value::Float(x) if x < 0.0 => Err("must not be negative".into()),
            Value::Float(x) if x.fract() != 0.0 || !x.is_finite() => {
                Err("must be a whole number".into())
            }
            Value::Float(x) if x > f64::from(u32::MAX) => Err(TOO_LARGE_COUNT.into()),
            Value::Float(x) => Ok(x as u32),
            Value::Text(ref text) => parse_count(text),
        }
    }

    fn seconds(&self) -> Result<Duration, Cow<'static, str>> {
        let duration = match *self {
            Value::Unsigned(n) => Ok(Duration::from_secs(n)),
            Value::Signed(n) if n < 0 => Err("must not be negative"),
            Value::Signed(n) => Ok(Duration::from_secs(n.unsigned_abs())),
            Value::Float(f) => from_secs_f64(f),
            Value::Text(ref text) => {
                return duration::parse_duration(text).map_err(|err| err.reason().to_owned().into())
            }
        };
        duration
            .and_then(duration::at_most_max)
            .map_err(Cow::Borrowed)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Unsigned(n) => write!(f, "{n}"),
            Value::Signed(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Text(text) => f.write_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl Visitor<'_> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or a string such as \"10\", \"1.5\" or \"500ms\"")
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Unsigned(n))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Signed(n))
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Value, E> {
        Ok(Value::Float(x))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
        Ok(Value::Text(text.to_owned()))
    }
}
