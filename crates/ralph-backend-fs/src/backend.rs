//! The `fs` backend: list, read and write.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::StreamExt;
use ralph_core::history::{History, HistoryAction, HistoryEntry};
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, FileDetails, ListEntry, ListStream, Listable,
    OperationType, ReadRequest, Readable, Record, RecordStream, Result, Writable, WriteOptions,
    WriteReport, WriteUnit,
};
use tokio::sync::mpsc;

use crate::FsSettings;

/// Chunks in flight between the disk thread and the consumer: bounds memory, keeps both busy.
const CHANNEL_DEPTH: usize = 16;
const NAME: &str = "fs";

/// Files in a local directory.
#[derive(Debug, Clone)]
pub struct FsBackend {
    settings: FsSettings,
    root: PathBuf,
    history: History,
}

impl FsBackend {
    /// Opens the backend, creating its default directory when missing.
    pub fn new(settings: FsSettings, history: History) -> Result<Self> {
        if settings
            .locale_encoding
            .to_ascii_lowercase()
            .replace('-', "")
            != "utf8"
        {
            return Err(Error::config(format!(
                "setting `backends.data.fs.locale_encoding`: only `utf8` is supported, found `{}`",
                settings.locale_encoding
            )));
        }
        let root = std::path::absolute(&settings.default_directory_path)
            .map_err(|err| Error::io(&settings.default_directory_path, err))?;
        std::fs::create_dir_all(&root).map_err(|err| Error::io(&root, err))?;
        Ok(Self {
            settings,
            root,
            history,
        })
    }

    /// The absolute default directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A target directory or file: absolute as is, relative under the default directory.
    fn resolve(&self, target: Option<&str>) -> PathBuf {
        match target {
            None | Some("") => self.root.clone(),
            Some(t) => self.root.join(t),
        }
    }

    /// The files of `dir` matching the glob `query`, sorted.
    fn matching_files(dir: &Path, query: &str) -> Result<Vec<PathBuf>> {
        if !dir.is_dir() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("directory `{}` does not exist", dir.display()),
            ));
        }
        let pattern = format!(
            "{}/{}",
            glob::Pattern::escape(&dir.to_string_lossy()),
            query
        );
        let paths = glob::glob(&pattern)
            .map_err(|err| Error::invalid_input(format!("invalid glob `{query}`: {err}")))?;
        let mut files = Vec::new();
        for path in paths {
            let path = path.map_err(|err| {
                let p = err.path().to_owned();
                Error::io(p, std::io::Error::from(err))
            })?;
            if path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }
}

fn modified_at(meta: &std::fs::Metadata) -> DateTime<Utc> {
    let at: DateTime<Utc> = meta
        .modified()
        .map(DateTime::from)
        .unwrap_or(DateTime::UNIX_EPOCH);
    DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at)
}

fn file_entry(action: HistoryAction, path: &Path, size: u64) -> HistoryEntry {
    let mut entry = HistoryEntry::now(NAME, action, path.to_string_lossy());
    entry.filename = path.file_name().map(|n| n.to_string_lossy().into_owned());
    entry.size = Some(size);
    entry
}

#[async_trait]
impl DataBackend for FsBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn status(&self) -> BackendStatus {
        let root = self.root.clone();
        let usable = tokio::task::spawn_blocking(move || {
            let Ok(meta) = std::fs::metadata(&root) else {
                return false;
            };
            // Read, write and traverse: listing and a probe file prove all three.
            meta.is_dir() && std::fs::read_dir(&root).is_ok() && tempfile_probe(&root).is_ok()
        })
        .await
        .unwrap_or(false);
        if usable {
            BackendStatus::Ok
        } else {
            BackendStatus::Error
        }
    }

    fn as_readable(&self) -> Option<&dyn Readable> {
        Some(self)
    }

    fn as_writable(&self) -> Option<&dyn Writable> {
        Some(self)
    }

    fn as_listable(&self) -> Option<&dyn Listable> {
        Some(self)
    }
}

fn tempfile_probe(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".ralph-status-{}", uuid::Uuid::new_v4()));
    File::create(&probe)?;
    std::fs::remove_file(probe)
}

