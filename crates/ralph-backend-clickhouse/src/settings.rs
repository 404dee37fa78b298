//! Settings of the `clickhouse` backend (`backends.data.clickhouse`) and LRS store
//! (`backends.lrs.clickhouse`), named as in Ralph 5.1.

use std::collections::BTreeMap;

use ralph_core::settings::Secret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The ClickHouse settings sent with every query by default, as Ralph sends them.
fn default_client_options() -> BTreeMap<String, Value> {
    BTreeMap::from([(
        "date_time_input_format".to_owned(),
        Value::from("best_effort"),
    )])
}

/// Settings of the `clickhouse` backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClickHouseSettings {
    /// Host name or address of the server's HTTP interface (plain `http://`; TLS is not
    /// supported yet).
    pub host: String,
    /// Port of the server's HTTP interface.
    pub port: u16,
    /// Database holding the tables.
    pub database: String,
    /// Table read and written when no target is given, created on first write when missing
    /// (`event_id UUID, emission_time DateTime64(6), event String`, a MergeTree ordered by
    /// `(emission_time, event_id)`).
    pub event_table_name: String,
    /// User name; unset: the server's `default` user.
    pub username: Option<String>,
    /// Password of the user; never printed.
    pub password: Option<Secret>,
    /// ClickHouse settings sent with every query, `KEY=VALUE,...` (e.g.
    /// `max_execution_time=30`).
    pub client_options: BTreeMap<String, Value>,
    /// Rows per read: the server sends them in blocks of this many (`max_block_size`).
    pub read_chunk_size: usize,
    /// Records per `INSERT` (ClickHouse prefers few large inserts: thousands of rows each).
    pub write_chunk_size: usize,
    /// Refuse records without a usable `timestamp` (or edX `time`), as Ralph does; when false
    /// they are stored with the time of the write as their `emission_time`.
    pub require_timestamp: bool,
}

impl Default for ClickHouseSettings {
    fn default() -> Self {
        Self {
            host: "localhost".to_owned(),
            port: 8123,
            database: "xapi".to_owned(),
            event_table_name: "xapi_events_all".to_owned(),
            username: None,
            password: None,
            client_options: default_client_options(),
            read_chunk_size: 500,
            write_chunk_size: 500,
            require_timestamp: true,
        }
    }
}

/// Settings of the `clickhouse` LRS store (`backends.lrs.clickhouse`,
/// `RALPH_BACKENDS__LRS__CLICKHOUSE__…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClickHouseLrsSettings {
    /// Host name or address of the server's HTTP interface (plain `http://`; TLS is not
    /// supported yet).
    pub host: String,
    /// Port of the server's HTTP interface.
    pub port: u16,
    /// Database holding the statement tables, created when missing.
    pub database: String,
    /// Table of the statements stored without a target; each target (multitenancy) is a table
    /// of its own, named after it. Created when missing; a Ralph table gains the store's
    /// columns.
    pub event_table_name: String,
    /// User name; unset: the server's `default` user.
    pub username: Option<String>,
    /// Password of the user; never printed.
    pub password: Option<Secret>,
    /// ClickHouse settings sent with every query, `KEY=VALUE,...` (e.g.
    /// `max_execution_time=30`).
    pub client_options: BTreeMap<String, Value>,
    /// Statement ids per lookup query when checking a batch against the stored statements.
    pub ids_chunk_size: usize,
    /// Rows per read block (`max_block_size`).
    pub read_chunk_size: usize,
    /// Statements per `INSERT`.
    pub write_chunk_size: usize,
}

impl Default for ClickHouseLrsSettings {
    fn default() -> Self {
        Self {
            host: "localhost".to_owned(),
            port: 8123,
            database: "xapi".to_owned(),
            event_table_name: "xapi_events_all".to_owned(),
            username: None,
            password: None,
            client_options: default_client_options(),
            ids_chunk_size: 10_000,
            read_chunk_size: 500,
            write_chunk_size: 500,
        }
    }
}

/// What both setting structs say about reaching the server.
pub(crate) struct Connection<'a> {
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub username: Option<&'a str>,
    pub password: Option<&'a Secret>,
    pub client_options: &'a BTreeMap<String, Value>,
}

impl ClickHouseSettings {
    pub(crate) fn connection(&self) -> Connection<'_> {
        Connection {
            host: &self.host,
            port: self.port,
            database: &self.database,
            username: self.username.as_deref(),
            password: self.password.as_ref(),
            client_options: &self.client_options,
        }
    }
}

impl ClickHouseLrsSettings {
    pub(crate) fn connection(&self) -> Connection<'_> {
        Connection {
            host: &self.host,
            port: self.port,
            database: &self.database,
            username: self.username.as_deref(),
            password: self.password.as_ref(),
            client_options: &self.client_options,
        }
    }
}
