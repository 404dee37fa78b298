//! Integration tests of the `postgres` backend against a real server (`RALPH_TEST_POSTGRES_URL`).

mod lrs;
mod specifics;
mod suite;
mod tls;

use ralph_backend_postgres::{PostgresBackend, PostgresSettings};
use ralph_core::settings::SecretUrl;
use ralph_core::{DataBackend, ListEntry, ReadRequest};
use ralph_testkit::{Harness, StoreKind};

/// A backend on the test server, or `None` when the test is skipped.
pub struct Postgres {
    /// The backend.
    pub backend: PostgresBackend,
}

/// The settings of the test server, or `None` when the test is skipped.
pub fn settings() -> Option<PostgresSettings> {
    let url = ralph_testkit::server_url("RALPH_TEST_POSTGRES_URL")?;
    Some(PostgresSettings {
        connection_string: SecretUrl::new(url),
        ..Default::default()
    })
}

impl Postgres {
    /// Connects to the test server.
    pub async fn connect() -> Option<Self> {
        let backend = PostgresBackend::connect(settings()?)
            .await
            .expect("connect to the test postgres");
        Some(Self { backend })
    }
}

/// A table name no other test uses.
pub fn unique(prefix: &str) -> String {
    ralph_testkit::unique_name(&format!("test_{prefix}"))
}

impl Harness for Postgres {
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
