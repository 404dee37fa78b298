//! The `ldp` backend of ralph: the archives of an OVH Logs Data Platform stream.
//!
//! Read-only. `list` names the archives of a stream (the target, or `default_stream_id`), with
//! their details on demand; `read` streams one archive, named by the query, from the temporary
//! URL the API gives for it, and records the read in the history so that `list --new` skips it.
//! Requests to the OVH API are signed as the `ovh` Python client signs them
//! (`X-Ovh-Signature: $1$` + SHA-1 of `secret+consumer_key+METHOD+url+body+timestamp`, the
//! timestamp corrected by the server time of `/auth/time`). Settings follow Ralph 5.1.
//!
//! ```no_run
//! use futures::StreamExt;
//! use ralph_backend_ldp::{LdpBackend, LdpSettings};
//! use ralph_core::history::History;
//! use ralph_core::settings::Secret;
//! use ralph_core::{Listable, ReadRequest, Readable};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let backend = LdpBackend::new(
//!     LdpSettings {
//!         application_key: Some("key".into()),
//!         application_secret: Some(Secret::new("secret")),
//!         consumer_key: Some(Secret::new("consumer")),
//!         service_name: Some("ldp-xx-00000".into()),
//!         default_stream_id: Some("stream-id".into()),
//!         ..Default::default()
//!     },
//!     History::new("history.json"),
//! )?;
//! let mut archives = backend.list(None, false, true).await?;
//! while let Some(archive) = archives.next().await {
//!     println!("{:?}", archive?);
//! }
//! let request = ReadRequest { query: Some("archive-id".into()), raw_output: true, ..Default::default() };
//! let mut bytes = backend.read(request).await?;
//! while let Some(chunk) = bytes.next().await {
//!     let _ = chunk?;
//! }
//! # Ok(()) }
//! ```

mod backend;
mod ovh;
mod settings;

pub use backend::LdpBackend;
pub use ovh::{OvhClient, signature};
pub use settings::{ENDPOINTS, LdpSettings};

use async_trait::async_trait;
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `ldp` backend.
pub struct LdpFactory;

#[async_trait]
impl BackendFactory for LdpFactory {
    type Settings = LdpSettings;
    const NAME: &'static str = "ldp";
    const ABOUT: &'static str =
        "OVH Logs Data Platform: the archives of a log stream, listed and read (read-only)";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: false,
        list: true,
    };

    async fn open(settings: LdpSettings, context: &BackendContext) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(LdpBackend::new(settings, context.history())?))
    }
}
