//! Integration tests of the `fs` backend: the shared behaviour suite, then fs specifics.

mod lrs;
mod specifics;
mod suite;

use ralph_backend_fs::{FsBackend, FsSettings};
use ralph_core::history::History;
use ralph_core::{DataBackend, ListEntry, ReadRequest};
use ralph_testkit::{Harness, StoreKind};
use tempfile::TempDir;

/// An fs backend in a fresh temporary directory, with its own history file.
pub struct Fs {
    /// The temporary directory holding `data/` and the history file.
    pub dir: TempDir,
    /// The backend on `data/`.
    pub backend: FsBackend,
}

impl Fs {
    /// A backend in a fresh temporary directory.
    pub fn fresh() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = FsSettings {
            default_directory_path: dir.path().join("data"),
            ..Default::default()
        };
        let history = History::new(dir.path().join("history.json"));
        let backend = FsBackend::new(settings, history).expect("open fs backend");
        Self { dir, backend }
    }

    /// The history file of the backend.
    pub fn history(&self) -> History {
        History::new(self.dir.path().join("history.json"))
    }
}

impl Harness for Fs {
    fn backend(&self) -> &dyn DataBackend {
        &self.backend
    }

    fn kind(&self) -> StoreKind {
        StoreKind::Files
    }

    fn new_target(&self) -> String {
        format!("{}.jsonl", uuid_like())
    }

    fn read_request(&self, target: &str) -> ReadRequest {
        ReadRequest {
            query: Some(target.to_owned()),
            ..Default::default()
        }
    }

    fn is_listed(&self, target: &str, entry: &ListEntry) -> bool {
        matches!(entry, ListEntry::Id(id) if id.ends_with(&format!("/{target}")))
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "t{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
