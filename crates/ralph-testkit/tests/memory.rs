//! The behaviour suite on the `memory` backend.

use ralph_core::memory::{MemoryBackend, MemorySettings};
use ralph_core::{DataBackend, ListEntry, ReadRequest};
use ralph_testkit::{Harness, StoreKind};

struct Memory(MemoryBackend);

impl Memory {
    fn new() -> Self {
        Self(MemoryBackend::new(MemorySettings::default()))
    }
}

impl Harness for Memory {
    fn backend(&self) -> &dyn DataBackend {
        &self.0
    }

    fn kind(&self) -> StoreKind {
        StoreKind::Records
    }

    fn new_target(&self) -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        format!("target-{}", N.fetch_add(1, Ordering::Relaxed))
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

#[tokio::test]
async fn write_then_read_back() {
    ralph_testkit::write_then_read_back(&Memory::new()).await;
}

#[tokio::test]
async fn list_shows_written_targets() {
    ralph_testkit::list_shows_written_targets(&Memory::new()).await;
}

#[tokio::test]
async fn operation_types() {
    ralph_testkit::operation_types(&Memory::new()).await;
}

#[tokio::test]
async fn bad_input() {
    ralph_testkit::bad_input(&Memory::new()).await;
}

#[tokio::test]
async fn max_statements() {
    ralph_testkit::max_statements(&Memory::new()).await;
}

#[tokio::test]
async fn a_million_records_stream_through() {
    // The memory backend keeps what it stores, so only the streaming is checked, not the peak.
    ralph_testkit::large_stream(&Memory::new(), 1_000_000, None).await;
}
