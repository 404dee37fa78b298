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

/// The statements file of the `fs` LRS store in each target directory, as in Ralph 5.1.
pub const DEFAULT_LRS_FILE: &str = "fs_lrs.jsonl";

/// Settings of the `fs` LRS store (`RALPH_BACKENDS__LRS__FS__…`), as in Ralph 5.1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FsLrsSettings {
    /// Directory holding the statements file; a user's `target` is a sub-directory of it. It is
    /// created when missing.
    #[schemars(extend("format" = "path"))]
    pub default_directory_path: PathBuf,
    /// Name of the statements file (JSON lines, one statement a line) in the directory of
    /// each target.
    pub default_lrs_file: String,
    /// Glob pattern of Ralph's fs backend; kept for compatibility, unused by the store.
    pub default_query_string: String,
    /// Text encoding of the statements file (only `utf8` is supported).
    pub locale_encoding: String,
    /// Bytes read from the statements file per system call when scanning it.
    pub read_chunk_size: usize,
    /// Bytes buffered before each write to the statements file.
    pub write_chunk_size: usize,
}

impl Default for FsLrsSettings {
    fn default() -> Self {
        Self {
            default_directory_path: PathBuf::from("."),
            default_lrs_file: DEFAULT_LRS_FILE.to_owned(),
            default_query_string: "*".to_owned(),
            locale_encoding: "utf8".to_owned(),
            read_chunk_size: 500,
            write_chunk_size: 500,
        }
    }
}
