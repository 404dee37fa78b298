//! The `mongo` backend of ralph: statements in MongoDB collections, stored as Ralph 5.1 stores
//! them, and the `mongo` LRS store of `ralph runserver`.
//!
//! ## Data backend
//!
//! Each record is stored as `{"_id": ObjectId, "_source": record}`, the `_id` made of the
//! record's `timestamp` (4 bytes, Unix seconds) and the first 8 bytes of the SHA-256 of its `id`,
//! exactly as the Python ralph does, so that each reads what the other wrote. Writes send one
//! unordered `insert_many` per chunk; a duplicate is refused per record (and skipped with
//! `ignore_errors`). Reads stream a cursor in batches of `read_chunk_size`; the query is Ralph's
//! `{"filter", "projection", "sort", "limit"}` (see [`MongoQuery`]).
//!
//! ```no_run
//! use futures::StreamExt;
//! use ralph_backend_mongo::{MongoBackend, MongoSettings};
//! use ralph_core::{Readable, ReadRequest};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let backend = MongoBackend::connect(MongoSettings::default()).await?;
//! let request = ReadRequest {
//!     query: Some(r#"{"filter": {"_source.verb.id": "http://adlnet.gov/expapi/verbs/completed"}}"#.into()),
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
//! [`MongoStore`] keeps xAPI statements for `ralph runserver -b mongo`: one collection per target
//! (the authenticated user's `target`; `default_collection` without one), each statement stored
//! as Ralph stores it (`{"_id", "_source"}`) plus an `_ralph` sub-document of indexed fields
//! (insertion number, stored time, voided flag, voided id, registration, authority, agent IFIs,
//! activity IRIs). The indexes ([`INDEXES`]) are created when a collection is first used; a
//! unique index on `_source.id` keeps one statement per id whatever the number of writers.
//!
//! ```no_run
//! use ralph_backend_mongo::{MongoLrsSettings, MongoStore};
//! use ralph_core::lrs::{LrsStore, StatementQuery};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let store = MongoStore::open(MongoLrsSettings::default()).await?;
//! let page = store.query(None, &StatementQuery { limit: 10, ..Default::default() }).await?;
//! println!("{} statements", page.statements.len());
//! # Ok(()) }
//! ```

mod backend;
pub mod convert;
mod documents;
mod privacy;
mod query;
mod settings;
mod store;

pub use backend::{MongoBackend, ralph_document};
pub use documents::{ATTACHMENTS_COLLECTION, DOCUMENTS_COLLECTION};
pub use query::MongoQuery;
pub use settings::{
    MongoClientOptions, MongoLrsSettings, MongoSettings, check_collection_name, check_database_name,
};
pub use store::{INDEXES, MongoStore, SEQUENCES_COLLECTION};

use async_trait::async_trait;
use ralph_core::lrs::{LrsStore, LrsStoreFactory};
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `mongo` backend (alias `async_mongo`).
pub struct MongoFactory;

#[async_trait]
impl BackendFactory for MongoFactory {
    type Settings = MongoSettings;
    const NAME: &'static str = "mongo";
    const ALIASES: &'static [&'static str] = &["async_mongo"];
    const ABOUT: &'static str = "MongoDB: statements stored as Ralph stores them ({_id, _source})";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: true,
        list: true,
    };

    async fn open(settings: MongoSettings, _: &BackendContext) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(MongoBackend::connect(settings).await?))
    }
}

/// Registers the `mongo` LRS store (`ralph runserver -b mongo`).
pub struct MongoLrsFactory;

#[async_trait]
impl LrsStoreFactory for MongoLrsFactory {
    type Settings = MongoLrsSettings;
    const NAME: &'static str = "mongo";
    const ABOUT: &'static str =
        "statements in MongoDB collections, one per target, stored as Ralph stores them";
    const ALIASES: &'static [&'static str] = &["async_mongo"];

    async fn open(settings: MongoLrsSettings, _: &BackendContext) -> Result<Box<dyn LrsStore>> {
        Ok(Box::new(MongoStore::open(settings).await?))
    }
}
