//! Deletion and rewriting of statements in the `fs` store: the target's file is copied to a
//! temporary file without (or with new versions of) the statements, synced, and renamed over
//! the original, so a crash leaves the old file or the new one, never half of each. Queries'
//! `more` cursors (byte offsets) taken before a rewrite do not survive it.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, ErrorKind as IoErrorKind, Write};
use std::path::PathBuf;

use ralph_core::{Error, Result};

use super::{Head, Inner};

impl Inner {
    /// Rewrites the file of `target`: each line whose statement id `change` maps to `None` goes,
    /// to `Some(line)` is replaced; returns how many lines changed.
    fn rewrite(
        &self,
        target: Option<&str>,
        mut change: impl FnMut(&str) -> Option<Option<String>>,
    ) -> Result<u64> {
        let path = self.file_of(target)?;
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(err) if err.kind() == IoErrorKind::NotFound => return Ok(0),
            Err(err) => return Err(Error::io(&path, err)),
        };
        let temporary = path.with_extension("rewrite");
        let out = File::create(&temporary).map_err(|err| Error::io(&temporary, err))?;
        let mut writer = BufWriter::with_capacity(self.write_chunk_size, out);
        let mut reader = BufReader::with_capacity(self.read_chunk_size, file);
        let mut line = Vec::new();
        let mut changed = 0;
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|err| Error::io(&path, err))?;
            if read == 0 {
                break;
            }
            let content = line.trim_ascii();
            let id = Head::parse(content).and_then(|h| h.id);
            let replacement = id.as_deref().and_then(&mut change);
            let result = match replacement {
                None => writer.write_all(&line).and_then(|()| {
                    if line.last() == Some(&b'\n') {
                        Ok(())
                    } else {
                        writer.write_all(b"\n")
                    }
                }),
                Some(None) => {
                    changed += 1;
                    Ok(())
                }
                Some(Some(new)) => {
                    changed += 1;
                    writer
                        .write_all(new.as_bytes())
                        .and_then(|()| writer.write_all(b"\n"))
                }
            };
            result.map_err(|err| Error::io(&temporary, err))?;
        }
        if changed == 0 {
            drop(writer);
            let _ = std::fs::remove_file(&temporary);
            return Ok(0);
        }
        let out = writer
            .into_inner()
            .map_err(|err| Error::io(&temporary, err.into_error()))?;
        out.sync_all().map_err(|err| Error::io(&temporary, err))?;
        std::fs::rename(&temporary, &path).map_err(|err| Error::io(&path, err))?;
        Ok(changed)
    }

    /// Removes the statements with these ids from the file of `target`.
    pub(super) fn remove_statements(&self, target: Option<&str>, ids: &[String]) -> Result<u64> {
        let ids: HashSet<&str> = ids.iter().map(String::as_str).collect();
        self.rewrite(target, |id| ids.contains(id).then_some(None))
    }

    /// Replaces the statements of the file of `target` with those of the same ids.
    pub(super) fn replace_statements(
        &self,
        target: Option<&str>,
        statements: Vec<serde_json::Value>,
    ) -> Result<u64> {
        let mut lines = HashMap::new();
        for statement in statements {
            let Some(id) = ralph_core::lrs::statement_id(&statement).map(str::to_owned) else {
                continue;
            };
            let line = serde_json::to_string(&statement)
                .map_err(|e| Error::backend(format!("fs: statement `{id}`: {e}")))?;
            lines.insert(id, line);
        }
        self.rewrite(target, |id| lines.get(id).map(|l| Some(l.clone())))
    }

    /// Every statements file under the root (the default target's and each target's).
    fn statement_files(&self) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        let mut dirs = vec![self.root.clone()];
        while let Some(dir) = dirs.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(err) if err.kind() == IoErrorKind::NotFound => continue,
                Err(err) => return Err(Error::io(&dir, err)),
            };
            for entry in entries {
                let entry = entry.map_err(|err| Error::io(&dir, err))?;
                let path = entry.path();
                let name = entry.file_name();
                if name.to_string_lossy().starts_with(".ralph-") {
                    continue;
                }
                if path.is_dir() {
                    dirs.push(path);
                } else if name.to_string_lossy() == self.file_name {
                    out.push(path);
                }
            }
        }
        Ok(out)
    }

    /// Removes the attachments `sha2s` that no statement file mentions any more.
    pub(super) fn remove_unreferenced_attachments(&self, sha2s: &[String]) -> Result<u64> {
        let mut unused: HashSet<String> = sha2s.iter().map(|s| s.to_ascii_lowercase()).collect();
        for file in self.statement_files()? {
            if unused.is_empty() {
                break;
            }
            self.scan(&file, |_, line| {
                let text = String::from_utf8_lossy(line);
                unused.retain(|sha2| !text.contains(sha2.as_str()));
                !unused.is_empty()
            })?;
        }
        let attachments = self.attachments();
        let mut removed = 0;
        for sha2 in unused {
            if attachments.remove(&sha2)? {
                removed += 1;
            }
        }
        Ok(removed)
    }
}
