//! Argument values: integers, durations, jitter modes and names, checked at compile time.
//!
//! A literal is read and checked here. Any other expression is a constant expression
//! (`MAX_ATTEMPTS`, `Duration::from_secs(30)`, `config::ATTEMPTS + 1`): it is kept as
//! written and checked by the compiler, which evaluates it in the function's `static`
//! (see `expand::config`).

use std::time::Duration;

use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Error, Expr, ExprLit, ExprUnary, Lit, LitStr, Result, UnOp};

/// A jitter mode, as the `jitter` argument names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Jitter {
    None,
    Full,
    Equal,
    Decorrelated,
}

/// An argument's value: read from a literal, or a constant expression left to the compiler.
#[derive(Clone)]
pub(crate) enum Arg<T> {
    Literal(T),
    Constant(Expr),
}

impl<T: Copy> Arg<T> {
    /// The value, when it was written as a literal.
    pub(crate) fn literal(&self) -> Option<T> {
        match self {
            Arg::Literal(value) => Some(*value),
            Arg::Constant(_) => None,
        }
    }
}

/// `value` read by `read` when it is a literal, else kept as a constant expression.
/// `Self` can't be named there: the expression is evaluated in a `static` inside the
/// function, where the impl's `Self` is out of scope.
pub(crate) fn arg<T>(
    field: &str,
    value: Expr,
    read: impl FnOnce(&Expr) -> Result<T>,
) -> Result<Arg<T>> {
    if literal(&value).is_some() || is_negative(&value) {
        return read(&value).map(Arg::Literal);
    }
    if let Some(at) = self_type(value.to_token_stream()) {
        return Err(Error::new(
            at,
            format!("`{field}` is a constant evaluated in a `static`, where `Self` is not in scope; name the type instead (`MyType::CONST`)"),
        ));
    }
    Ok(Arg::Constant(value))
}

fn self_type(tokens: proc_macro2::TokenStream) -> Option<proc_macro2::Span> {
    tokens.into_iter().find_map(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) if ident == "Self" => Some(ident.span()),
        proc_macro2::TokenTree::Group(group) => self_type(group.stream()),
        _ => None,
    })
}

const DURATION_HELP: &str =
    "expected a duration: seconds as a number (`1.5`) or a string with a unit (`\"500ms\"`, `\"2m\"`)";

/// A whole number of at least `min`, such as `max_attempts = 3`.
pub(crate) fn integer<N>(field: &str, value: &Expr, min: N) -> Result<N>
where
    N: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    N::Err: std::fmt::Display,
{
    let found = match literal(value) {
        Some(Lit::Int(int)) => {
            let n: N = int.base10_parse()?;
            if n < min {
                return Err(Error::new(
                    int.span(),
                    format!("`{field}` must be at least {min}"),
                ));
            }
            return Ok(n);
        }
        Some(lit) => describe(lit),
        None if is_negative(value) => "a negative number",
        None => "an expression",
    };
    Err(Error::new_spanned(
        value,
        format!("expected a whole number for `{field}` (at least {min}), found {found}"),
    ))
}

/// A duration: `1`, `1.5` (seconds) or `"500ms"`, `"2m"`, `"1.5"` (humantime, or seconds).
pub(crate) fn duration(field: &str, value: &Expr) -> Result<Duration> {
    match literal(value) {
        Some(Lit::Int(int)) => int.base10_parse::<u64>().map(Duration::from_secs),
        Some(Lit::Float(float)) => seconds(field, float.base10_parse::<f64>()?, value),
        Some(Lit::Str(text)) => from_text(field, text),
        Some(lit) => Err(Error::new_spanned(
            value,
            format!("{DURATION_HELP} for `{field}`, found {}", describe(lit)),
        )),
        None if is_negative(value) => Err(Error::new_spanned(
            value,
            format!("`{field}` can't be negative; {DURATION_HELP}"),
        )),
        None => Err(Error::new_spanned(
            value,
            format!("{DURATION_HELP} for `{field}`, found an expression"),
        )),
    }
}

/// `jitter = true | false | "full" | "equal" | "decorrelated" | "none"`.
pub(crate) fn jitter(value: &Expr) -> Result<Jitter> {
    const HELP: &str =
        "expected `true` (full jitter), `false`, or one of \"full\", \"equal\", \"decorrelated\", \"none\"";
    match literal(value) {
        Some(Lit::Bool(b)) if b.value => Ok(Jitter::Full),
        Some(Lit::Bool(_)) => Ok(Jitter::None),
        Some(Lit::Str(s)) => match s.value().as_str() {
            "full" => Ok(Jitter::Full),
            "equal" => Ok(Jitter::Equal),
            "decorrelated" => Ok(Jitter::Decorrelated),
            "none" => Ok(Jitter::None),
            _ => Err(Error::new(s.span(), format!("unknown jitter mode; {HELP}"))),
        },
        _ => Err(Error::new_spanned(
            value,
            format!("invalid `jitter`; {HELP}"),
        )),
    }
}

