//! Records, and the decoding of JSON lines out of raw byte chunks.

use std::future::Future;

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use serde_json::Value;

use crate::{Error, ErrorKind, RecordStream, Result, WriteReport, WriteUnit};

/// One item flowing through ralph.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// Bytes as stored or received: a chunk of a file, of standard input, or a JSON line.
    Raw(Bytes),
    /// A decoded JSON document.
    Json(Value),
}

impl Record {
    /// The record as bytes to print: raw bytes verbatim, JSON as one compact line.
    pub fn into_bytes(self) -> Bytes {
        match self {
            Self::Raw(bytes) => bytes,
            Self::Json(value) => json_line(&value),
        }
    }
}

/// `value` as compact JSON followed by `\n`.
pub fn json_line(value: &Value) -> Bytes {
    let mut out = serde_json::to_vec(value).unwrap_or_default();
    out.push(b'\n');
    Bytes::from(out)
}

/// A JSON document with the (1-based) input line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRecord {
    /// The input line number (1-based), or the position of the record in the stream.
    pub line: u64,
    /// The document.
    pub value: Value,
}

/// Decodes a stream of records into JSON documents.
///
/// [`Record::Raw`] chunks are split on `\n` (a line may span chunks) and each non-blank line is
/// parsed; [`Record::Json`] records pass through. A line that is not JSON yields an
/// [`ErrorKind::InvalidInput`] error naming its line number, and decoding continues with the next
/// line, so the caller decides whether to stop or skip. Errors of the input stream itself pass
/// through unchanged.
pub fn json_records(input: RecordStream) -> impl Stream<Item = Result<JsonRecord>> + Send {
    struct State {
        input: RecordStream,
        buffer: BytesMut,
        line: u64,
        done: bool,
    }
    let state = State {
        input,
        buffer: BytesMut::new(),
        line: 0,
        done: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            // A complete line in the buffer?
            if let Some(pos) = st.buffer.iter().position(|&b| b == b'\n') {
                let line = st.buffer.split_to(pos + 1);
                st.line += 1;
                if let Some(item) = decode_line(&line[..pos], st.line) {
                    return Some((item, st));
                }
                continue;
            }
            if st.done {
                if st.buffer.is_empty() {
                    return None;
                }
                let line = st.buffer.split();
                st.line += 1;
                if let Some(item) = decode_line(&line, st.line) {
                    return Some((item, st));
                }
                continue;
            }
            match st.input.next().await {
                Some(Ok(Record::Raw(chunk))) => st.buffer.extend_from_slice(&chunk),
                Some(Ok(Record::Json(value))) => {
                    st.line += 1;
                    let line = st.line;
                    return Some((Ok(JsonRecord { line, value }), st));
                }
                Some(Err(err)) => return Some((Err(err), st)),
                None => st.done = true,
            }
        }
    })
}

fn decode_line(line: &[u8], number: u64) -> Option<Result<JsonRecord>> {
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() {
        return None;
    }
    Some(match serde_json::from_slice(trimmed) {
        Ok(value) => Ok(JsonRecord {
            line: number,
            value,
        }),
        Err(err) => Err(Error::invalid_input(format!(
            "line {number}: not valid JSON: {err}"
        ))),
    })
}

/// What a backend did with one chunk of records.
#[derive(Debug, Default)]
pub struct ChunkOutcome {
    /// Records acknowledged.
    pub written: u64,
    /// Records refused one by one (conflicting id, missing field), with the reason.
    pub failures: Vec<(u64, Error)>,
}

