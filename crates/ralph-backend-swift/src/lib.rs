//! The `swift` backend of ralph: objects of OpenStack Swift containers, listed, read and written.
//!
//! It authenticates with Keystone v3 passwords (`identity_api_version = "3"`, the default, as in
//! Ralph 5.1) or with v1 auth such as Swift's tempauth (`identity_api_version = "1"`). The token
//! is kept, renewed before it expires, and a request refused with a 401 authenticates again once
//! (never more: wrong credentials fail at once with an error naming the endpoint).
//!
//! Reads stream an object as raw chunks or as JSON records decoded line by line; writes stream
//! their input into one object and refuse to replace an existing one. Inputs larger than
//! `segment_size` (1 GiB by default) are uploaded as segments into `{container}_segments` and
//! joined by a Static Large Object manifest, so objects beyond Swift's 5 GiB limit can be
//! written, in constant memory. Reads and writes are recorded in the history file, which
//! `list --new` uses.
//!
//! The client is written on `reqwest` (rustls): the `openstack` crate has no tempauth, is on
//! another reqwest major version and defaults to native-tls (docs/architecture.md).
//!
//! ```no_run
//! use futures::StreamExt;
//! use ralph_backend_swift::{SwiftBackend, SwiftSettings};
//! use ralph_core::history::History;
//! use ralph_core::settings::Secret;
//! use ralph_core::{ReadRequest, Readable};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let settings = SwiftSettings {
//!     auth_url: "https://auth.cloud.ovh.net/v3".into(),
//!     username: Some("user".into()),
//!     password: Some(Secret::new("password")),
//!     tenant_name: Some("project".into()),
//!     region_name: Some("GRA".into()),
//!     default_container: Some("archives".into()),
//!     ..Default::default()
//! };
//! let backend = SwiftBackend::new(settings, History::new("/tmp/history.json"))?;
//! let mut chunks = backend
//!     .read(ReadRequest { query: Some("2024-01-15.gz".into()), raw_output: true, ..Default::default() })
//!     .await?;
//! while let Some(chunk) = chunks.next().await {
//!     let _bytes = chunk?.into_bytes();
//! }
//! # Ok(()) }
//! ```

mod backend;
mod client;
mod settings;

pub use backend::SwiftBackend;
pub use settings::{DEFAULT_SEGMENT_SIZE, SwiftSettings};

use async_trait::async_trait;
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `swift` backend.
pub struct SwiftFactory;

#[async_trait]
impl BackendFactory for SwiftFactory {
    type Settings = SwiftSettings;
    const NAME: &'static str = "swift";
    const ABOUT: &'static str = "objects of OpenStack Swift containers (Keystone v3 or tempauth), read and written verbatim";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: true,
        list: true,
    };

    async fn open(
        settings: SwiftSettings,
        context: &BackendContext,
    ) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(SwiftBackend::new(settings, context.history())?))
    }
}
