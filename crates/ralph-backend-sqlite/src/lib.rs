//! The `sqlite` store of ralph: xAPI statements in an embedded SQLite database, the default
//! store of `ralph runserver`.
//!
//! The database is one file (default `lrs.sqlite3` in the app directory) in WAL mode: one
//! connection writes, a few others read at the same time, and every call runs on tokio's
//! blocking pool so the server's threads never wait on disk. Each insert is one transaction, so
//! a batch of statements is stored whole or not at all. Agents, verbs, activities,
//! registrations, authorities and the stored order are indexed, so every filter of
//! `GET /xAPI/statements` is an index lookup.
//!
//! ```
//! use ralph_backend_sqlite::SqliteStore;
//! use ralph_core::lrs::{LrsStore, StatementQuery};
//! use serde_json::json;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = SqliteStore::in_memory()?;
//! let statement = json!({
//!     "id": "3f1b2a9e-6c1d-4c57-9d1e-2f0a7f0b6a11",
//!     "actor": {"mbox": "mailto:learner@example.org"},
//!     "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
//!     "object": {"id": "http://example.org/course"},
//!     "stored": "2024-01-15T10:00:00+00:00",
//! });
//! let ids = store.insert(None, vec![statement]).await?;
//! assert_eq!(ids.len(), 1);
//! let page = store.query(None, &StatementQuery { limit: 10, ..Default::default() }).await?;
//! assert_eq!(page.statements.len(), 1);
//! # Ok::<(), ralph_core::Error>(())
//! # }).unwrap();
//! ```

mod backend;
mod checkpoint;
mod documents;
mod keys;
mod privacy;
mod settings;
mod store;

pub use backend::{DEFAULT_TARGET, SqliteBackend, SqliteFactory};
pub use settings::{DEFAULT_FILE_NAME, SqliteLrsSettings, SqliteSettings};
pub use store::{MEMORY, SqliteStore};

use async_trait::async_trait;
use ralph_core::Result;
use ralph_core::lrs::{LrsStore, LrsStoreFactory};
use ralph_core::registry::BackendContext;

/// Registers the `sqlite` LRS store (`ralph runserver -b sqlite`).
pub struct SqliteLrsFactory;

#[async_trait]
impl LrsStoreFactory for SqliteLrsFactory {
    type Settings = SqliteLrsSettings;
    const NAME: &'static str = "sqlite";
    const ABOUT: &'static str = "statements in an embedded SQLite database file (the default)";

    async fn open(
        settings: SqliteLrsSettings,
        context: &BackendContext,
    ) -> Result<Box<dyn LrsStore>> {
        let path = settings.resolved_path(&context.global.app_dir);
        let store = tokio::task::spawn_blocking(move || {
            SqliteStore::open(path, settings.read_connections, settings.busy_timeout_ms)
        })
        .await
        .map_err(|e| ralph_core::Error::backend(format!("sqlite task failed: {e}")))??;
        Ok(Box::new(store))
    }
}