/// Drives a chunked write of JSON records, the shared loop of every record backend.
///
/// Decodes `input` with [`json_records`], hands chunks of `chunk_size` documents to `write_chunk`,
/// and applies the error policy: with `ignore_errors`, undecodable lines and refused records are
/// logged on the `ralph` target and counted as skipped; without it, the first one stops the write
/// with an error carrying the number of records written (the good records before it are written
/// first, so nothing valid is lost).
pub async fn write_json_chunks<F, Fut>(
    input: RecordStream,
    chunk_size: usize,
    ignore_errors: bool,
    mut write_chunk: F,
) -> Result<WriteReport>
where
    F: FnMut(Vec<JsonRecord>) -> Fut,
    Fut: Future<Output = Result<ChunkOutcome>>,
{
    let chunk_size = chunk_size.max(1);
    let mut report = WriteReport::new(WriteUnit::Records);
    let mut records = std::pin::pin!(json_records(input));
    let mut chunk = Vec::with_capacity(chunk_size.min(65_536));
    let mut pending_error: Option<Error> = None;
    loop {
        let next = records.next().await;
        let end = match next {
            Some(Ok(record)) => {
                chunk.push(record);
                false
            }
            Some(Err(err)) if err.kind() == ErrorKind::InvalidInput && ignore_errors => {
                tracing::warn!(target: "ralph", "skipped: {err}");
                report.skipped += 1;
                false
            }
            Some(Err(err)) => {
                pending_error = Some(err);
                true
            }
            None => true,
        };
        if chunk.len() >= chunk_size || (end && !chunk.is_empty()) {
            let batch = std::mem::replace(&mut chunk, Vec::with_capacity(chunk_size.min(65_536)));
            let outcome = write_chunk(batch)
                .await
                .map_err(|err| err.with_written(report.written))?;
            report.written += outcome.written;
            if let Some((line, err)) = outcome.failures.into_iter().find_map(|(line, err)| {
                if ignore_errors {
                    tracing::warn!(target: "ralph", "skipped line {line}: {err}");
                    report.skipped += 1;
                    None
                } else {
                    Some((line, err))
                }
            }) {
                return Err(err
                    .context(format!("line {line}"))
                    .with_written(report.written));
            }
        }
        if end {
            break;
        }
    }
    match pending_error {
        Some(err) => Err(err.with_written(report.written)),
        None => Ok(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(chunks: &[&'static str]) -> RecordStream {
        let items: Vec<Result<Record>> = chunks
            .iter()
            .map(|c| Ok(Record::Raw(Bytes::from_static(c.as_bytes()))))
            .collect();
        futures::stream::iter(items).boxed()
    }

    #[tokio::test]
    async fn lines_spanning_chunks_are_joined_and_numbered() {
        let out: Vec<_> = json_records(raw(&["{\"a\":", "1}\n\n{\"b\"", ":2}"]))
            .collect()
            .await;
        let out: Vec<_> = out.into_iter().map(|r| r.expect("valid")).collect();
        assert_eq!(
            out[0],
            JsonRecord {
                line: 1,
                value: json!({"a": 1})
            }
        );
        assert_eq!(
            out[1],
            JsonRecord {
                line: 3,
                value: json!({"b": 2})
            }
        );
    }

    #[tokio::test]
    async fn a_bad_line_names_its_number_and_decoding_goes_on() {
        let out: Vec<_> = json_records(raw(&["{}\nnope\n{}\n"])).collect().await;
        assert!(out[0].is_ok());
        let err = out[1].as_ref().expect_err("line 2 is not JSON");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(
            err.to_string().starts_with("line 2: not valid JSON"),
            "{err}"
        );
        assert_eq!(out[2].as_ref().map(|r| r.line).ok(), Some(3));
    }

    #[tokio::test]
    async fn a_bad_line_stops_after_the_good_ones_are_written() {
        let mut seen = Vec::new();
        let err = write_json_chunks(raw(&["1\n2\nx\n4\n"]), 10, false, |chunk| {
            seen.extend(chunk.iter().map(|r| r.value.clone()));
            let written = chunk.len() as u64;
            async move {
                Ok(ChunkOutcome {
                    written,
                    failures: vec![],
                })
            }
        })
        .await
        .expect_err("line 3 stops the write");
        assert_eq!(seen, vec![json!(1), json!(2)]);
        assert_eq!(err.written(), Some(2));
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[tokio::test]
    async fn ignore_errors_skips_bad_lines_and_refused_records() {
        let report = write_json_chunks(raw(&["1\nx\n2\n3\n"]), 2, true, |chunk| async move {
            let failures = chunk
                .iter()
                .filter(|r| r.value == json!(3))
                .map(|r| (r.line, Error::new(ErrorKind::Conflict, "exists")))
                .collect::<Vec<_>>();
            Ok(ChunkOutcome {
                written: chunk.len() as u64 - failures.len() as u64,
                failures,
            })
        })
        .await
        .expect("ignore errors");
        assert_eq!((report.written, report.skipped), (2, 2));
    }
}
