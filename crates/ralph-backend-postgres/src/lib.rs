//! The `postgres` backend of ralph: JSON records in PostgreSQL tables, and the `postgres` LRS
//! store of `ralph runserver` ([`PostgresStore`]).
//!
//! ## Data backend
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
//!
//! ## TLS
//!
//! With the cargo feature `tls`, connections speak TLS over rustls (aws-lc-rs), with libpq's
//! `sslmode` (`disable`, `prefer` the default, `require`, `verify-ca`, `verify-full`) and
//! `sslrootcert` (a PEM file of the CAs to trust, or `system`) in the connection string:
//! `postgres://ralph@db/lrs?sslmode=verify-full&sslrootcert=/etc/ssl/pg-ca.pem`. Without it, a
//! connection string asking for TLS is refused rather than connected in plain text.
//!
//! ## LRS store
//!
//! [`PostgresStore`] keeps xAPI statements in three tables sharing a prefix (`xapi_` by
//! default): `<prefix>statements` (one row per statement: a `bigserial` `seq` giving the stored
//! order, the target, the id, the `stored` time, the indexed verb, registration, authority and
//! voided id, the `voided` flag and the jsonb body) and `<prefix>statement_agents` /
//! `<prefix>statement_activities` (one row per agent IFI or activity IRI of a statement, with a
//! `direct` flag), so every filter of `GET /xAPI/statements` is an index lookup. Each insert
//! batch is one transaction, stored whole or not at all; concurrent writers of the same ids wait
//! for each other on advisory locks, so an id is never stored twice.
//!
//! ```no_run
//! use ralph_backend_postgres::{PostgresLrsSettings, PostgresStore};
//! use ralph_core::lrs::{LrsStore, StatementQuery};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let store = PostgresStore::open(PostgresLrsSettings::default()).await?;
//! let page = store.query(None, &StatementQuery { limit: 10, ..Default::default() }).await?;
//! println!("{} statements", page.statements.len());
//! # Ok(()) }
//! ```

mod backend;
mod documents;
mod privacy;
mod query;
mod settings;
mod store;
mod tls;

pub use backend::PostgresBackend;
pub use query::{PostgresQuery, Sql, quote_table};
pub use settings::{PostgresLrsSettings, PostgresSettings};
pub use store::{MAX_TABLE_PREFIX, PostgresStore};

use async_trait::async_trait;
use ralph_core::lrs::{LrsStore, LrsStoreFactory};
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `postgres` LRS store (`ralph runserver -b postgres`).
pub struct PostgresLrsFactory;

#[async_trait]
impl LrsStoreFactory for PostgresLrsFactory {
    type Settings = PostgresLrsSettings;
    const NAME: &'static str = "postgres";
    const ABOUT: &'static str = "statements in PostgreSQL tables (jsonb bodies, indexed filters)";

    async fn open(settings: PostgresLrsSettings, _: &BackendContext) -> Result<Box<dyn LrsStore>> {
        Ok(Box::new(PostgresStore::open(settings).await?))
    }
}

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
