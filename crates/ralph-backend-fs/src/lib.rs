//! The `fs` backend of ralph: files in a local directory; and the `fs` LRS store, statements
//! as JSON lines ([`FsLrsStore`], `ralph runserver -b fs`).
//!
//! Files are stored verbatim: what is written is read back byte for byte, so a gzip archive
//! survives a round trip. Reads stream the files matching a glob, as raw chunks or as JSON records
//! decoded line by line; writes stream their input to one file. Reads and writes are recorded in
//! the history file, which `list --new` uses to show the files not read yet.
//!
//! ```no_run
//! use futures::StreamExt;
//! use ralph_backend_fs::{FsBackend, FsSettings};
//! use ralph_core::history::History;
//! use ralph_core::{Readable, ReadRequest};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let settings = FsSettings { default_directory_path: "/var/log/edx".into(), ..Default::default() };
//! let backend = FsBackend::new(settings, History::new("/tmp/history.json"))?;
//! let mut records = backend
//!     .read(ReadRequest { query: Some("*.log".into()), ..Default::default() })
//!     .await?;
//! while let Some(record) = records.next().await {
//!     println!("{:?}", record?);
//! }
//! # Ok(()) }
//! ```

mod backend;
mod lrs;
mod settings;

pub use backend::FsBackend;
pub use lrs::FsLrsStore;
pub use settings::{DEFAULT_LRS_FILE, FsLrsSettings, FsSettings};

use async_trait::async_trait;
use ralph_core::lrs::{LrsStore, LrsStoreFactory};
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `fs` backend.
pub struct FsFactory;

#[async_trait]
impl BackendFactory for FsFactory {
    type Settings = FsSettings;
    const NAME: &'static str = "fs";
    const ABOUT: &'static str = "files in a local directory, read and written verbatim";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: true,
        list: true,
    };

    async fn open(settings: FsSettings, context: &BackendContext) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(FsBackend::new(settings, context.history())?))
    }
}

/// Registers the `fs` LRS store (`ralph runserver -b fs`).
pub struct FsLrsFactory;

#[async_trait]
impl LrsStoreFactory for FsLrsFactory {
    type Settings = FsLrsSettings;
    const NAME: &'static str = "fs";
    const ABOUT: &'static str = "statements as JSON lines in a local file per target";

    async fn open(settings: FsLrsSettings, _context: &BackendContext) -> Result<Box<dyn LrsStore>> {
        Ok(Box::new(FsLrsStore::new(&settings)?))
    }
}
