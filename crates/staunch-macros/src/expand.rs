//! Code generation: the function keeps its signature; its body runs once per attempt.
//!
//! Every attribute expands to the same shape, and calls only `::staunch::__private`:
//!
//! ```text
//! fn name(args) -> Result<T, E> {
//!     static SITE: Site = Site::new(Config::new("module::name").max_attempts(3)...);
//!     let mut call = SITE.retry(clock);          // or .breaker(..), .guard(&B), .resilient(..)
//!     loop {
//!         let attempt = match call.before() { Continue(a) => a, Break(r) => return r };
//!         let (attempt, result) = call.run_blocking(attempt, || body);
//!         // async: call.run(attempt, async { body }).await, cut by the attempt timeout
//!         let classifier = when(&result, predicate);       // or classify(..), all_transient(..)
//!         match call.after_blocking(attempt, result, classifier) {   // async: after(..).await
//!             Break(r) => return r,
//!             Continue(()) => {}
//!         }
//!     }
//! }
//! ```
//!
//! The body is re-created as a fresh closure (or async block) on every turn of the loop, so
//! it borrows `&mut self` and the arguments only for one attempt; nothing is stored. The
//! loop only steps the engine's step machine (`before`, `run`, `after`): every decision,
//! the timeout and what a panic means are the engine's, as for every other call form.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::{Expr, ItemFn, ReturnType, Type};

use crate::attr::{Arg, Args, Classifier, Errors, Kind};
use crate::item;

