//! The history file: what was read from and written to file-like backends, used by `list --new`.
//!
//! It lives at `{app_dir}/history.json` (`~/.config/ralph`, or `RALPH_APP_DIR`, or
//! `RALPH_HISTORY_FILE`) and holds a JSON list of entries, the format of Ralph 5.1, so both tools
//! can share it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryAction {
    /// The object was read.
    Read,
    /// The object was written.
    Write,
}

/// One line of history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The backend name.
    pub backend: String,
    /// Read or write (Ralph's LDP backend calls this field `command`).
    #[serde(alias = "command")]
    pub action: HistoryAction,
    /// The object id: an absolute path, `bucket/key`, an archive name.
    pub id: String,
    /// The file name, for file backends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// The object size in bytes (Ralph's swift backend writes it as a string: both are read).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "number_or_string"
    )]
    pub size: Option<u64>,
    /// When it happened, ISO 8601.
    pub timestamp: String,
    /// The operation type of a write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_type: Option<String>,
}

/// A size given as a number or as a string of digits (Ralph 5.1's swift backend copies the
/// `Content-Length` header as is).
fn number_or_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    match Option::<Size>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Size::Number(n)) => Ok(Some(n)),
        Some(Size::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("size `{text}` is not a number"))),
    }
}

impl HistoryEntry {
    /// An entry for `backend`, `action` on `id`, timestamped now.
    pub fn now(backend: &str, action: HistoryAction, id: impl Into<String>) -> Self {
        Self {
            backend: backend.to_owned(),
            action,
            id: id.into(),
            filename: None,
            size: None,
            timestamp: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, false),
            operation_type: None,
        }
    }
}

/// The history file.
#[derive(Debug, Clone)]
pub struct History {
    path: PathBuf,
}

impl History {
    /// The history stored at `path` (created on first append).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where the history is stored.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry; an absent file is an empty history.
    pub fn entries(&self) -> Result<Vec<HistoryEntry>> {
        match std::fs::read(&self.path) {
            Ok(bytes) if bytes.trim_ascii().is_empty() => Ok(Vec::new()),
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| {
                Error::backend(format!(
                    "history file `{}` is not a JSON list of entries: {err}",
                    self.path.display()
                ))
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(err) => Err(Error::io(&self.path, err)),
        }
    }

    /// Ids that `backend` has already read.
    pub fn read_ids(&self, backend: &str) -> Result<HashSet<String>> {
        Ok(self
            .entries()?
            .into_iter()
            .filter(|e| e.backend == backend && e.action == HistoryAction::Read)
            .map(|e| e.id)
            .collect())
    }

    /// Appends entries, creating the file and its directory when needed.
    ///
    /// The file is rewritten through a temporary file and a rename, so a crash never leaves a
    /// truncated history.
    pub fn append(&self, new: impl IntoIterator<Item = HistoryEntry>) -> Result<()> {
        let mut entries = self.entries()?;
        let before = entries.len();
        entries.extend(new);
        if entries.len() == before {
            return Ok(());
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(&entries)
            .map_err(|err| Error::backend(format!("cannot encode history: {err}")))?;
        std::fs::write(&tmp, bytes).map_err(|err| Error::io(&tmp, err))?;
        std::fs::rename(&tmp, &self.path).map_err(|err| Error::io(&self.path, err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_reads_are_found_per_backend() {
        let dir = tempfile::tempdir().expect("tempdir");
        let history = History::new(dir.path().join("sub/history.json"));
        assert!(history.read_ids("fs").expect("empty").is_empty());
        history
            .append([
                HistoryEntry::now("fs", HistoryAction::Read, "/a"),
                HistoryEntry::now("fs", HistoryAction::Write, "/b"),
                HistoryEntry::now("s3", HistoryAction::Read, "bucket/c"),
            ])
            .expect("append");
        let ids = history.read_ids("fs").expect("ids");
        assert_eq!(ids, HashSet::from(["/a".to_owned()]));
    }

    #[test]
    fn sizes_written_as_strings_by_ralph_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("history.json");
        std::fs::write(
            &path,
            r#"[{"backend": "swift", "action": "read", "id": "c/o", "size": "209715520", "timestamp": "2026-11-24T21:59:59.721602+00:00"}]"#,
        )
        .expect("write");
        let entries = History::new(path).entries().expect("entries");
        assert_eq!(entries[0].size, Some(209_715_520));
    }

    #[test]
    fn ralph_entries_with_command_are_understood() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("history.json");
        std::fs::write(
            &path,
            r#"[{"backend":"ldp","command":"read","id":"x","timestamp":"2024-01-01T00:00:00+00:00"}]"#,
        )
        .expect("write");
        let ids = History::new(path).read_ids("ldp").expect("ids");
        assert!(ids.contains("x"));
    }
}
