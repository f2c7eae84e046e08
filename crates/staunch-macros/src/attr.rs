//! Attribute arguments: which attribute accepts which argument, parsed and validated.
//!
//! Every argument is checked here, before anything is generated: unknown and duplicate
//! names, values of the wrong kind, negative or malformed durations, and combinations
//! that contradict each other. Each error points at the offending token. A value written
//! as a constant expression instead of a literal is checked by the same rules when the
//! compiler evaluates it (see `expand::config`).

use std::time::Duration;

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Error, Expr, Ident, LitStr, Result, Token};

mod value;

pub(crate) use value::{Arg, Jitter};

/// The four attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    RetryOnException,
    RetryWithJitter,
    CircuitBreaker,
    Resilient,
}

impl Kind {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::RetryOnException => "retry_on_exception",
            Kind::RetryWithJitter => "retry_with_jitter",
            Kind::CircuitBreaker => "circuit_breaker",
            Kind::Resilient => "resilient",
        }
    }

    /// What this attribute calls the first wait and the cap of every wait.
    pub(crate) fn wait_names(self) -> (&'static str, &'static str) {
        match self {
            Kind::RetryWithJitter => ("base_wait", "max_wait"),
            _ => ("wait_min", "wait_max"),
        }
    }

    pub(crate) fn guards(self) -> bool {
        matches!(self, Kind::CircuitBreaker | Kind::Resilient)
    }

    /// The argument names this attribute accepts, in the order the docs list them.
    fn accepted(self) -> &'static [&'static str] {
        match self {
            Kind::RetryOnException => &[
                "max_attempts",
                "wait_min",
                "wait_max",
                "when",
                "classify",
                "name",
                "clock",
            ],
            Kind::RetryWithJitter => &[
                "max_attempts",
                "base_wait",
                "max_wait",
                "jitter",
                "seed",
                "when",
                "classify",
                "name",
                "clock",
            ],
            Kind::CircuitBreaker => &[
                "failure_threshold",
                "recovery_timeout",
                "breaker",
                "when",
                "classify",
                "name",
                "clock",
            ],
            Kind::Resilient => &[
                "max_attempts",
                "wait_min",
                "wait_max",
                "jitter",
                "seed",
                "failure_threshold",
                "recovery_timeout",
                "breaker",
                "when",
                "classify",
                "name",
                "clock",
            ],
        }
    }
}

/// How errors are sorted: a predicate (the seed's `exception_types`) or a full classifier.
pub(crate) enum Classifier {
    When(Expr),
    Classify(Expr),
}

/// The validated arguments of one attribute.
pub(crate) struct Args {
    pub(crate) kind: Kind,
    pub(crate) max_attempts: Option<Arg<u32>>,
    /// `wait_min`, or `base_wait` for `#[retry_with_jitter]`.
    pub(crate) wait_min: Option<Arg<Duration>>,
    /// `wait_max`, or `max_wait` for `#[retry_with_jitter]`.
    pub(crate) wait_max: Option<Arg<Duration>>,
    pub(crate) jitter: Option<Arg<Jitter>>,
    pub(crate) seed: Option<Arg<u64>>,
    pub(crate) failure_threshold: Option<Arg<u32>>,
    pub(crate) recovery_timeout: Option<Arg<Duration>>,
    pub(crate) classifier: Option<Classifier>,
    pub(crate) breaker: Option<Expr>,
    pub(crate) clock: Option<Expr>,
    pub(crate) name: Option<LitStr>,
}

/// One argument as written: `key = value`, or a bare value (a breaker).
struct Raw {
    key: Option<Ident>,
    value: Expr,
}

impl Parse for Raw {
    fn parse(input: ParseStream<'_>) -> Result<Self> {
        let key = if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let key = input.parse()?;
            input.parse::<Token![=]>()?;
            Some(key)
        } else {
            None
        };
        Ok(Raw {
            key,
            value: input.parse()?,
        })
    }
}

impl Args {
    /// Parses and validates `tokens` for `kind`, collecting every error found.
    pub(crate) fn parse(kind: Kind, tokens: proc_macro2::TokenStream) -> Result<Self> {
        let raw =
            syn::parse::Parser::parse2(Punctuated::<Raw, Token![,]>::parse_terminated, tokens)?;
        let mut args = Args::empty(kind);
        let mut seen: Vec<Ident> = Vec::new();
        let mut errors = Errors::default();
        for (index, Raw { key, value }) in raw.into_iter().enumerate() {
            let key = match key {
                Some(key) => key,
                None if index == 0 && kind.guards() => Ident::new("breaker", value.span()),
                None if kind.guards() => {
                    errors.push(Error::new_spanned(
                        &value,
                        "a breaker can only be the first argument",
                    ));
                    continue;
                }
                None => {
                    errors.push(Error::new_spanned(
                        &value,
                        format!("expected `name = value` arguments; {}", args.expected()),
                    ));
                    continue;
                }
            };
            if seen.contains(&key) {
                errors.push(Error::new(
                    key.span(),
                    format!("duplicate argument `{key}`"),
                ));
                continue;
            }
            if let Err(error) = args.set(&key, value) {
                errors.push(error);
            }
            seen.push(key);
        }
        errors.extend(args.check(&seen));
        errors.finish(args)
    }

