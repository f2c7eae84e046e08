//! `.env` files read into a map, never into the process environment (feature `dotenv`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::ConfigError;

/// Which `.env` file a loader reads.
#[derive(Clone, Debug)]
pub(crate) enum EnvFileSource {
    /// This file, which must exist.
    Path(PathBuf),
    /// `.env` in the current directory or the nearest parent that has one, if any.
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
            Some(EnvFileSource::Search) => match search() {
                Some(path) => Self::read_path(&path),
                None => Ok(Self::default()),
            },
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn read_path(path: &Path) -> Result<Self, ConfigError> {
        let error =
            |err: dotenvy::Error| ConfigError::new("env file", path.display(), describe(&err));
        let mut vars = HashMap::new();
        for item in dotenvy::from_path_iter(path).map_err(error)? {
            let (key, value) = item.map_err(error)?;
            // dotenvy strips a byte-order mark only when it loads into the environment.
            let key = key.trim_start_matches('\u{feff}').to_owned();
            vars.entry(key).or_insert(value);
        }
        Ok(Self { vars })
    }
}

/// `.env` in the current directory or its nearest ancestor that has one.
fn search() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .map(|dir| dir.join(".env"))
        .find(|candidate| candidate.is_file())
}

fn describe(err: &dotenvy::Error) -> String {
    match err {
        dotenvy::Error::LineParse(line, index) => {
            format!("cannot parse line `{}` at offset {index}", line.trim_end())
        }
        dotenvy::Error::Io(io) => format!("cannot read the file: {io}"),
        other => format!("cannot read the file: {other}"),
    }
}
