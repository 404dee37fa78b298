//! Integration tests of the `redis` backend against a real server (`RALPH_TEST_REDIS_URL`).

mod specifics;
mod suite;

use ralph_backend_redis::{RedisBackend, RedisSettings};
use ralph_core::settings::SecretUrl;
use ralph_core::{DataBackend, ListEntry, ReadRequest};
use ralph_testkit::{Harness, StoreKind};

/// A backend on the test server, or `None` when the test is skipped.
pub struct Redis {
    /// The backend.
    pub backend: RedisBackend,
}

impl Redis {
    /// Connects to the test server.
    pub async fn connect() -> Option<Self> {
        let url = ralph_testkit::server_url("RALPH_TEST_REDIS_URL")?;
        let settings = RedisSettings {
            url: SecretUrl::new(url),
            ..Default::default()
        };
        let backend = RedisBackend::connect(settings)
            .await
            .expect("connect to the test redis");
        Some(Self { backend })
    }
}

/// A stream name no other test uses.
pub fn unique(prefix: &str) -> String {
    ralph_testkit::unique_name(&format!("ralph_test_{prefix}"))
}

impl Harness for Redis {
    fn backend(&self) -> &dyn DataBackend {
        &self.backend
    }

    fn kind(&self) -> StoreKind {
        StoreKind::Log
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