/// A non-empty string literal, such as `name = "llm"`.
pub(crate) fn name(value: &Expr) -> Result<LitStr> {
    match literal(value) {
        Some(Lit::Str(s)) if !s.value().trim().is_empty() => Ok(s.clone()),
        Some(Lit::Str(s)) => Err(Error::new(s.span(), "`name` must not be empty")),
        _ => Err(Error::new_spanned(
            value,
            "expected a string literal for `name`, e.g. `name = \"llm\"`",
        )),
    }
}

fn from_text(field: &str, text: &LitStr) -> Result<Duration> {
    let raw = text.value();
    let trimmed = raw.trim();
    if let Ok(secs) = trimmed.parse::<f64>() {
        return seconds(field, secs, text);
    }
    humantime::parse_duration(trimmed).map_err(|_| {
        Error::new(
            text.span(),
            format!("`{field}` is not a duration; {DURATION_HELP}"),
        )
    })
}

fn seconds(field: &str, secs: f64, at: &impl Spanned) -> Result<Duration> {
    if secs.is_sign_negative() {
        return Err(Error::new(
            at.span(),
            format!("`{field}` can't be negative; {DURATION_HELP}"),
        ));
    }
    Duration::try_from_secs_f64(secs)
        .map_err(|_| Error::new(at.span(), format!("`{field}` is too large")))
}

fn literal(value: &Expr) -> Option<&Lit> {
    match value {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        Expr::Group(group) => literal(&group.expr),
        _ => None,
    }
}

fn is_negative(value: &Expr) -> bool {
    matches!(value, Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr, .. }) if literal(expr).is_some())
}

fn describe(lit: &Lit) -> &'static str {
    match lit {
        Lit::Str(_) => "a string",
        Lit::Int(_) => "an integer",
        Lit::Float(_) => "a decimal number",
        Lit::Bool(_) => "a boolean",
        Lit::Char(_) => "a character",
        _ => "a literal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(text: &str) -> Expr {
        syn::parse_str(text).unwrap()
    }

    #[test]
    fn durations_read_seconds_and_units() {
        let d = |text| duration("wait", &expr(text)).map_err(|e| e.to_string());
        assert_eq!(d("1"), Ok(Duration::from_secs(1)));
        assert_eq!(d("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(d("\"500ms\""), Ok(Duration::from_millis(500)));
        assert_eq!(d("\"2m\""), Ok(Duration::from_secs(120)));
        assert_eq!(d("\"0.25\""), Ok(Duration::from_millis(250)));
        assert!(d("-1").unwrap_err().contains("can't be negative"));
        assert!(d("\"-1\"").unwrap_err().contains("can't be negative"));
        assert!(d("\"soon\"")
            .unwrap_err()
            .contains("`wait` is not a duration"));
        assert!(d("true").unwrap_err().contains("found a boolean"));
    }

    #[test]
    fn integers_have_a_floor() {
        let n = |text| integer::<u32>("max_attempts", &expr(text), 1).map_err(|e| e.to_string());
        assert_eq!(n("3"), Ok(3));
        assert!(n("0").unwrap_err().contains("at least 1"));
        assert!(n("-2").unwrap_err().contains("a negative number"));
        assert!(n("\"3\"").unwrap_err().contains("found a string"));
        assert!(n("99999999999").is_err());
    }

    #[test]
    fn literals_are_read_and_other_expressions_kept() {
        let read = |text| {
            arg("max_attempts", expr(text), |v| {
                integer::<u32>("max_attempts", v, 1)
            })
        };
        assert!(matches!(read("3"), Ok(Arg::Literal(3))));
        assert!(matches!(read("MAX_ATTEMPTS"), Ok(Arg::Constant(_))));
        assert!(matches!(read("config::ATTEMPTS + 1"), Ok(Arg::Constant(_))));
        assert!(read("0").is_err());
        assert!(read("-1").is_err());
        let error = read("Self::ATTEMPTS").err().unwrap().to_string();
        assert!(error.contains("`Self` is not in scope"), "{error}");
    }

    #[test]
    fn jitter_modes() {
        assert_eq!(jitter(&expr("true")).unwrap(), Jitter::Full);
        assert_eq!(jitter(&expr("false")).unwrap(), Jitter::None);
        assert_eq!(
            jitter(&expr("\"decorrelated\"")).unwrap(),
            Jitter::Decorrelated
        );
        assert!(jitter(&expr("\"wobbly\"")).is_err());
    }
}
