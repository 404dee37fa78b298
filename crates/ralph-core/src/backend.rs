//! Backend capabilities: every backend is a [`DataBackend`]; what it can do is told by the
//! [`Readable`], [`Writable`] and [`Listable`] views it returns.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::{Record, Result};

/// A stream of records, read from or written to a backend.
pub type RecordStream = BoxStream<'static, Result<Record>>;

/// A stream of listing entries.
pub type ListStream = BoxStream<'static, Result<ListEntry>>;

/// Health of a backend, as `ralph` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendStatus {
    /// The backend answers and can be used.
    Ok,
    /// The backend cannot be reached.
    Away,
    /// The backend answers but is not usable (permissions, cluster health, ...).
    Error,
}

impl fmt::Display for BackendStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ok => "ok",
            Self::Away => "away",
            Self::Error => "error",
        })
    }
}

/// How records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationType {
    /// Insert a new record with a specific id (fails when the id exists).
    Index,
    /// Insert a new record (fails when it exists).
    Create,
    /// Replace an existing record.
    Update,
    /// Delete a record.
    Delete,
    /// Append to an existing object.
    Append,
}

impl OperationType {
    /// Every operation type, in the order of `--help`.
    pub const ALL: [Self; 5] = [
        Self::Index,
        Self::Create,
        Self::Delete,
        Self::Update,
        Self::Append,
    ];

    /// The lowercase name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Append => "append",
        }
    }
}

impl fmt::Display for OperationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OperationType {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str() == s)
            .ok_or_else(|| {
                crate::Error::invalid_input(format!(
                    "unknown operation type `{s}`; expected one of index, create, delete, update, append"
                ))
            })
    }
}

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct ReadRequest {
    /// A backend-specific query: a glob for fs, JSON for databases. `None` selects the default.
    pub query: Option<String>,
    /// The container to read from (directory, index, collection, bucket); `None` selects the default.
    pub target: Option<String>,
    /// Records (or bytes, for raw reads of files) per backend request; `None` selects the setting.
    pub chunk_size: Option<usize>,
    /// Yield raw bytes as stored instead of parsed JSON records.
    pub raw_output: bool,
    /// Skip records that cannot be decoded instead of failing.
    pub ignore_errors: bool,
    /// Stop after this many records; `None` reads everything.
    pub max_statements: Option<u64>,
}

/// How to write.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The container to write into; `None` selects the default (a new file for file backends).
    pub target: Option<String>,
    /// Records per backend request; `None` selects the setting.
    pub chunk_size: Option<usize>,
    /// Report and skip bad records instead of stopping.
    pub ignore_errors: bool,
    /// The operation; `None` selects the backend's default.
    pub operation_type: Option<OperationType>,
    /// Chunks written concurrently (backends that support it).
    pub concurrency: Option<usize>,
}

/// What a write is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteUnit {
    /// Records (JSON documents).
    Records,
    /// Files or objects, written verbatim.
    Files,
}

/// The outcome of a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteReport {
    /// Records (or files) acknowledged by the backend.
    pub written: u64,
    /// Bad records reported and skipped (only with `ignore_errors`).
    pub skipped: u64,
    /// Bytes received from the input.
    pub bytes: u64,
    /// What `written` counts.
    pub unit: WriteUnit,
    /// Where the data went (a file path, an index name), when there is one.
    pub location: Option<String>,
}

impl WriteReport {
    /// An empty report counting `unit`.
    pub fn new(unit: WriteUnit) -> Self {
        Self {
            written: 0,
            skipped: 0,
            bytes: 0,
            unit,
            location: None,
        }
    }
}

/// One entry of a listing: an id, or details when asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ListEntry {
    /// The identifier of a stored object (absolute path, index name, key).
    Id(String),
    /// Backend-specific details as JSON.
    Details(serde_json::Value),
}

/// File details as listed by file-like backends (`list --details`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDetails {
    /// Absolute path or key.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, truncated to the second (`2024-01-15T10:00:00+00:00`, as Ralph prints it).
    #[serde(serialize_with = "seconds_with_offset")]
    pub modified_at: DateTime<Utc>,
}

fn seconds_with_offset<S: serde::Serializer>(
    at: &DateTime<Utc>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
}

/// Every backend: a name, a health check, and the capability views it supports.
#[async_trait]
pub trait DataBackend: Send + Sync {
    /// The backend name (`fs`, `es`, ...).
    fn name(&self) -> &'static str;

    /// Checks whether the backend can be used.
    async fn status(&self) -> BackendStatus;

    /// Releases connections; the backend must not be used afterwards.
    async fn close(&self) -> Result<()> {
        Ok(())
    }

    /// The read capability, when the backend has it.
    fn as_readable(&self) -> Option<&dyn Readable> {
        None
    }

    /// The write capability, when the backend has it.
    fn as_writable(&self) -> Option<&dyn Writable> {
        None
    }

    /// The list capability, when the backend has it.
    fn as_listable(&self) -> Option<&dyn Listable> {
        None
    }
}

/// Backends records can be read from.
#[async_trait]
pub trait Readable: Send + Sync {
    /// Streams the records matching `request`.
    ///
    /// Setup errors (bad query, missing target) are returned at once; errors of single records
    /// come in the stream, already skipped when `request.ignore_errors` is set.
    async fn read(&self, request: ReadRequest) -> Result<RecordStream>;
}

/// Backends records can be written to.
#[async_trait]
pub trait Writable: Send + Sync {
    /// The operation used when none is given.
    fn default_operation_type(&self) -> OperationType;

    /// Operations this backend refuses.
    fn unsupported_operation_types(&self) -> &'static [OperationType] {
        &[]
    }

    /// Writes every record of `input`.
    ///
    /// Without `ignore_errors`, the first bad record stops the write with an error that carries
    /// [`Error::written`](crate::Error::written); records before it are written first.
    async fn write(&self, input: RecordStream, options: WriteOptions) -> Result<WriteReport>;

    /// Resolves the operation type of `options`, refusing unsupported ones.
    fn resolve_operation_type(&self, options: &WriteOptions) -> Result<OperationType> {
        let op = options
            .operation_type
            .unwrap_or_else(|| self.default_operation_type());
        if self.unsupported_operation_types().contains(&op) {
            return Err(crate::Error::unsupported(format!(
                "`{op}` operation type is not allowed by this backend"
            )));
        }
        Ok(op)
    }
}

/// Backends whose stored objects can be listed.
#[async_trait]
pub trait Listable: Send + Sync {
    /// Lists the objects of `target` (the default container when `None`): ids, or details;
    /// with `new`, only those not read yet according to the history.
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream>;
}
