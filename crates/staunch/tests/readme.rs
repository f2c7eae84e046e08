//! The README's blocks that are not Rust: the install lines resolve today and carry every
//! dependency the quick start uses. (The Rust blocks run as doc tests, see `lib.rs`.)

use std::path::Path;

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    std::fs::read_to_string(path).unwrap()
}

/// The body of every fenced block of `lang`, in order.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let open = format!("```{lang}\n");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let body = &rest[start + open.len()..];
        let end = body.find("```\n").expect("unclosed block");
        found.push(body[..end].to_owned());
        rest = &body[end..];
    }
    found
}

#[test]
fn the_install_lines_resolve_today_and_cover_the_quick_start() {
    let text = readme();
    let install = blocks(&text, "toml");
    assert_eq!(install.len(), 1, "one install block");
    let manifest: toml::Table = install[0].parse().unwrap();
    let deps = manifest["dependencies"].as_table().unwrap();

    // staunch is not on crates.io yet: a git dependency on this repository.
    let staunch = deps["staunch"].as_table().expect("staunch = { git = ... }");
    assert_eq!(staunch["git"].as_str(), Some(env!("CARGO_PKG_REPOSITORY")));

    // The quick start's `#[tokio::main]` needs these.
    let tokio = deps["tokio"].as_table().unwrap();
    let features: Vec<&str> = tokio["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    for needed in ["macros", "rt-multi-thread"] {
        assert!(features.contains(&needed), "tokio lacks {needed}");
    }

    // Every crate a Rust block uses is in the install block (std and staunch aside).
    for block in blocks(&text, "rust") {
        for line in block.lines() {
            let used = line.trim_start().strip_prefix("use ").or_else(|| {
                line.trim_start()
                    .strip_prefix("#[")
                    .filter(|rest| rest.contains("::main"))
            });
            let Some(path) = used else { continue };
            let krate = path.split("::").next().unwrap().trim_matches(['{', ' ']);
            if !["std", "core", "staunch", "crate", "self", "super"].contains(&krate) {
                assert!(
                    deps.contains_key(krate),
                    "README uses {krate} without installing it"
                );
            }
        }
    }
}
