//! Documents and attachments of the `fs` LRS store.
//!
//! A document is one file in the `.ralph-documents` directory of its target, named by the
//! SHA-256 of its key: a JSON header line (its key, content type, ETag and time), then the
//! content as sent. Attachments are files named by their `sha2` in `.ralph-attachments` at the
//! root: a header line with the content type, then the content. Files are written to a
//! temporary name, synced and renamed, so a reader never sees half a document; writers are
//! serialised by the store's write lock, so a precondition is checked against what is stored.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind as IoErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ralph_core::lrs::{
    Attachment, Document, DocumentKey, DocumentScope, Precondition, precondition_failed, sha256_hex,
};
use ralph_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// The directory of a target's documents.
pub(crate) const DOCUMENTS_DIR: &str = ".ralph-documents";
/// The directory of attachments, at the root.
pub(crate) const ATTACHMENTS_DIR: &str = ".ralph-attachments";

/// The header line of a document file.
#[derive(Serialize, Deserialize)]
struct Header {
    kind: String,
    activity: String,
    agent: String,
    registration: String,
    id: String,
    content_type: String,
    etag: String,
    updated: DateTime<Utc>,
}

impl Header {
    fn scope_matches(&self, scope: &DocumentScope) -> bool {
        self.kind == scope.kind.as_str()
            && self.activity == scope.activity_key()
            && self.agent == scope.agent_key()
            && (scope.registration.is_none() || self.registration == scope.registration_key())
    }
}

fn file_name(key: &DocumentKey) -> String {
    let scope = &key.scope;
    sha256_hex(
        [
            scope.kind.as_str(),
            scope.activity_key(),
            &scope.agent_key(),
            scope.registration_key(),
            &key.id,
        ]
        .join("\n")
        .as_bytes(),
    )
}

/// Reads the header of a document file, and its content when `content` is set.
fn read(path: &Path, content: bool) -> Result<Option<(Header, Bytes)>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == IoErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::io(path, err)),
    };
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|err| Error::io(path, err))?;
    let header: Header = serde_json::from_str(&line).map_err(|e| {
        Error::backend(format!(
            "fs: `{}`: invalid document header: {e}",
            path.display()
        ))
    })?;
    let mut bytes = Vec::new();
    if content {
        reader
            .read_to_end(&mut bytes)
            .map_err(|err| Error::io(path, err))?;
    }
    Ok(Some((header, Bytes::from(bytes))))
}

/// Writes `header` and `content` to `path` through a synced temporary file and a rename.
fn write_atomically(path: &Path, header: &[u8], content: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
    let temporary = path.with_extension("tmp");
    let mut file = File::create(&temporary).map_err(|err| Error::io(&temporary, err))?;
    file.write_all(header)
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.write_all(content))
        .and_then(|()| file.sync_all())
        .map_err(|err| Error::io(&temporary, err))?;
    std::fs::rename(&temporary, path).map_err(|err| Error::io(path, err))
}

fn encode(header: &Header) -> Result<Vec<u8>> {
    serde_json::to_vec(header).map_err(|e| Error::backend(format!("fs: {e}")))
}

/// The documents of one target, in `dir`.
pub(crate) struct Documents {
    pub(crate) dir: PathBuf,
}

impl Documents {
    fn path(&self, key: &DocumentKey) -> PathBuf {
        self.dir.join(file_name(key))
    }

    /// The document `key`.
    pub(crate) fn get(&self, key: &DocumentKey) -> Result<Option<Document>> {
        Ok(
            read(&self.path(key), true)?.map(|(header, content)| Document {
                content,
                content_type: header.content_type,
                etag: header.etag,
                updated: header.updated,
            }),
        )
    }

    fn stored_etag(&self, key: &DocumentKey) -> Result<Option<String>> {
        Ok(read(&self.path(key), false)?.map(|(header, _)| header.etag))
    }

    /// Writes `document` as `key` when `precondition` holds (the caller holds the write lock).
    pub(crate) fn put(
        &self,
        key: &DocumentKey,
        document: &Document,
        precondition: &Precondition,
    ) -> Result<()> {
        if !precondition.holds(self.stored_etag(key)?.as_deref()) {
            return Err(precondition_failed(key));
        }
        let scope = &key.scope;
        let header = Header {
            kind: scope.kind.as_str().to_owned(),
            activity: scope.activity_key().to_owned(),
            agent: scope.agent_key(),
            registration: scope.registration_key().to_owned(),
            id: key.id.clone(),
            content_type: document.content_type.clone(),
            etag: document.etag.clone(),
            updated: document.updated,
        };
        write_atomically(&self.path(key), &encode(&header)?, &document.content)
    }