    fn empty(kind: Kind) -> Self {
        Args {
            kind,
            max_attempts: None,
            wait_min: None,
            wait_max: None,
            jitter: None,
            seed: None,
            failure_threshold: None,
            recovery_timeout: None,
            classifier: None,
            breaker: None,
            clock: None,
            name: None,
        }
    }

    fn set(&mut self, key: &Ident, value: Expr) -> Result<()> {
        let text = key.to_string();
        if !self.kind.accepted().contains(&text.as_str()) {
            return Err(self.unknown(key));
        }
        match text.as_str() {
            "max_attempts" => {
                self.max_attempts =
                    Some(value::arg(&text, value, |v| value::integer(&text, v, 1))?);
            }
            "wait_min" | "base_wait" => {
                self.wait_min = Some(value::arg(&text, value, |v| value::duration(&text, v))?);
            }
            "wait_max" | "max_wait" => {
                self.wait_max = Some(value::arg(&text, value, |v| value::duration(&text, v))?);
            }
            "jitter" => self.jitter = Some(value::arg(&text, value, value::jitter)?),
            "seed" => self.seed = Some(value::arg(&text, value, |v| value::integer(&text, v, 0))?),
            "failure_threshold" => {
                let n = value::arg(&text, value, |v| value::integer(&text, v, 1))?;
                self.failure_threshold = Some(n);
            }
            "recovery_timeout" => {
                let timeout = value::arg(&text, value, |v| {
                    let timeout = value::duration(&text, v)?;
                    if timeout.is_zero() {
                        return Err(Error::new_spanned(
                            v,
                            "`recovery_timeout` must be greater than zero",
                        ));
                    }
                    Ok(timeout)
                })?;
                self.recovery_timeout = Some(timeout);
            }
            "when" | "classify" => {
                if self.classifier.is_some() {
                    return Err(Error::new(
                        key.span(),
                        "`when` and `classify` both choose which errors to retry and count; give one of them",
                    ));
                }
                self.classifier = Some(match text.as_str() {
                    "when" => Classifier::When(value),
                    _ => Classifier::Classify(value),
                });
            }
            "breaker" => self.breaker = Some(value),
            "clock" => self.clock = Some(value),
            "name" => self.name = Some(value::name(&value)?),
            _ => return Err(self.unknown(key)),
        }
        Ok(())
    }

    /// Rules between arguments, checked once all are read.
    fn check(&self, seen: &[Ident]) -> Vec<Error> {
        let mut errors = Vec::new();
        let find = |name: &str| seen.iter().find(|key| *key == name);
        let literal = |arg: &Option<Arg<Duration>>| arg.as_ref().and_then(Arg::literal);
        if let (Some(min), Some(max)) = (literal(&self.wait_min), literal(&self.wait_max)) {
            if min > max {
                let (lo, hi) = self.kind.wait_names();
                let at = find(lo).map_or_else(Span::call_site, Ident::span);
                errors.push(Error::new(
                    at,
                    format!(
                        "`{lo}` ({}) must not exceed `{hi}` ({})",
                        show(min),
                        show(max)
                    ),
                ));
            }
        }
        if self.breaker.is_some() {
            let own = ["failure_threshold", "recovery_timeout"];
            let creates_only = if self.kind == Kind::CircuitBreaker {
                &["name", "clock"][..]
            } else {
                &[]
            };
            for key in seen
                .iter()
                .filter(|k| own.iter().chain(creates_only).any(|o| *k == o))
            {
                errors.push(Error::new(
                    key.span(),
                    format!("`{key}` configures a breaker this attribute creates; it can't be combined with a given breaker"),
                ));
            }
        }
        errors
    }

    fn unknown(&self, key: &Ident) -> Error {
        let hint = match (key.to_string().as_str(), self.kind) {
            ("exception_types" | "expected_exception", _) => {
                "; pass a predicate instead: `when = path::to::fn(&E) -> bool`".to_owned()
            }
            ("wait_min", Kind::RetryWithJitter) => {
                "; this attribute calls it `base_wait`".to_owned()
            }
            ("wait_max", Kind::RetryWithJitter) => {
                "; this attribute calls it `max_wait`".to_owned()
            }
            ("base_wait", Kind::RetryOnException | Kind::Resilient) => {
                "; this attribute calls it `wait_min`".to_owned()
            }
            ("max_wait", Kind::RetryOnException | Kind::Resilient) => {
                "; this attribute calls it `wait_max`".to_owned()
            }
            _ => format!("; {}", self.expected()),
        };
        Error::new(
            key.span(),
            format!(
                "unknown argument `{key}` for `#[{}]`{hint}",
                self.kind.attribute()
            ),
        )
    }

    fn expected(&self) -> String {
        format!("expected one of: {}", self.kind.accepted().join(", "))
    }
}

/// Several errors reported together, so one build shows every mistake.
#[derive(Default)]
pub(crate) struct Errors(Option<Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T> {
        self.0.map_or(Ok(value), Err)
    }
}

impl Extend<Error> for Errors {
    fn extend<I: IntoIterator<Item = Error>>(&mut self, iter: I) {
        iter.into_iter().for_each(|e| self.push(e));
    }
}

fn show(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}
