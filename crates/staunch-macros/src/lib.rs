//! Attributes for staunch (re-exported by `staunch` under the feature `macros`).
