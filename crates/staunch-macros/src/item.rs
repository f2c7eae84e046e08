//! The attributed item: a function with a body that returns a `Result`.

use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::{Error, Item, ItemFn, Result, ReturnType, Type};

use crate::attr::Kind;

/// Parses `item` as a function this attribute can wrap, or says why it can't.
pub(crate) fn function(kind: Kind, item: TokenStream) -> Result<ItemFn> {
    let attribute = kind.attribute();
    let item: Item = syn::parse2(item).map_err(|error| {
        Error::new(
            error.span(),
            format!("`#[{attribute}]` applies to functions with a body: {error}"),
        )
    })?;
    let func = match item {
        Item::Fn(func) => func,
        Item::Verbatim(tokens) => {
            return Err(Error::new_spanned(
                tokens,
                format!("`#[{attribute}]` applies to functions with a body"),
            ))
        }
        other => {
            return Err(Error::new(
                keyword_span(&other),
                format!(
                    "`#[{attribute}]` applies to functions, not to {}",
                    describe(&other)
                ),
            ))
        }
    };
    if let Some(constness) = &func.sig.constness {
        return Err(Error::new(
            constness.span(),
            format!(
                "`#[{attribute}]` can't wrap a `const fn`: retrying and breakers run at run time"
            ),
        ));
    }
    check_output(attribute, &func)?;
    Ok(func)
}

/// Accepts `Result<T, E>` and aliases named `...Result` (`io::Result<T>`, `anyhow::Result<T>`);
/// what such an alias stands for is checked by the compiler, through a bound with its own
/// message.
fn check_output(attribute: &str, func: &ItemFn) -> Result<()> {
    let expected = format!("`#[{attribute}]` needs a function returning `Result<T, E>`");
    let ty = match &func.sig.output {
        ReturnType::Default => {
            let at = func.sig.paren_token.span.close();
            return Err(Error::new(at, format!("{expected}; this one returns `()`")));
        }
        ReturnType::Type(_, ty) => ty,
    };
    match peel(ty) {
        Type::Path(path) => {
            let last = path.path.segments.last().map(|s| s.ident.to_string());
            if last.is_some_and(|last| last.ends_with("Result")) {
                return Ok(());
            }
            Err(Error::new_spanned(
                ty,
                format!(
                    "{expected}, found `{}` (write `Result<T, E>`, or an alias whose name ends in `Result`)",
                    pretty(ty)
                ),
            ))
        }
        Type::Macro(_) => Ok(()),
        other => Err(Error::new_spanned(
            other,
            format!("{expected}, found `{}`", pretty(other)),
        )),
    }
}

/// A type as written, without the token stream's spaces (`Option<u32>`, not `Option < u32 >`).
fn pretty(ty: &Type) -> String {
    let text = quote::quote!(#ty).to_string();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let glued_to_next = matches!(chars.peek(), Some('<' | '>' | ',' | ':' | ')' | ']'));
        if c == ' ' && (glued_to_next || out.ends_with(['<', '&', ':', '(', '['])) {
            continue;
        }
        out.push(c);
    }
    out
}

fn peel(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => peel(&group.elem),
        Type::Paren(paren) => peel(&paren.elem),
        other => other,
    }
}

fn keyword_span(item: &Item) -> proc_macro2::Span {
    match item {
        Item::Struct(s) => s.struct_token.span,
        Item::Enum(e) => e.enum_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Trait(t) => t.trait_token.span,
        Item::Mod(m) => m.mod_token.span,
        Item::Static(s) => s.static_token.span,
        Item::Const(c) => c.const_token.span,
        Item::Type(t) => t.type_token.span,
        Item::Use(u) => u.use_token.span,
        other => other.span(),
    }
}

fn describe(item: &Item) -> &'static str {
    match item {
        Item::Struct(_) => "a struct",
        Item::Enum(_) => "an enum",
        Item::Union(_) => "a union",
        Item::Impl(_) => "an impl block (put it on the methods inside)",
        Item::Trait(_) => "a trait",
        Item::Mod(_) => "a module",
        Item::Static(_) => "a static",
        Item::Const(_) => "a constant",
        Item::Type(_) => "a type alias",
        Item::Use(_) => "a `use` declaration",
        _ => "this item",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn types_read_as_written() {
        let ty = |text| super::pretty(&syn::parse_str(text).unwrap());
        assert_eq!(ty("Option<u32>"), "Option<u32>");
        assert_eq!(ty("(u32, std::io::Error)"), "(u32, std::io::Error)");
        assert_eq!(ty("&'a [u8]"), "&'a [u8]");
    }
}