    /// Deletes `key` when `precondition` holds (the caller holds the write lock).
    pub(crate) fn delete(&self, key: &DocumentKey, precondition: &Precondition) -> Result<()> {
        if !precondition.holds(self.stored_etag(key)?.as_deref()) {
            return Err(precondition_failed(key));
        }
        let path = self.path(key);
        match std::fs::remove_file(&path) {
            Err(err) if err.kind() != IoErrorKind::NotFound => Err(Error::io(&path, err)),
            _ => Ok(()),
        }
    }

    /// Calls `each(path, header)` for every document of the directory in `scope`.
    fn each_in(&self, scope: &DocumentScope, mut each: impl FnMut(PathBuf, Header)) -> Result<()> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == IoErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(Error::io(&self.dir, err)),
        };
        for entry in entries {
            let path = entry.map_err(|err| Error::io(&self.dir, err))?.path();
            if path.extension().is_some() {
                continue; // a temporary file
            }
            if let Some((header, _)) = read(&path, false)?
                && header.scope_matches(scope)
            {
                each(path, header);
            }
        }
        Ok(())
    }

    /// The sorted ids in `scope` updated after `since`.
    pub(crate) fn ids(
        &self,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        self.each_in(scope, |_, header| {
            if since.is_none_or(|since| header.updated > since) {
                ids.push(header.id);
            }
        })?;
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Deletes every document in `scope` (the caller holds the write lock).
    pub(crate) fn delete_scope(&self, scope: &DocumentScope) -> Result<u64> {
        let mut paths = Vec::new();
        self.each_in(scope, |path, _| paths.push(path))?;
        for path in &paths {
            match std::fs::remove_file(path) {
                Err(err) if err.kind() != IoErrorKind::NotFound => {
                    return Err(Error::io(path, err));
                }
                _ => {}
            }
        }
        Ok(u64::try_from(paths.len()).unwrap_or(u64::MAX))
    }
}

impl Documents {
    /// Deletes (counts, on a dry run) the states and agent profiles of the agent whose
    /// [`Ifi::key`](ralph_core::lrs::Ifi::key) is `agent` (the caller holds the write lock).
    pub(crate) fn delete_agent(&self, agent: &str, dry_run: bool) -> Result<u64> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == IoErrorKind::NotFound => return Ok(0),
            Err(err) => return Err(Error::io(&self.dir, err)),
        };
        let mut count = 0;
        for entry in entries {
            let path = entry.map_err(|err| Error::io(&self.dir, err))?.path();
            if path.extension().is_some() {
                continue;
            }
            if let Some((header, _)) = read(&path, false)?
                && header.agent == agent
                && matches!(header.kind.as_str(), "state" | "agent_profile")
            {
                count += 1;
                if !dry_run {
                    match std::fs::remove_file(&path) {
                        Err(err) if err.kind() != IoErrorKind::NotFound => {
                            return Err(Error::io(&path, err));
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(count)
    }
}

impl Attachments {
    /// Removes the attachment `sha2` (a missing one is not an error); returns whether it was
    /// there.
    pub(crate) fn remove(&self, sha2: &str) -> Result<bool> {
        let path = self.path(sha2)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == IoErrorKind::NotFound => Ok(false),
            Err(err) => Err(Error::io(&path, err)),
        }
    }
}

/// The attachments, in `dir`.
pub(crate) struct Attachments {
    pub(crate) dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct AttachmentHeader {
    content_type: String,
}

impl Attachments {
    fn path(&self, sha2: &str) -> Result<PathBuf> {
        if sha2.is_empty() || !sha2.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::invalid_input(format!(
                "attachment `sha2` `{sha2}`: hexadecimal digits are expected"
            )));
        }
        Ok(self.dir.join(sha2.to_ascii_lowercase()))
    }

    /// Keeps `attachment` unless its `sha2` is already kept.
    pub(crate) fn put(&self, attachment: &Attachment) -> Result<()> {
        let path = self.path(&attachment.sha2)?;
        if path.exists() {
            return Ok(());
        }
        let header = serde_json::to_vec(&AttachmentHeader {
            content_type: attachment.content_type.clone(),
        })
        .map_err(|e| Error::backend(format!("fs: {e}")))?;
        write_atomically(&path, &header, &attachment.content)
    }

    /// The attachment with this `sha2`.
    pub(crate) fn get(&self, sha2: &str) -> Result<Option<Attachment>> {
        let path = self.path(sha2)?;
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(err) if err.kind() == IoErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(Error::io(&path, err)),
        };
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|err| Error::io(&path, err))?;
        let header: AttachmentHeader = serde_json::from_str(&line).map_err(|e| {
            Error::backend(format!(
                "fs: `{}`: invalid attachment header: {e}",
                path.display()
            ))
        })?;
        let mut content = Vec::new();
        reader
            .read_to_end(&mut content)
            .map_err(|err| Error::io(&path, err))?;
        Ok(Some(Attachment {
            sha2: sha2.to_ascii_lowercase(),
            content_type: header.content_type,
            content: Bytes::from(content),
        }))
    }
}
