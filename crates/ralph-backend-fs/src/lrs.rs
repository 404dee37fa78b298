//! The `fs` LRS store: statements as JSON lines, one file per target.
//!
//! The file of a target is `{default_directory_path}/{target}/{default_lrs_file}` (no target:
//! directly in the directory). Statements are appended in the order they are stored, so the
//! position of a line (its byte offset) is the stored order and the page cursor. Nothing is kept
//! in memory between calls: every call streams the file, and a query holds at most one page
//! (plus the ids of voided statements). Inserts are serialised within the process and each is
//! one append followed by `fsync`, so an acknowledged statement is on disk.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, ErrorKind as IoErrorKind, Read, Seek, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

mod documents;
mod privacy;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ralph_core::lrs::{
    Attachment, Document, DocumentKey, DocumentScope, FoundStatement, Ifi, LrsStore, Precondition,
    StatementPage, StatementQuery, VOIDED_VERB, equivalent, referenced_statement, statement_id,
    voided_target,
};
use ralph_core::{BackendStatus, Error, ErrorKind, Result};
use serde::Deserialize;
use serde_json::Value;

use crate::settings::FsLrsSettings;

/// The xAPI statements of an LRS in JSON lines files (`ralph runserver -b fs`).
///
/// Unlike Ralph's fs store, every write is accepted (statements are appended to the file) and
/// the `verb` and `activity` filters work. Each insert and each query reads the whole file of
/// its target, so this store suits small LRSs, tests and demonstrations; the `sqlite` store
/// indexes statements.
#[derive(Debug)]
pub struct FsLrsStore {
    inner: Arc<Inner>,
    write_lock: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    file_name: String,
    read_chunk_size: usize,
    write_chunk_size: usize,
}

/// What a scan needs of a line without keeping the statement: its id and whether it voids.
#[derive(Deserialize)]
struct Head {
    id: Option<String>,
    verb: Option<HeadVerb>,
    object: Option<HeadObject>,
}

#[derive(Deserialize)]
struct HeadVerb {
    id: Option<String>,
}

#[derive(Deserialize)]
struct HeadObject {
    #[serde(rename = "objectType")]
    object_type: Option<String>,
    id: Option<String>,
}

impl Head {
    fn parse(line: &[u8]) -> Option<Self> {
        serde_json::from_slice(line).ok()
    }

    /// The id of the statement this one voids, when it is a voiding statement.
    fn voids(&self) -> Option<&str> {
        let verb = self.verb.as_ref()?.id.as_deref()?;
        let object = self.object.as_ref()?;
        if verb == VOIDED_VERB && object.object_type.as_deref() == Some("StatementRef") {
            object.id.as_deref()
        } else {
            None
        }
    }
}

impl FsLrsStore {
    /// Opens the store on `settings`, creating its directory when missing.
    pub fn new(settings: &FsLrsSettings) -> Result<Self> {
        if settings
            .locale_encoding
            .to_ascii_lowercase()
            .replace('-', "")
            != "utf8"
        {
            return Err(Error::config(format!(
                "setting `backends.lrs.fs.locale_encoding`: only `utf8` is supported, found `{}`",
                settings.locale_encoding
            )));
        }
        if settings.default_lrs_file.is_empty()
            || Path::new(&settings.default_lrs_file).components().count() != 1
        {
            return Err(Error::config(format!(
                "setting `backends.lrs.fs.default_lrs_file`: a file name is expected, found `{}`",
                settings.default_lrs_file
            )));
        }
        let root = std::path::absolute(&settings.default_directory_path)
            .map_err(|err| Error::io(&settings.default_directory_path, err))?;
        std::fs::create_dir_all(&root).map_err(|err| Error::io(&root, err))?;
        Ok(Self {
            inner: Arc::new(Inner {
                root,
                file_name: settings.default_lrs_file.clone(),
                read_chunk_size: settings.read_chunk_size.max(1),
                write_chunk_size: settings.write_chunk_size.max(1),
            }),
            write_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// The absolute directory of the store.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The statements file of `target`.
    pub fn file_of(&self, target: Option<&str>) -> Result<PathBuf> {
        self.inner.file_of(target)
    }

    async fn blocking<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| Error::backend(format!("fs: task failed: {e}")))?
    }
}

impl Inner {
    /// The documents of `target`, next to its statements file.
    fn documents(&self, target: Option<&str>) -> Result<documents::Documents> {
        let file = self.file_of(target)?;
        let dir = file
            .parent()
            .unwrap_or(&self.root)
            .join(documents::DOCUMENTS_DIR);
        Ok(documents::Documents { dir })
    }

