//! Settings of the `sqlite` store (`backends.lrs.sqlite`) and backend (`backends.data.sqlite`).

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The file name of the database in the app directory when no path is set.
pub const DEFAULT_FILE_NAME: &str = "lrs.sqlite3";

/// Settings of the `sqlite` LRS store (`RALPH_BACKENDS__LRS__SQLITE__…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SqliteLrsSettings {
    /// Database file; created with its parent directories when missing. Default:
    /// `lrs.sqlite3` in the app directory. `:memory:` keeps statements in the process only.
    #[schemars(extend("format" = "path"))]
    pub path: Option<PathBuf>,
    /// Connections serving reads beside the single writer (SQLite's WAL mode lets them run
    /// while a write is in progress).
    pub read_connections: usize,
    /// Milliseconds a connection waits for a lock held by another process before failing.
    pub busy_timeout_ms: u64,
}

impl Default for SqliteLrsSettings {
    fn default() -> Self {
        Self {
            path: None,
            read_connections: 2,
            busy_timeout_ms: 5000,
        }
    }
}

impl SqliteLrsSettings {
    /// The database path: the setting, else `lrs.sqlite3` in `app_dir`.
    pub fn resolved_path(&self, app_dir: &Path) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| app_dir.join(DEFAULT_FILE_NAME))
    }
}

/// Settings of the `sqlite` data backend (`RALPH_BACKENDS__DATA__SQLITE__…`): the statements of
/// an LRS database, read, written and listed by `ralph read/write/list -b sqlite`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SqliteSettings {
    /// Database file; created with its parent directories when missing. Default:
    /// `lrs.sqlite3` in the app directory, the database of `ralph runserver -b sqlite`.
    #[schemars(extend("format" = "path"))]
    pub path: Option<PathBuf>,
    /// Statements per query when reading.
    pub read_chunk_size: usize,
    /// Statements per transaction when writing.
    pub write_chunk_size: usize,
}

impl Default for SqliteSettings {
    fn default() -> Self {
        Self {
            path: None,
            read_chunk_size: 500,
            write_chunk_size: 500,
        }
    }
}
