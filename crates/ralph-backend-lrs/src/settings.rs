//! Settings of the `lrs` backend (`backends.data.lrs`).

use ralph_core::settings::Secret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Settings of the `lrs` backend, as Ralph 5.1's `LRSDataBackendSettings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LrsSettings {
    /// Base URL of the LRS (`http(s)://host[:port][/prefix]`); the endpoints are resolved under it.
    pub base_url: String,
    /// User name of HTTP basic auth; empty sends no credentials.
    pub username: String,
    /// Password of HTTP basic auth.
    pub password: Secret,
    /// Headers sent with every request: `X_EXPERIENCE_API_VERSION` (or
    /// `X-Experience-API-Version`) and `CONTENT_TYPE` (or `content-type`).
    pub headers: LrsHeaders,
    /// Path of the health check answered by `status`, relative to the base URL.
    pub status_endpoint: String,
    /// Path of the statements resource, read and written when no target is given.
    pub statements_endpoint: String,
    /// Text encoding of the statements (only `utf8` is supported).
    pub locale_encoding: String,
    /// Statements asked for per page (`limit`) when reading; the LRS may send fewer.
    pub read_chunk_size: usize,
    /// Statements per `POST` when writing.
    pub write_chunk_size: usize,
    /// Times a request is sent again after a connection error or a 5xx/429 answer, waiting
    /// longer each time (0.2 s doubling up to 10 s).
    pub max_retries: u32,
    /// Seconds one request may take before it fails (and is retried).
    pub timeout: f64,
}

impl Default for LrsSettings {
    fn default() -> Self {
        Self {
            base_url: "http://0.0.0.0:8100".to_owned(),
            username: "ralph".to_owned(),
            password: Secret::new("secret"),
            headers: LrsHeaders::default(),
            status_endpoint: "/__heartbeat__".to_owned(),
            statements_endpoint: "/xAPI/statements".to_owned(),
            locale_encoding: "utf8".to_owned(),
            read_chunk_size: 500,
            write_chunk_size: 500,
            max_retries: 5,
            timeout: 60.0,
        }
    }
}

/// The headers of every request to the LRS, as Ralph 5.1's `LRSHeaders`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LrsHeaders {
    /// The xAPI version of the requests (`X-Experience-API-Version`).
    #[serde(
        alias = "X_EXPERIENCE_API_VERSION",
        alias = "X-Experience-API-Version",
        alias = "x-experience-api-version"
    )]
    pub x_experience_api_version: String,
    /// The media type of request bodies (`Content-Type`).
    #[serde(alias = "CONTENT_TYPE", alias = "content-type", alias = "Content-Type")]
    pub content_type: String,
}

impl Default for LrsHeaders {
    fn default() -> Self {
        Self {
            x_experience_api_version: "1.0.3".to_owned(),
            content_type: "application/json".to_owned(),
        }
    }
}
