//! Compile-time behaviour of the attributes: what builds, and the errors for what doesn't.
//!
//! Regenerate the expected messages with `TRYBUILD=overwrite cargo test -p staunch
//! --features macros --test macros_ui`, then review the diff.

#[test]
fn attributes_compile() {
    trybuild::TestCases::new().pass("tests/ui/pass/*.rs");
}

#[test]
fn mistakes_are_reported_at_the_token() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
