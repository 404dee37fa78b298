//! Integration tests of the `mongo` backend against a real server (`RALPH_TEST_MONGO_URL`).

mod interop;
mod lrs;
mod specifics;
mod suite;

use ralph_backend_mongo::{MongoBackend, MongoSettings};
use ralph_core::settings::SecretUrl;
use ralph_core::{DataBackend, ListEntry, ReadRequest};
use ralph_testkit::{Harness, StoreKind};

/// A backend on the test server, or `None` when the test is skipped.
pub struct Mongo {
    /// The backend.
    pub backend: MongoBackend,
}

/// The settings of the test server (database `ralph_test`), or `None` when the test is skipped.
pub fn settings() -> Option<MongoSettings> {
    let url = ralph_testkit::server_url("RALPH_TEST_MONGO_URL")?;
    Some(MongoSettings {
        connection_uri: SecretUrl::new(url),
        default_database: "ralph_test".into(),
        ..Default::default()
    })
}

impl Mongo {
    /// Connects to the test server.
    pub async fn connect() -> Option<Self> {
        let backend = MongoBackend::connect(settings()?)
            .await
            .expect("connect to the test mongo");
        Some(Self { backend })
    }
}

/// A collection name no other test uses.
pub fn unique(prefix: &str) -> String {
    ralph_testkit::unique_name(&format!("test_{prefix}"))
}

impl Harness for Mongo {
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
