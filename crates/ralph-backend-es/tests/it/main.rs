//! Integration tests of the `es` backend against a real server (`RALPH_TEST_ES_URL`).

mod lrs;
mod specifics;
mod suite;

use ralph_backend_es::{EsBackend, EsSettings, Hosts, Refresh};
use ralph_core::settings::SecretUrl;
use ralph_core::{DataBackend, ListEntry, ReadRequest};
use ralph_testkit::{Harness, StoreKind};

/// Settings of the test server (refreshing after each write, so reads see it at once), or
/// `None` when the test is skipped.
pub fn settings() -> Option<EsSettings> {
    let url = ralph_testkit::server_url("RALPH_TEST_ES_URL")?;
    Some(EsSettings {
        hosts: Hosts(vec![SecretUrl::new(url)]),
        refresh_after_write: Some(Refresh::True),
        allow_yellow_status: true,
        ..Default::default()
    })
}

/// A backend on the test server, remembering the indices the suite made.
pub struct Es {
    /// The backend.
    pub backend: EsBackend,
    targets: std::sync::Mutex<Vec<String>>,
}

impl Es {
    /// A backend on the test server, or `None` when the test is skipped.
    pub fn connect() -> Option<Self> {
        Some(Self {
            backend: EsBackend::new(settings()?).expect("es backend"),
            targets: Default::default(),
        })
    }

    /// Deletes the indices the suite made.
    pub async fn cleanup(&self) {
        let targets = std::mem::take(&mut *self.targets.lock().expect("lock"));
        for target in targets {
            self.backend
                .delete_index(&target)
                .await
                .expect("delete test index");
        }
    }
}

/// An index name no other test uses (lowercase, as Elasticsearch wants).
pub fn unique(prefix: &str) -> String {
    ralph_testkit::unique_name(&format!("test_{prefix}")).to_ascii_lowercase()
}

impl Harness for Es {
    fn backend(&self) -> &dyn DataBackend {
        &self.backend
    }

    fn kind(&self) -> StoreKind {
        StoreKind::Records
    }

    fn new_target(&self) -> String {
        let target = unique("suite");
        self.targets.lock().expect("lock").push(target.clone());
        target
    }

    fn read_request(&self, target: &str) -> ReadRequest {
        ReadRequest {
            target: Some(target.to_owned()),
            // Sources in id order (the suite's ids ascend with the input order); big pages, as
            // each search of the test server scans the whole index.
            query: Some(r#"{"source_only": true, "sort": [{"id.keyword": "asc"}]}"#.to_owned()),
            chunk_size: Some(5_000),
            ..Default::default()
        }
    }

    fn is_listed(&self, target: &str, entry: &ListEntry) -> bool {
        matches!(entry, ListEntry::Id(id) if id == target)
    }
}
