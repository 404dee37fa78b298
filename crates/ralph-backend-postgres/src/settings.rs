//! Settings of the `postgres` backend (`backends.data.postgres`).

use ralph_core::settings::SecretUrl;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Settings of the `postgres` backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresSettings {
    /// Connection string, `postgres://user[:password]@host[:port]/database` (or the
    /// `host=... user=...` form); the password never prints. TLS as in libpq: `sslmode`
    /// (`disable`, `prefer` the default, `require`, `verify-ca`, `verify-full`) and
    /// `sslrootcert` (a PEM file of the CAs to trust, or `system`), e.g.
    /// `...?sslmode=verify-full&sslrootcert=/etc/ssl/pg-ca.pem`.
    pub connection_string: SecretUrl,
    /// Table read and written when no target is given; created on first write.
    pub default_table: String,
    /// Connections kept open at most.
    pub pool_size: usize,
    /// Seconds to wait for a connection before giving up.
    pub connect_timeout: f64,
    /// Records per `COPY` transaction on write, and per cursor fetch on read (bigger chunks load
    /// faster: 5,000 runs at about half the speed of `psql \\copy`).
    pub default_chunk_size: usize,
}

impl Default for PostgresSettings {
    fn default() -> Self {
        Self {
            connection_string: SecretUrl::new("postgres://postgres@127.0.0.1:5432/ralph"),
            default_table: "events".to_owned(),
            pool_size: 4,
            connect_timeout: 5.0,
            default_chunk_size: 5000,
        }
    }
}

/// Settings of the `postgres` LRS store (`backends.lrs.postgres`,
/// `RALPH_BACKENDS__LRS__POSTGRES__…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresLrsSettings {
    /// Connection string, `postgres://user[:password]@host[:port]/database` (or the
    /// `host=... user=...` form); the password never prints. TLS as in libpq: `sslmode`
    /// (`disable`, `prefer` the default, `require`, `verify-ca`, `verify-full`) and
    /// `sslrootcert` (a PEM file of the CAs to trust, or `system`), e.g.
    /// `...?sslmode=verify-full&sslrootcert=/etc/ssl/pg-ca.pem`.
    pub connection_string: SecretUrl,
    /// Prefix of the store's tables (`<prefix>statements`, `<prefix>statement_agents`,
    /// `<prefix>statement_activities`), created when missing: letters, digits and `_`, at most
    /// 30 characters.
    pub table_prefix: String,
    /// Connections kept open at most.
    pub pool_size: usize,
    /// Seconds to wait for a connection before giving up.
    pub connect_timeout: f64,
}

impl Default for PostgresLrsSettings {
    fn default() -> Self {
        Self {
            connection_string: SecretUrl::new("postgres://postgres@127.0.0.1:5432/ralph"),
            table_prefix: "xapi_".to_owned(),
            pool_size: 8,
            connect_timeout: 5.0,
        }
    }
}
