//! The `lrs` backend of ralph: statements read from and written to any xAPI LRS over HTTP.
//!
//! Reads send the xAPI statement query parameters, given as JSON, to `GET /xAPI/statements` and
//! follow the `more` links page by page until the end (one page is fetched ahead while the
//! previous one is consumed, so memory stays constant). Writes `POST` batches of
//! `write_chunk_size` statements, with up to `concurrency` batches in flight; connection errors
//! and 5xx/429 answers are retried with a growing wait, and a batch the LRS refuses (400, 409,
//! 422) stops the write, or is reported and skipped with `ignore_errors`. `status` asks the
//! heartbeat endpoint. Settings and names follow Ralph 5.1 (`async_lrs` is an alias).
//!
//! ```no_run
//! use futures::StreamExt;
//! use ralph_backend_lrs::{LrsBackend, LrsSettings};
//! use ralph_core::{ReadRequest, Readable};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let backend = LrsBackend::new(LrsSettings {
//!     base_url: "http://127.0.0.1:8100".into(),
//!     ..Default::default()
//! })?;
//! let query = r#"{"verb": "http://adlnet.gov/expapi/verbs/completed"}"#;
//! let request = ReadRequest { query: Some(query.into()), ..Default::default() };
//! let mut statements = backend.read(request).await?;
//! while let Some(statement) = statements.next().await {
//!     println!("{:?}", statement?);
//! }
//! # Ok(()) }
//! ```

mod backend;
mod query;
mod settings;

pub use backend::LrsBackend;
pub use query::LrsQuery;
pub use settings::{LrsHeaders, LrsSettings};

use async_trait::async_trait;
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `lrs` backend (alias `async_lrs`).
pub struct LrsFactory;

#[async_trait]
impl BackendFactory for LrsFactory {
    type Settings = LrsSettings;
    const NAME: &'static str = "lrs";
    const ALIASES: &'static [&'static str] = &["async_lrs"];
    const ABOUT: &'static str =
        "a remote xAPI LRS: statements read by query and written by batch over HTTP";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: true,
        list: false,
    };

    async fn open(settings: LrsSettings, _: &BackendContext) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(LrsBackend::new(settings)?))
    }
}
