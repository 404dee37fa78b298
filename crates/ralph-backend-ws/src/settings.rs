//! Settings of the `ws` backend (`backends.data.ws`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Settings of the `ws` backend, as Ralph 5.1's `WSDataBackendSettings`, plus reconnection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WsSettings {
    /// URI of the WebSocket server, `ws://host:port/path` or `wss://…` (required).
    pub uri: Option<String>,
    /// Options of the WebSocket client, as Ralph's (`KEY=VALUE,...` on the command line):
    /// `open_timeout`, `close_timeout`, `ping_interval`, `ping_timeout` (seconds; an empty
    /// `ping_interval` sends no pings), `max_size` (bytes of the largest message), `origin`,
    /// `user_agent_header`, `read_limit` and `write_limit` (buffer bytes); `compression` and
    /// `max_queue` are accepted and unused.
    pub client_options: WsClientOptions,
    /// Connect again, waiting longer each time (0.5 s doubling up to 30 s), when the connection
    /// drops, fails, or is closed with a code other than 1000 (normal closure); without it the
    /// read ends there.
    pub reconnect: bool,
    /// Connection attempts in a row before a reconnecting read gives up; unset tries forever.
    pub reconnect_max_attempts: Option<u32>,
    /// Text encoding of the messages (only `utf8` is supported).
    pub locale_encoding: String,
    /// Kept for compatibility with Ralph; each message is one record whatever its size.
    pub read_chunk_size: usize,
    /// Kept for compatibility with Ralph (the backend is read-only).
    pub write_chunk_size: usize,
}

impl Default for WsSettings {
    fn default() -> Self {
        Self {
            uri: None,
            client_options: WsClientOptions::default(),
            reconnect: false,
            reconnect_max_attempts: None,
            locale_encoding: "utf8".to_owned(),
            read_chunk_size: 500,
            write_chunk_size: 500,
        }
    }
}

/// Options of the WebSocket client, as Ralph 5.1's `WSClientOptions` (names of the Python
/// `websockets` library).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WsClientOptions {
    /// Seconds to wait for the closing handshake when the read stops early (default 10).
    pub close_timeout: Option<f64>,
    /// `deflate` or unset: accepted for compatibility; this client does not offer
    /// permessage-deflate, so servers send messages uncompressed.
    pub compression: Option<String>,
    /// Largest message accepted, in bytes; a larger one fails the read. Unset: no limit.
    pub max_size: Option<u64>,
    /// Kept for compatibility: messages are not queued ahead of the reader.
    pub max_queue: Option<u64>,
    /// Seconds to wait for the connection and the opening handshake.
    pub open_timeout: Option<f64>,
    /// `Origin` header of the opening handshake.
    pub origin: Option<String>,
    /// Seconds between the pings that check the connection is alive; unset sends none.
    pub ping_interval: Option<f64>,
    /// Seconds to wait for the pong answering a ping before the connection is taken as dropped.
    pub ping_timeout: Option<f64>,
    /// Bytes of the read buffer.
    pub read_limit: u64,
    /// `User-Agent` header of the opening handshake; unset sends none.
    pub user_agent_header: Option<String>,
    /// Bytes of the write buffer.
    pub write_limit: u64,
}

impl Default for WsClientOptions {
    fn default() -> Self {
        Self {
            close_timeout: None,
            compression: Some("deflate".to_owned()),
            max_size: Some(1 << 20),
            max_queue: Some(32),
            open_timeout: Some(10.0),
            origin: None,
            ping_interval: Some(20.0),
            ping_timeout: Some(20.0),
            read_limit: 1 << 16,
            user_agent_header: Some(concat!("ralph/", env!("CARGO_PKG_VERSION")).to_owned()),
            write_limit: 1 << 16,
        }
    }
}
