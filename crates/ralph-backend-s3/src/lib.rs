//! The `s3` backend of ralph: objects in an Amazon S3 bucket, or in any S3-compatible store
//! (MinIO, Ceph, OVH, Scaleway, ...), on the official AWS SDK for Rust (rustls, no OpenSSL).
//!
//! Objects are stored verbatim. Reads stream one object, as raw chunks (a `.gz` object comes out
//! compressed, ready for `| gunzip`) or as JSON records decoded line by line (a `.gz` object is
//! decompressed on the fly). Writes stream their input into a multipart upload, part by part,
//! and never overwrite an existing object. Listings page through `ListObjectsV2`. Reads and
//! writes are recorded in the history file, which `list --new` uses to show the objects not read
//! yet, as Ralph does (ids `bucket/key`).
//!
//! ```no_run
//! use futures::StreamExt;
//! use ralph_backend_s3::{S3Backend, S3Settings};
//! use ralph_core::history::History;
//! use ralph_core::settings::Secret;
//! use ralph_core::{Readable, ReadRequest};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let settings = S3Settings {
//!     endpoint_url: Some("http://127.0.0.1:9000".into()),
//!     access_key_id: Some("ralph".into()),
//!     secret_access_key: Some(Secret::new("secret-key-123")),
//!     default_bucket_name: Some("tracking-logs".into()),
//!     force_path_style: true,
//!     ..Default::default()
//! };
//! let backend = S3Backend::connect(settings, History::new("/tmp/history.json")).await?;
//! let mut records = backend
//!     .read(ReadRequest { query: Some("2024-01-15.log.gz".into()), ..Default::default() })
//!     .await?;
//! while let Some(record) = records.next().await {
//!     println!("{:?}", record?);
//! }
//! # Ok(()) }
//! ```

mod backend;
mod settings;

pub use backend::S3Backend;
pub use settings::S3Settings;

use async_trait::async_trait;
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `s3` backend.
pub struct S3Factory;

#[async_trait]
impl BackendFactory for S3Factory {
    type Settings = S3Settings;
    const NAME: &'static str = "s3";
    const ABOUT: &'static str =
        "objects in an Amazon S3 (or S3-compatible) bucket, read and written verbatim";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: true,
        list: true,
    };

    async fn open(settings: S3Settings, context: &BackendContext) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(
            S3Backend::connect(settings, context.history()).await?,
        ))
    }
}