#[async_trait]
impl Listable for FsBackend {
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream> {
        let dir = self.resolve(target.as_deref());
        let history = self.history.clone();
        let entries = tokio::task::spawn_blocking(move || -> Result<Vec<Result<ListEntry>>> {
            let already_read = if new {
                history.read_ids(NAME)?
            } else {
                Default::default()
            };
            let files = FsBackend::matching_files(&dir, "*")?;
            Ok(files
                .into_iter()
                .filter(|p| !already_read.contains(p.to_string_lossy().as_ref()))
                .map(|path| {
                    if !details {
                        return Ok(ListEntry::Id(path.to_string_lossy().into_owned()));
                    }
                    let meta = std::fs::metadata(&path).map_err(|err| Error::io(&path, err))?;
                    let details = FileDetails {
                        path: path.to_string_lossy().into_owned(),
                        size: meta.len(),
                        modified_at: modified_at(&meta),
                    };
                    serde_json::to_value(details)
                        .map(ListEntry::Details)
                        .map_err(|err| Error::backend(err.to_string()))
                })
                .collect())
        })
        .await
        .map_err(|err| Error::backend(format!("listing task failed: {err}")))??;
        Ok(futures::stream::iter(entries).boxed())
    }
}

#[async_trait]
impl Readable for FsBackend {
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        let dir = self.resolve(request.target.as_deref());
        let query = request
            .query
            .clone()
            .unwrap_or_else(|| self.settings.default_query_string.clone());
        let files = {
            let (dir, query) = (dir.clone(), query.clone());
            tokio::task::spawn_blocking(move || FsBackend::matching_files(&dir, &query))
                .await
                .map_err(|err| Error::backend(format!("listing task failed: {err}")))??
        };
        if files.is_empty() {
            tracing::warn!(target: "ralph", "no file matches `{query}` in `{}`", dir.display());
        }
        let chunk_size = request
            .chunk_size
            .unwrap_or(self.settings.read_chunk_size)
            .max(1);
        let (tx, rx) = mpsc::channel::<Result<Record>>(CHANNEL_DEPTH);
        let history = self.history.clone();
        tokio::task::spawn_blocking(move || {
            let mut reader = FileReader {
                tx,
                remaining: request.max_statements.filter(|&n| n > 0),
                ignore_errors: request.ignore_errors,
            };
            for path in files {
                let outcome = if request.raw_output {
                    reader.raw(&path, chunk_size)
                } else {
                    reader.json_lines(&path)
                };
                match outcome {
                    Ok(Flow::Continue(size)) => {
                        if let Err(err) =
                            history.append([file_entry(HistoryAction::Read, &path, size)])
                        {
                            tracing::warn!(target: "ralph", "cannot record the read in the history: {err}");
                        }
                    }
                    Ok(Flow::Stop) => return,
                    Err(err) => {
                        let _ = reader.tx.blocking_send(Err(err));
                        return;
                    }
                }
            }
        });
        Ok(tokio_stream(rx))
    }
}

fn tokio_stream<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> futures::stream::BoxStream<'static, T> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}

enum Flow {
    /// The file was read to its end; its size.
    Continue(u64),
    /// The consumer is gone, a record failed or the record limit is reached.
    Stop,
}

struct FileReader {
    tx: mpsc::Sender<Result<Record>>,
    remaining: Option<u64>,
    ignore_errors: bool,
}

impl FileReader {
    /// Sends a record; `false` when the consumer is gone or the limit is reached.
    fn send(&mut self, record: Result<Record>) -> bool {
        if self.tx.blocking_send(record).is_err() {
            return false;
        }
        match &mut self.remaining {
            Some(n) => {
                *n -= 1;
                *n > 0
            }
            None => true,
        }
    }

    fn raw(&mut self, path: &Path, chunk_size: usize) -> Result<Flow> {
        let mut file = File::open(path).map_err(|err| Error::io(path, err))?;
        let mut size = 0u64;
        loop {
            let mut buf = vec![0u8; chunk_size];
            let mut filled = 0;
            // Fill whole chunks so chunk boundaries do not depend on the OS.
            while filled < chunk_size {
                match file.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(Error::io(path, err)),
                }
            }
            if filled == 0 {
                return Ok(Flow::Continue(size));
            }
            size += filled as u64;
            buf.truncate(filled);
            if !self.send(Ok(Record::Raw(Bytes::from(buf)))) {
                return Ok(Flow::Stop);
            }
        }
    }

    fn json_lines(&mut self, path: &Path) -> Result<Flow> {
        let file = File::open(path).map_err(|err| Error::io(path, err))?;
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        let mut line = Vec::new();
        let mut number = 0u64;
        let mut size = 0u64;
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|err| Error::io(path, err))?;
            if n == 0 {
                return Ok(Flow::Continue(size));
            }
            size += n as u64;
            number += 1;
            let text = line.trim_ascii();
            if text.is_empty() {
                continue;
            }
            match serde_json::from_slice(text) {
                Ok(value) => {
                    if !self.send(Ok(Record::Json(value))) {
                        return Ok(Flow::Stop);
                    }
                }
                Err(err) => {
                    let err = Error::invalid_input(format!(
                        "`{}` line {number}: not valid JSON: {err}",
                        path.display()
                    ));
                    if self.ignore_errors {
                        tracing::warn!(target: "ralph", "skipped: {err}");
                    } else {
                        let _ = self.tx.blocking_send(Err(err));
                        return Ok(Flow::Stop);
                    }
                }
            }
        }
    }
}