    fn attachments(&self) -> documents::Attachments {
        documents::Attachments {
            dir: self.root.join(documents::ATTACHMENTS_DIR),
        }
    }

    fn file_of(&self, target: Option<&str>) -> Result<PathBuf> {
        match target {
            None | Some("") => Ok(self.root.join(&self.file_name)),
            Some(t) => {
                // Targets come from the credentials file; still, they must stay under the root.
                let path = Path::new(t);
                if !path.components().all(|c| matches!(c, Component::Normal(_))) {
                    return Err(Error::invalid_input(format!(
                        "target `{t}`: a relative directory without `..` is expected"
                    )));
                }
                Ok(self.root.join(path).join(&self.file_name))
            }
        }
    }

    /// Calls `each(offset, line)` for every complete line of `path` (a missing file has none),
    /// until it returns `false`. A last line without its newline is being written: skipped.
    fn scan(&self, path: &Path, mut each: impl FnMut(u64, &[u8]) -> bool) -> Result<()> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(err) if err.kind() == IoErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(Error::io(path, err)),
        };
        let mut reader = BufReader::with_capacity(self.read_chunk_size, file);
        let mut line = Vec::new();
        let mut offset = 0u64;
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|err| Error::io(path, err))?;
            if read == 0 || line.last() != Some(&b'\n') {
                return Ok(());
            }
            let content = line.trim_ascii();
            if !content.is_empty() && !each(offset, content) {
                return Ok(());
            }
            offset += read as u64;
        }
    }

    /// The ids of the statements voided by a voiding statement of `path`.
    fn voided_ids(&self, path: &Path) -> Result<HashSet<String>> {
        let mut voided = HashSet::new();
        self.scan(path, |_, line| {
            // Cheap pre-check: every voiding statement names the verb `…/voided`.
            if line.windows(6).any(|w| w == b"voided")
                && let Some(head) = Head::parse(line)
                && let Some(target) = head.voids()
            {
                voided.insert(target.to_owned());
            }
            true
        })?;
        Ok(voided)
    }

    fn insert(&self, target: Option<&str>, statements: Vec<Value>) -> Result<Vec<String>> {
        let path = self.file_of(target)?;
        let mut ids = Vec::with_capacity(statements.len());
        for statement in &statements {
            let Some(id) = statement_id(statement) else {
                return Err(Error::invalid_input("statement has no string `id`"));
            };
            ids.push(id.to_owned());
        }
        // The stored statements that matter: those with a batch id (kept whole, to compare) and
        // the targets of batch voiding statements (whether they void too).
        let wanted: HashSet<&str> = ids
            .iter()
            .map(String::as_str)
            .chain(statements.iter().filter_map(voided_target))
            .collect();
        let mut stored: HashMap<String, (Option<Value>, bool)> = HashMap::new();
        let mut bad_line = None;
        self.scan(&path, |offset, line| {
            let Some(head) = Head::parse(line) else {
                bad_line.get_or_insert(offset);
                return true;
            };
            if let Some(id) = head.id.as_deref()
                && wanted.contains(id)
            {
                let whole = if ids.iter().any(|i| i == id) {
                    serde_json::from_slice(line).ok()
                } else {
                    None
                };
                stored.insert(id.to_owned(), (whole, head.voids().is_some()));
            }
            true
        })?;
        if let Some(offset) = bad_line {
            tracing::warn!(target: "ralph", "fs: `{}`: line at byte {offset} is not a statement; ignored", path.display());
        }

        let mut lines = Vec::new();
        let mut inserted = Vec::new();
        let mut batch: HashMap<&str, (&Value, bool)> = HashMap::new();
        for (statement, id) in statements.iter().zip(&ids) {
            let existing = batch
                .get(id.as_str())
                .map(|(s, _)| Some(*s))
                .or_else(|| stored.get(id.as_str()).map(|(whole, _)| whole.as_ref()));
            if let Some(existing) = existing {
                if existing.is_some_and(|e| equivalent(e, statement)) {
                    continue;
                }
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("a different statement is already stored with id `{id}`"),
                ));
            }
            let voids = voided_target(statement);
            if let Some(voided_id) = voids {
                let target_voids = batch
                    .get(voided_id)
                    .map(|(_, v)| *v)
                    .or_else(|| stored.get(voided_id).map(|(_, v)| *v));
                if target_voids == Some(true) {
                    return Err(Error::invalid_input(format!(
                        "statement `{id}` voids `{voided_id}`, a voiding statement: voiding statements cannot be voided"
                    )));
                }
            }
            let line = serde_json::to_string(statement)
                .map_err(|e| Error::invalid_input(format!("statement `{id}`: {e}")))?;
            lines.push(line);
            inserted.push(id.clone());
            batch.insert(id, (statement, voids.is_some()));
        }
        if lines.is_empty() {
            return Ok(inserted);
        }
        self.append(&path, &lines)?;
        Ok(inserted)
    }

    fn append(&self, path: &Path, lines: &[String]) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(|err| Error::io(path, err))?;
        // A line cut short (a crash mid-write) must not swallow the first new statement.
        let len = file.metadata().map_err(|err| Error::io(path, err))?.len();
        let mut needs_newline = false;
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(std::io::SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(|err| Error::io(path, err))?;
            needs_newline = last[0] != b'\n';
        }
        let mut writer = BufWriter::with_capacity(self.write_chunk_size, &mut file);
        let written = (|| {
            if needs_newline {
                writer.write_all(b"\n")?;
            }
            for line in lines {
                writer.write_all(line.as_bytes())?;
                writer.write_all(b"\n")?;
            }
            writer.flush()
        })();
        drop(writer);
        written
            .and_then(|()| file.sync_data())
            .map_err(|err| Error::io(path, err))
    }

    fn query(&self, target: Option<&str>, query: &StatementQuery) -> Result<StatementPage> {
        let path = self.file_of(target)?;
        let cursor = match query.cursor.as_deref() {
            None => None,
            Some(c) => Some(
                c.parse::<u64>()
                    .map_err(|_| Error::invalid_input(format!("invalid cursor `{c}`")))?,
            ),
        };
        let limit = query.limit.max(1);
        let voided = self.voided_ids(&path)?;
        let keep = |line: &[u8]| -> Option<Value> {
            let statement: Value = serde_json::from_slice(line).ok()?;
            let id = statement_id(&statement)?;
            if voided.contains(id) && voided_target(&statement).is_none() {
                return None;
            }
            if query.matches(&statement) {
                return Some(statement);
            }
            // Filters may be met through the statements a `StatementRef` targets: each lookup
            // reads the file again, which this store accepts for its small LRSs.
            if query.follows_references() && referenced_statement(&statement).is_some() {
                let mut resolve = |id: &str| {
                    self.get(target, id)
                        .ok()
                        .flatten()
                        .map(|found| found.statement)
                };
                if query.matches_through_references(&statement, &mut resolve) {
                    return Some(statement);
                }
            }
            None
        };
        // Most recent first: the last `limit + 1` matches before the cursor, newest first.
        // Oldest first: the first `limit + 1` matches after the cursor.
        let mut found: VecDeque<(u64, Value)> = VecDeque::with_capacity(limit + 1);
        self.scan(&path, |offset, line| {
            if query.ascending {
                if cursor.is_some_and(|c| offset <= c) {
                    return true;
                }
                if let Some(statement) = keep(line) {
                    found.push_back((offset, statement));
                }
                found.len() <= limit
            } else {
                if cursor.is_some_and(|c| offset >= c) {
                    return false;
                }
                if let Some(statement) = keep(line) {
                    if found.len() > limit {
                        found.pop_front();
                    }
                    found.push_back((offset, statement));
                }
                true
            }
        })?;
        let more_exists = found.len() > limit;
        let page: Vec<(u64, Value)> = if query.ascending {
            found.into_iter().take(limit).collect()
        } else {
            found.into_iter().rev().take(limit).collect()
        };
        let more = if more_exists {
            page.last().map(|(offset, _)| offset.to_string())
        } else {
            None
        };
        Ok(StatementPage {
            statements: page.into_iter().map(|(_, s)| s).collect(),
            more,
        })
    }

    fn get(&self, target: Option<&str>, id: &str) -> Result<Option<FoundStatement>> {
        let path = self.file_of(target)?;
        let mut found: Option<Value> = None;
        let mut voided_by = false;
        let needle = id.as_bytes();
        self.scan(&path, |_, line| {
            if needle.is_empty() || !line.windows(needle.len()).any(|w| w == needle) {
                return true;
            }
            if let Some(head) = Head::parse(line) {
                if found.is_none() && head.id.as_deref() == Some(id) {
                    found = serde_json::from_slice(line).ok();
                }
                if head.voids() == Some(id) {
                    voided_by = true;
                }
            }
            true
        })?;
        Ok(found.map(|statement| {
            let voided = voided_by && voided_target(&statement).is_none();
            FoundStatement { statement, voided }
        }))
    }

    fn status(&self) -> BackendStatus {
        match std::fs::metadata(&self.root) {
            Ok(meta) if meta.is_dir() && !meta.permissions().readonly() => BackendStatus::Ok,
            _ => BackendStatus::Error,
        }
    }
}

