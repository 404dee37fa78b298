//! Settings of the `ldp` backend (`backends.data.ldp`).

use ralph_core::settings::Secret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The OVH API endpoints by name, as the `ovh` Python client knows them.
pub const ENDPOINTS: [(&str, &str); 7] = [
    ("ovh-eu", "https://eu.api.ovh.com/1.0"),
    ("ovh-us", "https://api.us.ovhcloud.com/1.0"),
    ("ovh-ca", "https://ca.api.ovh.com/1.0"),
    ("kimsufi-eu", "https://eu.api.kimsufi.com/1.0"),
    ("kimsufi-ca", "https://ca.api.kimsufi.com/1.0"),
    ("soyoustart-eu", "https://eu.api.soyoustart.com/1.0"),
    ("soyoustart-ca", "https://ca.api.soyoustart.com/1.0"),
];

/// Settings of the `ldp` backend, as Ralph 5.1's `LDPDataBackendSettings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LdpSettings {
    /// OVH API application key.
    pub application_key: Option<String>,
    /// OVH API application secret; it signs every request and never prints.
    pub application_secret: Option<Secret>,
    /// OVH API consumer key (the token the account granted to the application).
    pub consumer_key: Option<Secret>,
    /// Stream whose archives are listed and read when no target is given.
    pub default_stream_id: Option<String>,
    /// OVH API endpoint: `ovh-eu`, `ovh-us`, `ovh-ca`, `kimsufi-eu`, `kimsufi-ca`,
    /// `soyoustart-eu`, `soyoustart-ca`, or a base URL such as `https://eu.api.ovh.com/1.0`.
    pub endpoint: String,
    /// Seconds an API request or an archive download may take; unset: no limit.
    pub request_timeout: Option<u64>,
    /// Logs Data Platform service name (`ldp-xx-00000`).
    pub service_name: Option<String>,
    /// Text encoding of the archives (only `utf8` is supported).
    pub locale_encoding: String,
    /// Bytes per chunk when reading an archive.
    pub read_chunk_size: usize,
    /// Kept for compatibility with Ralph (the backend is read-only).
    pub write_chunk_size: usize,
}

impl Default for LdpSettings {
    fn default() -> Self {
        Self {
            application_key: None,
            application_secret: None,
            consumer_key: None,
            default_stream_id: None,
            endpoint: "ovh-eu".to_owned(),
            request_timeout: None,
            service_name: None,
            locale_encoding: "utf8".to_owned(),
            read_chunk_size: 4096,
            write_chunk_size: 500,
        }
    }
}
