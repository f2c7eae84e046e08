//! `.env` files read into a map, never into the process environment (feature `dotenv`).
//!
//! A line that does not parse is reported by its number, never by its text: a `.env` file
//! holds secrets, and error messages end up in logs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::ConfigError;

/// Which `.env` file a loader reads.
#[derive(Clone, Debug)]
pub(crate) enum EnvFileSource {
    /// This file, which must exist.
    Path(PathBuf),
    /// `.env` in the current directory or a parent, up to the project root, if any.
    Search,
}

/// The variables of one `.env` file; the first definition of a name wins, as in dotenvy.
#[derive(Debug, Default)]
pub(crate) struct EnvFile {
    vars: HashMap<String, String>,
}

impl EnvFile {
    /// Reads the file `source` names (nothing for `None`, or when a search finds none).
    pub(crate) fn read(source: Option<&EnvFileSource>) -> Result<Self, ConfigError> {
        match source {
            None => Ok(Self::default()),
            Some(EnvFileSource::Path(path)) => Self::read_path(path),
            Some(EnvFileSource::Search) => {
                match std::env::current_dir().ok().and_then(|cwd| search(&cwd)) {
                    Some(path) => Self::read_path(&path),
                    None => Ok(Self::default()),
                }
            }
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn read_path(path: &Path) -> Result<Self, ConfigError> {
        let error = |reason: String| ConfigError::new("env file", path.display(), reason);
        let text = std::fs::read_to_string(path)
            .map_err(|err| error(format!("cannot read the file: {err}")))?;
        let mut vars = HashMap::new();
        for item in dotenvy::from_read_iter(text.as_bytes()) {
            let (key, value) = item.map_err(|err| error(describe(&err, &text)))?;
            // dotenvy strips a byte-order mark only when it loads into the environment.
            let key = key.trim_start_matches('\u{feff}').to_owned();
            vars.entry(key).or_insert(value);
        }
        Ok(Self { vars })
    }
}

/// The `.env` file the search finds from `start`: in `start` or its nearest ancestor that
/// has one, looking no higher than the project root, the nearest ancestor (or `start`
/// itself) that holds `Cargo.toml` or `.git`. Without a project root, only `start`.
pub(crate) fn search(start: &Path) -> Option<PathBuf> {
    if !has_project_root(start) {
        let candidate = start.join(".env");
        return candidate.is_file().then_some(candidate);
    }
    for dir in start.ancestors() {
        let candidate = dir.join(".env");
        if candidate.is_file() {
            return Some(candidate);
        }
        if is_project_root(dir) {
            return None;
        }
    }
    None
}

/// Whether `start` or one of its ancestors is a project root; without one, the search
/// looks in `start` alone.
fn has_project_root(start: &Path) -> bool {
    start.ancestors().any(is_project_root)
}

fn is_project_root(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file() || dir.join(".git").exists()
}

/// The reason for an error, naming the line by its number (never quoting it).
fn describe(err: &dotenvy::Error, text: &str) -> String {
    match err {
        dotenvy::Error::LineParse(line, _) => match line_number(text, line) {
            Some(number) => format!("cannot parse line {number}"),
            None => "cannot parse a line".to_owned(),
        },
        dotenvy::Error::Io(io) => format!("cannot read the file: {io}"),
        other => format!("cannot read the file: {other}"),
    }
}

/// The 1-based number of the line on which the logical line `line` (as dotenvy reports it,
/// possibly spanning several physical lines) starts in `text`.
fn line_number(text: &str, line: &str) -> Option<usize> {
    let needle = line.trim_end_matches(['\r', '\n']);
    let start = text.find(needle)?;
    Some(text[..start].matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_from_one_where_they_start() {
        let text = "# comment\nA=1\n\nB=\"two\nlines\nC nope\n";
        assert_eq!(line_number(text, "A=1\n"), Some(2));
        assert_eq!(line_number(text, "B=\"two\nlines\n"), Some(4));
        assert_eq!(line_number(text, "C nope"), Some(6));
        assert_eq!(line_number(text, "missing"), None);
    }

    #[test]
    fn a_parse_error_keeps_the_text_out_of_the_message() {
        let err = dotenvy::Error::LineParse("TOKEN secret".to_owned(), 6);
        let reason = describe(&err, "A=1\nTOKEN secret\n");
        assert_eq!(reason, "cannot parse line 2");
    }
}
