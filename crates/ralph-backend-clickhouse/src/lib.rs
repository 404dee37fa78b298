//! The `clickhouse` backend of ralph: xAPI statements (or any JSON events) in ClickHouse
//! tables of Ralph's layout, over the HTTP interface with LZ4-compressed blocks; and the
//! `clickhouse` LRS store of `ralph runserver` ([`ClickHouseStore`]).
//!
//! ## Data backend
//!
//! A table holds `event_id UUID, emission_time DateTime64(6), event String` in a MergeTree
//! ordered by `(emission_time, event_id)` ([`ralph_table_sql`] gives the DDL; the table is created
//! on first write when missing). Writes insert in chunks: the id comes from `id` (a new UUID
//! when absent), the emission time from `timestamp` (or an edX event's `time`), the event is the
//! JSON text; an id already stored or repeated in a chunk is refused per record (skipped and
//! counted with `-I`). Reads take Ralph's query (see [`ClickHouseQuery`]): the values of its
//! `{name:Type}` placeholders are sent as server-side parameters, never spliced into the SQL.
//!
//! ```no_run
//! use futures::StreamExt;
//! use ralph_backend_clickhouse::{ClickHouseBackend, ClickHouseSettings};
//! use ralph_core::{Readable, ReadRequest};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let backend = ClickHouseBackend::new(ClickHouseSettings::default())?;
//! let request = ReadRequest {
//!     query: Some(r#"{"where": "JSONExtractString(event, 'verb', 'id') = {verb:String}",
//!                     "parameters": {"verb": "http://adlnet.gov/expapi/verbs/completed"}}"#.into()),
//!     ..Default::default()
//! };
//! let mut records = backend.read(request).await?;
//! while let Some(record) = records.next().await {
//!     println!("{:?}", record?);
//! }
//! # Ok(()) }
//! ```
//!
//! ## LRS store
//!
//! [`ClickHouseStore`] keeps xAPI statements in tables of the same layout (the default table
//! `event_table_name`, and one table per target for multitenancy) plus filter columns (`verb`,
//! `activity`, `registration`, `authority`, `voids`, `ref`, `agents`, `related_agents`,
//! `related_activities`, see [`lrs_table_sql`]) with skipping indexes. The store fills them on
//! insert, and so does the data backend when it writes to such a table; a table of Ralph's
//! layout gains them when the store opens it, computed from `event` for the rows already there
//! ([`lrs_backfill_sql`]). `emission_time` is the `stored` time; pages are read in
//! `(emission_time, event_id)` order, the `more` cursor being the last pair returned.
//!
//! ```no_run
//! use ralph_backend_clickhouse::{ClickHouseLrsSettings, ClickHouseStore};
//! use ralph_core::lrs::{LrsStore, StatementQuery};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let store = ClickHouseStore::open(ClickHouseLrsSettings::default()).await?;
//! let page = store.query(None, &StatementQuery { limit: 10, ..Default::default() }).await?;
//! println!("{} statements", page.statements.len());
//! # Ok(()) }
//! ```

mod backend;
mod client;
mod columns;
mod documents;
mod query;
mod settings;
mod store;

pub use backend::{ClickHouseBackend, emission_time};
pub use client::{lrs_backfill_sql, lrs_table_sql, quote_table, ralph_table_sql};
pub use documents::{attachments_table_sql, documents_table_sql};
pub use query::{ClickHouseQuery, OneOrMany};
pub use settings::{ClickHouseLrsSettings, ClickHouseSettings};
pub use store::ClickHouseStore;

use async_trait::async_trait;
use ralph_core::lrs::{LrsStore, LrsStoreFactory};
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `clickhouse` LRS store (`ralph runserver -b clickhouse`).
pub struct ClickHouseLrsFactory;

#[async_trait]
impl LrsStoreFactory for ClickHouseLrsFactory {
    type Settings = ClickHouseLrsSettings;
    const NAME: &'static str = "clickhouse";
    const ABOUT: &'static str =
        "statements in ClickHouse tables (Ralph's layout plus computed filter columns)";

    async fn open(
        settings: ClickHouseLrsSettings,
        _: &BackendContext,
    ) -> Result<Box<dyn LrsStore>> {
        Ok(Box::new(ClickHouseStore::open(settings).await?))
    }
}

/// Registers the `clickhouse` backend.
pub struct ClickHouseFactory;

#[async_trait]
impl BackendFactory for ClickHouseFactory {
    type Settings = ClickHouseSettings;
    const NAME: &'static str = "clickhouse";
    const ABOUT: &'static str =
        "ClickHouse: events in MergeTree tables (Ralph's layout), over the HTTP interface";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: true,
        list: true,
    };

    async fn open(
        settings: ClickHouseSettings,
        _: &BackendContext,
    ) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(ClickHouseBackend::new(settings)?))
    }
}
