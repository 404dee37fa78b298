//! Settings of the `redis` backend (`backends.data.redis`).

use ralph_core::settings::SecretUrl;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Settings of the `redis` backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// Server URL, `redis://[user:password@]host:port/db` (`rediss://` is not supported); the
    /// password never prints.
    pub url: SecretUrl,
    /// Stream read and written when no target is given.
    pub default_stream: String,
    /// Trim each stream to about this many entries on write (`XADD MAXLEN ~`); unset keeps all.
    pub maxlen: Option<u64>,
    /// Entries per `XADD` pipeline and per `XRANGE`/`XREAD` page.
    pub default_chunk_size: usize,
    /// Seconds to wait for a connection before giving up.
    pub connect_timeout: f64,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: SecretUrl::new("redis://127.0.0.1:6379/0"),
            default_stream: "ralph".to_owned(),
            maxlen: None,
            default_chunk_size: 500,
            connect_timeout: 5.0,
        }
    }
}