#[async_trait]
impl Writable for FsBackend {
    fn default_operation_type(&self) -> OperationType {
        OperationType::Create
    }

    fn unsupported_operation_types(&self) -> &'static [OperationType] {
        &[OperationType::Delete]
    }

    async fn write(&self, mut input: RecordStream, options: WriteOptions) -> Result<WriteReport> {
        let op = self.resolve_operation_type(&options)?;
        let path = match options.target.as_deref() {
            Some(t) if !t.is_empty() => self.resolve(Some(t)),
            _ => self.root.join(format!(
                "{}-{}",
                Utc::now().to_rfc3339_opts(SecondsFormat::Micros, false),
                uuid::Uuid::new_v4()
            )),
        };
        let capacity = options
            .chunk_size
            .unwrap_or(self.settings.write_chunk_size)
            .max(1);
        let file = open_for(&path, op)?;
        let (tx, mut rx) = mpsc::channel::<Bytes>(CHANNEL_DEPTH);
        let writer_path = path.clone();
        let writer = tokio::task::spawn_blocking(move || -> Result<()> {
            let mut out = BufWriter::with_capacity(capacity, file);
            while let Some(chunk) = rx.blocking_recv() {
                out.write_all(&chunk)
                    .map_err(|err| Error::io(&writer_path, err))?;
            }
            out.flush().map_err(|err| Error::io(&writer_path, err))?;
            out.into_inner()
                .map_err(|err| Error::io(&writer_path, err.into_error()))?
                .sync_data()
                .map_err(|err| Error::io(&writer_path, err))
        });
        let mut report = WriteReport::new(WriteUnit::Files);
        let mut failure = None;
        while let Some(item) = input.next().await {
            match item {
                Ok(record) => {
                    let bytes = record.into_bytes();
                    report.bytes += bytes.len() as u64;
                    if tx.send(bytes).await.is_err() {
                        break; // the writer failed: its error is reported below
                    }
                }
                Err(err) => {
                    failure = Some(err);
                    break;
                }
            }
        }
        drop(tx);
        writer
            .await
            .map_err(|err| Error::backend(format!("writer task failed: {err}")))??;
        if let Some(err) = failure {
            return Err(err);
        }
        report.written = 1;
        report.location = Some(path.to_string_lossy().into_owned());
        let mut entry = file_entry(HistoryAction::Write, &path, report.bytes);
        entry.operation_type = Some(op.to_string());
        if let Err(err) = self.history.append([entry]) {
            tracing::warn!(target: "ralph", "cannot record the write in the history: {err}");
        }
        Ok(report)
    }
}

fn open_for(path: &Path, op: OperationType) -> Result<File> {
    if let Some(parent) = path.parent()
        && !parent.is_dir()
    {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("directory `{}` does not exist", parent.display()),
        ));
    }
    let mut options = OpenOptions::new();
    match op {
        OperationType::Create | OperationType::Index => options.write(true).create_new(true),
        OperationType::Update => options.write(true).create(true).truncate(true),
        OperationType::Append => options.append(true).create(true),
        OperationType::Delete => {
            return Err(Error::unsupported(
                "`delete` operation type is not allowed by this backend",
            ));
        }
    };
    options.open(path).map_err(|err| {
        if err.kind() == std::io::ErrorKind::AlreadyExists {
            Error::new(
                ErrorKind::Conflict,
                format!(
                    "`{}` already exists and overwrite is not allowed with operation type create or index; use `-o update` or `-o append`",
                    path.display()
                ),
            )
        } else {
            Error::io(path, err)
        }
    })
}