#[async_trait]
impl LrsStore for FsLrsStore {
    fn name(&self) -> &'static str {
        "fs"
    }

    async fn status(&self) -> BackendStatus {
        self.blocking(|inner| Ok(inner.status()))
            .await
            .unwrap_or(BackendStatus::Error)
    }

    async fn insert(&self, target: Option<&str>, statements: Vec<Value>) -> Result<Vec<String>> {
        // One writer at a time: the check for stored ids and the append form one step.
        let _guard = self.write_lock.lock().await;
        let target = target.map(str::to_owned);
        self.blocking(move |inner| inner.insert(target.as_deref(), statements))
            .await
    }

    async fn query(&self, target: Option<&str>, query: &StatementQuery) -> Result<StatementPage> {
        let target = target.map(str::to_owned);
        let query = query.clone();
        self.blocking(move |inner| inner.query(target.as_deref(), &query))
            .await
    }

    async fn get(&self, target: Option<&str>, id: &str) -> Result<Option<FoundStatement>> {
        let target = target.map(str::to_owned);
        let id = id.to_owned();
        self.blocking(move |inner| inner.get(target.as_deref(), &id))
            .await
    }

    async fn document(&self, target: Option<&str>, key: &DocumentKey) -> Result<Option<Document>> {
        let target = target.map(str::to_owned);
        let key = key.clone();
        self.blocking(move |inner| inner.documents(target.as_deref())?.get(&key))
            .await
    }

    async fn document_ids(
        &self,
        target: Option<&str>,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>> {
        let target = target.map(str::to_owned);
        let scope = scope.clone();
        self.blocking(move |inner| inner.documents(target.as_deref())?.ids(&scope, since))
            .await
    }

    async fn put_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        document: Document,
        precondition: &Precondition,
    ) -> Result<()> {
        let _guard = self.write_lock.lock().await;
        let target = target.map(str::to_owned);
        let (key, precondition) = (key.clone(), precondition.clone());
        self.blocking(move |inner| {
            inner
                .documents(target.as_deref())?
                .put(&key, &document, &precondition)
        })
        .await
    }

    async fn delete_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        precondition: &Precondition,
    ) -> Result<()> {
        let _guard = self.write_lock.lock().await;
        let target = target.map(str::to_owned);
        let (key, precondition) = (key.clone(), precondition.clone());
        self.blocking(move |inner| {
            inner
                .documents(target.as_deref())?
                .delete(&key, &precondition)
        })
        .await
    }

    async fn delete_documents(&self, target: Option<&str>, scope: &DocumentScope) -> Result<u64> {
        let _guard = self.write_lock.lock().await;
        let target = target.map(str::to_owned);
        let scope = scope.clone();
        self.blocking(move |inner| inner.documents(target.as_deref())?.delete_scope(&scope))
            .await
    }

    async fn put_attachment(&self, attachment: Attachment) -> Result<()> {
        let _guard = self.write_lock.lock().await;
        self.blocking(move |inner| inner.attachments().put(&attachment))
            .await
    }

    async fn attachment(&self, sha2: &str) -> Result<Option<Attachment>> {
        let sha2 = sha2.to_owned();
        self.blocking(move |inner| inner.attachments().get(&sha2))
            .await
    }

    async fn remove_statements(&self, target: Option<&str>, ids: &[String]) -> Result<u64> {
        let _guard = self.write_lock.lock().await;
        let (target, ids) = (target.map(str::to_owned), ids.to_vec());
        self.blocking(move |inner| inner.remove_statements(target.as_deref(), &ids))
            .await
    }

    async fn replace_statements(
        &self,
        target: Option<&str>,
        statements: Vec<Value>,
    ) -> Result<u64> {
        let _guard = self.write_lock.lock().await;
        let target = target.map(str::to_owned);
        self.blocking(move |inner| inner.replace_statements(target.as_deref(), statements))
            .await
    }

    async fn remove_unreferenced_attachments(&self, sha2s: &[String]) -> Result<u64> {
        let _guard = self.write_lock.lock().await;
        let sha2s = sha2s.to_vec();
        self.blocking(move |inner| inner.remove_unreferenced_attachments(&sha2s))
            .await
    }

    async fn delete_agent_documents(
        &self,
        target: Option<&str>,
        agent: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        let _guard = self.write_lock.lock().await;
        let (target, agent) = (target.map(str::to_owned), agent.key());
        self.blocking(move |inner| {
            inner
                .documents(target.as_deref())?
                .delete_agent(&agent, dry_run)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store(dir: &Path) -> FsLrsStore {
        FsLrsStore::new(&FsLrsSettings {
            default_directory_path: dir.to_owned(),
            ..Default::default()
        })
        .expect("open")
    }

    #[test]
    fn targets_must_stay_under_the_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path());
        assert!(store.file_of(Some("../x")).is_err());
        assert!(store.file_of(Some("/etc")).is_err());
        assert_eq!(
            store.file_of(Some("a/b")).expect("nested"),
            store.root().join("a/b/fs_lrs.jsonl")
        );
    }

    #[tokio::test]
    async fn a_line_cut_short_is_ignored_and_not_glued_to_the_next() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path());
        let path = store.file_of(None).expect("path");
        std::fs::write(&path, "{\"id\": \"cut").expect("write");
        let s = json!({"id": "00000000-0000-4000-8000-000000000001", "actor": {"mbox": "mailto:a@b.c"},
                       "verb": {"id": "http://v"}, "object": {"id": "http://o"}});
        store.insert(None, vec![s.clone()]).await.expect("insert");
        let page = store
            .query(
                None,
                &StatementQuery {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .expect("query");
        assert_eq!(page.statements, vec![s]);
    }
}
