//! The `ws` backend of ralph: events read live from a WebSocket server, one message a record.
//!
//! Read-only. Each text or binary message is one record (a JSON line when printed). The read ends
//! when the server sends a close frame, or when the connection drops without one (as websocketd
//! does when its program ends); with `reconnect`, a dropped connection or an abnormal close is
//! followed by a new connection after a growing wait. Pings check that a quiet connection is
//! alive. Settings follow Ralph 5.1 (`uri`, `client_options`); `async_ws` is an alias.
//!
//! ```no_run
//! use futures::StreamExt;
//! use ralph_backend_ws::{WsBackend, WsSettings};
//! use ralph_core::{ReadRequest, Readable};
//!
//! # async fn run() -> ralph_core::Result<()> {
//! let backend = WsBackend::new(WsSettings {
//!     uri: Some("ws://127.0.0.1:8765".into()),
//!     reconnect: true,
//!     ..Default::default()
//! })?;
//! let mut events = backend.read(ReadRequest::default()).await?;
//! while let Some(event) = events.next().await {
//!     println!("{:?}", event?);
//! }
//! # Ok(()) }
//! ```

mod backend;
mod settings;

pub use backend::WsBackend;
pub use settings::{WsClientOptions, WsSettings};

use async_trait::async_trait;
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{DataBackend, Result};

/// Registers the `ws` backend (alias `async_ws`).
pub struct WsFactory;

#[async_trait]
impl BackendFactory for WsFactory {
    type Settings = WsSettings;
    const NAME: &'static str = "ws";
    const ALIASES: &'static [&'static str] = &["async_ws"];
    const ABOUT: &'static str = "a WebSocket server: live events, one message a record (read-only)";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: false,
        list: false,
    };

    async fn open(settings: WsSettings, _: &BackendContext) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(WsBackend::new(settings)?))
    }
}