/// The entry point every attribute shares.
pub(crate) fn attribute(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let func = item::function(kind, item.clone());
    let args = Args::parse(kind, args);
    match (args, func) {
        (Ok(args), Ok(func)) => expand(&args, func),
        (args, func) => {
            let mut errors = Errors::default();
            errors.extend(args.err());
            errors.extend(func.err());
            let errors = match errors.finish(()) {
                Err(errors) => errors.to_compile_error(),
                Ok(()) => TokenStream::new(),
            };
            // The item is emitted untouched, so its callers still compile and only the
            // attribute's own error shows.
            quote!(#errors #item)
        }
    }
}

fn expand(args: &Args, func: ItemFn) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = func;
    let output = match &sig.output {
        ReturnType::Type(_, ty) => &**ty,
        ReturnType::Default => unreachable!("checked by item::function"),
    };
    let ret_span = syn::spanned::Spanned::span(output);
    // Hygienic names: the body can't see them.
    let at = Span::mixed_site();
    let site = format_ident!("__STAUNCH_SITE", span = at);
    let call = format_ident!("__staunch_call", span = at);
    let attempt = format_ident!("__staunch_attempt", span = at);
    // Declared after the body, so the body can't see them either; spanned at the return
    // type so that a type that isn't a `Result` is reported there.
    let result = format_ident!("__staunch_result", span = ret_span);
    let classifier = format_ident!("__staunch_classifier", span = ret_span);
    let returned = format_ident!("__staunch_returned", span = at);

    let config = config(args, &sig.ident);
    let start = start(args, &site);
    // The bound `E: From<CircuitOpen>` is checked here; point its error at `E`.
    let before = quote_spanned!(error_span(output)=> #call.before());
    let body = typed_body(output, &block);
    let run = if sig.asyncness.is_some() {
        quote!(#call.run(#attempt, async #body).await)
    } else {
        quote!(#call.run_blocking(#attempt, || #body))
    };
    let sort = sorter(args, &result, ret_span);
    let sort_span = match &args.classifier {
        Some(Classifier::When(expr) | Classifier::Classify(expr)) => {
            syn::spanned::Spanned::span(expr)
        }
        None => ret_span,
    };
    // Everything that checks the classifier's type is reported at the classifier.
    let bind_classifier = quote_spanned!(sort_span=> let #classifier = #sort;);
    let after = if sig.asyncness.is_some() {
        quote_spanned!(ret_span=> #call.after(#attempt, #result, #classifier).await)
    } else {
        quote_spanned!(ret_span=> #call.after_blocking(#attempt, #result, #classifier))
    };

    quote! {
        #(#attrs)*
        #vis #sig {
            static #site: ::staunch::__private::Site = ::staunch::__private::Site::new(#config);
            #[allow(unused_mut)]
            let mut #call = #start;
            loop {
                let #attempt = match #before {
                    ::core::ops::ControlFlow::Continue(#attempt) => #attempt,
                    ::core::ops::ControlFlow::Break(#returned) => return #returned,
                };
                let (#attempt, #result) = #run;
                #bind_classifier
                match #after {
                    ::core::ops::ControlFlow::Break(#returned) => return #returned,
                    ::core::ops::ControlFlow::Continue(()) => {}
                }
            }
        }
    }
}

/// `Config::new(name).max_attempts(3)...`: the given arguments, as constants.
///
/// Arguments written as constant expressions are bound first, each with its type, and
/// checked as the macro checks literals; the `static` they feed is evaluated by the
/// compiler, so a constant out of range is a compile error pointing at it:
///
/// ```text
/// Site::new({
///     let max_attempts: u32 = MAX_ATTEMPTS;
///     if max_attempts < 1 { panic!("`max_attempts` must be at least 1, found `MAX_ATTEMPTS` = 0") }
///     Config::new("app::fetch").max_attempts(max_attempts)
/// })
/// ```
fn config(args: &Args, ident: &syn::Ident) -> TokenStream {
    let name = match &args.name {
        Some(name) => name.to_token_stream(),
        None => {
            let ident = ident.to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #ident))
        }
    };
    let mut checks = TokenStream::new();
    let mut config = quote!(::staunch::__private::Config::new(#name));
    let mut set = |method: &str, value: TokenStream| {
        let method = format_ident!("{method}");
        config.extend(quote!(.#method(#value)));
    };
    let (min_name, max_name) = args.kind.wait_names();
    let u32_type = quote!(u32);
    if let Some(n) = &args.max_attempts {
        let value = constant(&mut checks, "max_attempts", n, &u32_type, |n| quote!(#n));
        set("max_attempts", value);
    }
    let duration_type = quote!(::core::time::Duration);
    if let Some(d) = &args.wait_min {
        set(
            "wait_min",
            constant(&mut checks, min_name, d, &duration_type, duration),
        );
    }
    if let Some(d) = &args.wait_max {
        set(
            "wait_max",
            constant(&mut checks, max_name, d, &duration_type, duration),
        );
    }
    if let (Some(min), Some(max)) = (&args.wait_min, &args.wait_max) {
        checks.extend(ordered(min_name, min, max_name, max));
    }
    if let Some(jitter) = &args.jitter {
        let jitter_type = quote!(::staunch::__private::Jitter);
        set(
            "jitter",
            constant(&mut checks, "jitter", jitter, &jitter_type, |jitter| {
                let mode = format_ident!("{}", format!("{jitter:?}"));
                quote!(::staunch::__private::Jitter::#mode)
            }),
        );
    }
    if let Some(seed) = &args.seed {
        set(
            "seed",
            constant(&mut checks, "seed", seed, &quote!(u64), |n| quote!(#n)),
        );
    }
    if let Some(n) = &args.failure_threshold {
        let value = constant(
            &mut checks,
            "failure_threshold",
            n,
            &u32_type,
            |n| quote!(#n),
        );
        set("failure_threshold", value);
    }
    if let Some(d) = &args.recovery_timeout {
        let value = constant(&mut checks, "recovery_timeout", d, &duration_type, duration);
        set("recovery_timeout", value);
    }
    if args.kind == Kind::RetryWithJitter && args.jitter.is_none() {
        // The seed's `retry_with_jitter` jitters unless told otherwise.
        set("jitter", quote!(::staunch::__private::Jitter::Full));
    }
    if checks.is_empty() {
        config
    } else {
        quote!({ #checks #config })
    }
}

/// The hygienic local a constant argument is bound to.
fn local(field: &str) -> syn::Ident {
    format_ident!("__staunch_{}", field, span = Span::mixed_site())
}

/// A literal's tokens, or, for a constant expression, its local (bound and checked in
/// `checks`).
fn constant<T: Copy>(
    checks: &mut TokenStream,
    field: &str,
    arg: &Arg<T>,
    ty: &TokenStream,
    literal: impl FnOnce(T) -> TokenStream,
) -> TokenStream {
    let expr = match arg {
        Arg::Literal(value) => return literal(*value),
        Arg::Constant(expr) => expr,
    };
    let span = syn::spanned::Spanned::span(expr);
    let local = local(field);
    checks.extend(quote_spanned!(span=> let #local: #ty = #expr;));
    let found = written(expr);
    let check = match field {
        "max_attempts" | "failure_threshold" => {
            let message = format!("`{field}` must be at least 1, found `{found}` = 0");
            Some(quote_spanned!(span=> if #local < 1 { ::core::panic!("{}", #message) }))
        }
        "recovery_timeout" => {
            let message = format!("`{field}` must be greater than zero, found `{found}` = 0s");
            Some(quote_spanned!(span=> if #local.is_zero() { ::core::panic!("{}", #message) }))
        }
        _ => None,
    };
    checks.extend(check);
    local.into_token_stream()
}

/// `wait_min <= wait_max` when either is a constant expression (two literals are
/// compared by the macro itself).
fn ordered(
    min_name: &str,
    min: &Arg<std::time::Duration>,
    max_name: &str,
    max: &Arg<std::time::Duration>,
) -> Option<TokenStream> {
    let shown = |arg: &Arg<std::time::Duration>| match arg {
        Arg::Literal(d) => humantime::format_duration(*d).to_string(),
        Arg::Constant(expr) => format!("`{}`", written(expr)),
    };
    let span = match (min, max) {
        (Arg::Literal(_), Arg::Literal(_)) => return None,
        (Arg::Constant(expr), _) | (_, Arg::Constant(expr)) => syn::spanned::Spanned::span(expr),
    };
    let value = |name: &str, arg: &Arg<std::time::Duration>| match arg {
        Arg::Literal(d) => duration(*d),
        Arg::Constant(_) => local(name).into_token_stream(),
    };
    let (lo, hi) = (value(min_name, min), value(max_name, max));
    let message = format!(
        "`{min_name}` ({}) must not exceed `{max_name}` ({})",
        shown(min),
        shown(max)
    );
    Some(quote_spanned!(span=>
        if #lo.as_nanos() > #hi.as_nanos() { ::core::panic!("{}", #message) }
    ))
}

/// An expression as the user wrote it, near enough: `Duration::from_secs(30)`.
fn written(expr: &Expr) -> String {
    let text = expr.to_token_stream().to_string();
    [
        (" :: ", "::"),
        (":: ", "::"),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (" .", "."),
        (" ,", ","),
    ]
    .iter()
    .fold(text, |text, (from, to)| text.replace(from, to))
}

/// The call's constructor for this attribute.
fn start(args: &Args, site: &syn::Ident) -> TokenStream {
    let clock = match &args.clock {
        Some(clock) => {
            let span = syn::spanned::Spanned::span(clock);
            quote_spanned!(span=> ::core::option::Option::Some(::staunch::__private::clock(#clock)))
        }
        None => quote!(::core::option::Option::None),
    };
    let breaker = args.breaker.as_ref().map(given_breaker);
    match (args.kind, breaker) {
        (Kind::RetryOnException | Kind::RetryWithJitter, _) => quote!(#site.retry(#clock)),
        (Kind::CircuitBreaker, None) => quote!(#site.breaker(#clock)),
        (Kind::CircuitBreaker, Some(breaker)) => quote!(#site.guard(#breaker)),
        (Kind::Resilient, None) => quote!(#site.resilient(#clock)),
        (Kind::Resilient, Some(breaker)) => quote!(#site.resilient_with(#breaker, #clock)),
    }
}

/// `&expr` coerced to `&CircuitBreaker`: a `static LazyLock<CircuitBreaker>`, an
/// `Arc<CircuitBreaker>` or a `CircuitBreaker` all deref to it.
fn given_breaker(breaker: &Expr) -> TokenStream {
    let span = syn::spanned::Spanned::span(breaker);
    quote_spanned!(span=> {
        let __staunch_breaker: &::staunch::CircuitBreaker = &#breaker;
        __staunch_breaker
    })
}

/// The classifier for one attempt's result.
fn sorter(args: &Args, result: &syn::Ident, ret_span: Span) -> TokenStream {
    match &args.classifier {
        Some(Classifier::When(predicate)) => {
            let span = syn::spanned::Spanned::span(predicate);
            quote_spanned!(span=> ::staunch::__private::when(&#result, #predicate))
        }
        Some(Classifier::Classify(classify)) => {
            let span = syn::spanned::Spanned::span(classify);
            quote_spanned!(span=> ::staunch::__private::classify(&#result, #classify))
        }
        None => quote_spanned!(ret_span=> ::staunch::__private::all_transient(&#result)),
    }
}

fn duration(d: std::time::Duration) -> TokenStream {
    let (secs, nanos) = (d.as_secs(), d.subsec_nanos());
    quote!(::core::time::Duration::new(#secs, #nanos))
}

/// The body with its return type fixed before anything in it is checked, so `Ok(&string)`
/// still coerces to `Result<&str, E>` and `?` knows its target, as in the original function.
fn typed_body(output: &Type, block: &syn::Block) -> TokenStream {
    if !nameable(output) {
        return block.to_token_stream();
    }
    let fake = format_ident!("__staunch_fake", span = Span::mixed_site());
    // The body's statements, not its block: `{ { Ok(1) } }` would warn `unused_braces`
    // on every one-line body.
    let block = &block.stmts;
    quote! {{
        #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::empty_loop, clippy::needless_return)]
        if false {
            let #fake: #output = loop {};
            return #fake;
        }
        #(#block)*
    }}
}

/// Where the error type is written: `E` in `Result<T, E>`, else the alias (`io::Result`).
fn error_span(output: &Type) -> Span {
    let Type::Path(path) = output else {
        return syn::spanned::Spanned::span(output);
    };
    let Some(last) = path.path.segments.last() else {
        return syn::spanned::Spanned::span(output);
    };
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() >= 2 => {
            syn::spanned::Spanned::span(&args.args[1])
        }
        _ => last.ident.span(),
    }
}

/// Whether the return type can be written in a `let` (it can't hold `impl Trait`).
fn nameable(ty: &Type) -> bool {
    fn walk(tokens: TokenStream) -> bool {
        tokens.into_iter().all(|tree| match tree {
            TokenTree::Ident(ident) => ident != "impl",
            TokenTree::Group(group) => walk(group.stream()),
            _ => true,
        })
    }
    walk(ty.to_token_stream())
}
