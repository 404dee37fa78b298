//! Settings of the `fs` backend (`backends.data.fs`).

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Settings of the `fs` backend, as in Ralph 5.1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FsSettings {
    /// Directory holding the files; relative targets are resolved under it, and it is created
    /// when missing.
    #[schemars(extend("format" = "path"))]
    pub default_directory_path: PathBuf,
    /// Glob pattern selecting the files to read when no query is given.
    pub default_query_string: String,
    /// Text encoding of the files (only `utf8` is supported).
    pub locale_encoding: String,
    /// Bytes per chunk when reading raw files.
    pub read_chunk_size: usize,
    /// Bytes buffered before each write to disk.
    pub write_chunk_size: usize,
}

impl Default for FsSettings {
    fn default() -> Self {
        Self {
            default_directory_path: PathBuf::from("."),
            default_query_string: "*".to_owned(),
            locale_encoding: "utf8".to_owned(),
            read_chunk_size: 4096,
            write_chunk_size: 4096,
        }
    }
}
