//! The `postgres` backend of ralph: JSON records in PostgreSQL tables.
//!
//! Each target is a table `(id uuid primary key, doc jsonb not null, stored timestamptz)`,
//! created on first write. Writes load each chunk with binary `COPY` into a staging table and
//! move it in one transaction: `create`/`index` insert (a duplicate id is refused per record),
//! `update` upserts, `delete` deletes by id. Reads stream through a server-side cursor, so memory
//! stays flat whatever the table size; the query is JSON (see [`PostgresQuery`]) and every value
//! in it is bound as a parameter, never spliced into SQL.
//!
//! ```no_run
//! use futures::StreamExt;
//! use ralph_backend_postgres::{PostgresBackend, PostgresSettings};
//! use ralph_core::{Readable, ReadRequest};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let backend = PostgresBackend::connect(PostgresSettings::default()).await?;
//! let request = ReadRequest {
//!     query: Some(r#"{"filter": {"verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}}}"#.into()),
//!     ..Default::default()
//! };
//! let mut records = backend.read(request).await?;
//! while let Some(record) = records.next().await {
//!     println!("{:?}", record?);
//! }
//! # Ok(()) }
//! ```

mod backend;
mod query;
mod settings;

pub use backend::PostgresBackend;
pub use query::{PostgresQuery, Sql, quote_table};
pub use settings::PostgresSettings;

use async_trait::async_trait;
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `postgres` backend.
pub struct PostgresFactory;

#[async_trait]
impl BackendFactory for PostgresFactory {
    type Settings = PostgresSettings;
    const NAME: &'static str = "postgres";
    const ABOUT: &'static str =
        "PostgreSQL: JSON records in jsonb tables, bulk loaded with binary COPY";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: true,
        list: true,
    };

    async fn open(settings: PostgresSettings, _: &BackendContext) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(PostgresBackend::connect(settings).await?))
    }
}
