//! Integration tests of the `clickhouse` backend and store against a real ClickHouse engine
//! (`RALPH_TEST_CLICKHOUSE_URL`, e.g. `http://127.0.0.1:8123`).

mod lrs;
mod specifics;
mod suite;

use ralph_backend_clickhouse::{ClickHouseBackend, ClickHouseSettings};
use ralph_core::{DataBackend, ListEntry, ReadRequest};
use ralph_testkit::{Harness, StoreKind};

/// The database of the data backend tests.
pub const DATABASE: &str = "ralph_test";

/// Host and port of the test server, or `None` when the test is skipped.
pub fn server() -> Option<(String, u16)> {
    let url = ralph_testkit::server_url("RALPH_TEST_CLICKHOUSE_URL")?;
    let rest = url
        .strip_prefix("http://")
        .unwrap_or(&url)
        .trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "8123"));
    Some((
        host.to_owned(),
        port.parse().expect("port of RALPH_TEST_CLICKHOUSE_URL"),
    ))
}

/// Settings of the test server, or `None` when the test is skipped.
pub fn settings() -> Option<ClickHouseSettings> {
    let (host, port) = server()?;
    Some(ClickHouseSettings {
        host,
        port,
        database: DATABASE.to_owned(),
        ..Default::default()
    })
}

/// A backend on the test server.
pub struct ClickHouse {
    /// The backend.
    pub backend: ClickHouseBackend,
}

impl ClickHouse {
    /// A backend on the test database (created when missing), with `settings` changed by
    /// `change`.
    pub async fn with(change: impl FnOnce(&mut ClickHouseSettings)) -> Option<Self> {
        let mut settings = settings()?;
        change(&mut settings);
        let backend = ClickHouseBackend::new(settings).expect("backend");
        backend
            .client()
            .clone()
            .with_database("default")
            .query(&format!("CREATE DATABASE IF NOT EXISTS {DATABASE}"))
            .execute()
            .await
            .expect("create the test database");
        Some(Self { backend })
    }

    /// A backend that stores records without a timestamp at the time of the write, as the
    /// shared suite writes plain JSON records.
    pub async fn for_suite() -> Option<Self> {
        Self::with(|s| s.require_timestamp = false).await
    }
}

/// A table name no other test uses.
pub fn unique(prefix: &str) -> String {
    ralph_testkit::unique_name(&format!("test_{prefix}"))
}

impl Harness for ClickHouse {
    fn backend(&self) -> &dyn DataBackend {
        &self.backend
    }

    fn kind(&self) -> StoreKind {
        StoreKind::Records
    }

    fn new_target(&self) -> String {
        unique("suite")
    }

    fn read_request(&self, target: &str) -> ReadRequest {
        ReadRequest {
            target: Some(target.to_owned()),
            ..Default::default()
        }
    }

    fn is_listed(&self, target: &str, entry: &ListEntry) -> bool {
        matches!(entry, ListEntry::Id(id) if id == target)
    }
}
