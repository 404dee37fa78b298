//! The `es` backend of ralph: records in Elasticsearch indices, and the `es` LRS store of
//! `ralph runserver` ([`EsStore`]), on the official `elasticsearch` client (rustls).
//!
//! ## Data backend
//!
//! A target is an index; each record is a document whose `_id` is the record's `id`. Writes go
//! through `_bulk` in chunks (`index`, the default, overwrites; `create` refuses ids that exist;
//! `update` replaces documents that exist; `delete` deletes by id), and each refused record is
//! reported with its line. Reads open a point in time and page through it with `search_after`,
//! one page ahead of the reader, so memory stays flat whatever the index size; they yield whole
//! hits as Ralph does (`ralph extract -p es` takes their `_source`), or sources alone with
//! `"source_only": true`. The query is Ralph's `ESQuery` (see [`EsQuery`]).
//!
//! ```no_run
//! use futures::StreamExt;
//! use ralph_backend_es::{EsBackend, EsSettings};
//! use ralph_core::{Readable, ReadRequest};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let backend = EsBackend::new(EsSettings::default())?;
//! let request = ReadRequest {
//!     query: Some(r#"{"query": {"term": {"verb.id.keyword": "http://adlnet.gov/expapi/verbs/completed"}}, "source_only": true}"#.into()),
//!     target: Some("statements".into()),
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
//! [`EsStore`] keeps each statement in a document of the target's index (`_id` = statement
//! id): the statement itself, kept whole but not indexed, beside typed fields for the filters
//! (`stored` in microseconds, verb, registration, authority, agents and activities, direct or
//! related, voiding). Pages are sorted by `stored` then id, and the `more` cursor is the last
//! statement's sort values, so it stays exact while statements arrive.
//!
//! ```no_run
//! use ralph_backend_es::{EsSettings, EsStore};
//! use ralph_core::lrs::{LrsStore, StatementQuery};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let store = EsStore::open(EsSettings::default()).await?;
//! let page = store.query(None, &StatementQuery { limit: 10, ..Default::default() }).await?;
//! println!("{} statements", page.statements.len());
//! # Ok(()) }
//! ```

mod backend;
mod client;
mod documents;
mod privacy;
mod query;
mod settings;
mod store;

pub use backend::EsBackend;
pub use query::{EsPit, EsQuery};
pub use settings::{EsClientOptions, EsSettings, Hosts, Refresh};
pub use store::EsStore;

use async_trait::async_trait;
use ralph_core::lrs::{LrsStore, LrsStoreFactory};
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `es` backend (alias `async_es`).
pub struct EsFactory;

#[async_trait]
impl BackendFactory for EsFactory {
    type Settings = EsSettings;
    const NAME: &'static str = "es";
    const ALIASES: &'static [&'static str] = &["async_es"];
    const ABOUT: &'static str =
        "Elasticsearch: records in indices, bulk writes, point-in-time reads";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: true,
        list: true,
    };

    async fn open(settings: EsSettings, _: &BackendContext) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(EsBackend::new(settings)?))
    }
}

/// Registers the `es` LRS store (`ralph runserver -b es`, settings `backends.lrs.es`).
pub struct EsLrsFactory;

#[async_trait]
impl LrsStoreFactory for EsLrsFactory {
    type Settings = EsSettings;
    const NAME: &'static str = "es";
    const ABOUT: &'static str = "statements in Elasticsearch indices, one index per target";
    const ALIASES: &'static [&'static str] = &["async_es"];

    async fn open(settings: EsSettings, _: &BackendContext) -> Result<Box<dyn LrsStore>> {
        Ok(Box::new(EsStore::open(settings).await?))
    }
}
