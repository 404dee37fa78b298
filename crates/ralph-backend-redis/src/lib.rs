//! The `redis` backend of ralph: Redis Streams as an ordered, live event log.
//!
//! Each record is one stream entry whose field `event` holds the compact JSON document. Writes
//! are pipelined `XADD`s per chunk; reads page through the stream in order with `XRANGE`, can
//! start from an entry id, follow the stream for new entries (`XREAD BLOCK`), or read through a
//! consumer group so that several readers share the work, each entry going to one of them and
//! being acknowledged once emitted.
//!
//! Read queries are JSON:
//!
//! | query | effect |
//! |---|---|
//! | *(none)* or `{}` | every entry, oldest first |
//! | `{"start": "1700000000000-0"}` | entries from this id on (inclusive) |
//! | `{"follow": true}` | after the last entry, wait for new ones until interrupted |
//! | `{"group": "g", "consumer": "c"}` | new entries of group `g` (created at the stream start when missing), acknowledged as they are emitted |
//!
//! ```no_run
//! use futures::StreamExt;
//! use ralph_backend_redis::{RedisBackend, RedisSettings};
//! use ralph_core::{Readable, ReadRequest};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let backend = RedisBackend::connect(RedisSettings::default()).await?;
//! let request = ReadRequest { query: Some(r#"{"follow": true}"#.into()), ..Default::default() };
//! let mut events = backend.read(request).await?;
//! while let Some(event) = events.next().await {
//!     println!("{:?}", event?);
//! }
//! # Ok(()) }
//! ```

mod backend;
mod query;
mod settings;

pub use backend::RedisBackend;
pub use query::RedisQuery;
pub use settings::RedisSettings;

use async_trait::async_trait;
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `redis` backend.
pub struct RedisFactory;

#[async_trait]
impl BackendFactory for RedisFactory {
    type Settings = RedisSettings;
    const NAME: &'static str = "redis";
    const ABOUT: &'static str = "Redis Streams: an ordered, live event log with consumer groups";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: true,
        list: true,
    };

    async fn open(settings: RedisSettings, _: &BackendContext) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(RedisBackend::connect(settings).await?))
    }
}
