//! `ralph read` (alias `fetch`).

use futures::StreamExt;
use ralph_core::registry::Registry;
use ralph_core::settings::Settings;
use ralph_core::{Error, ReadRequest};

use crate::cli::ReadArgs;
use crate::io::{Output, Progress, Stdout};

/// Streams the records of a backend to standard output: raw bytes verbatim, JSON as lines.
pub async fn run(registry: &Registry, settings: Settings, args: ReadArgs) -> anyhow::Result<()> {
    let backend = super::open_backend(registry, settings, &args.backend).await?;
    let readable = backend.as_readable().ok_or_else(|| {
        Error::unsupported(format!("backend `{}` cannot be read from", args.backend))
    })?;
    let request = ReadRequest {
        query: args.query,
        target: args.target,
        chunk_size: args.chunk_size,
        raw_output: true,
        ignore_errors: args.ignore_errors || args.ignore_errors_value.unwrap_or(false),
        max_statements: args.max_statements,
    };
    let mut records = readable.read(request).await?;
    let mut out = Stdout::new();
    let mut progress = Progress::new("read");
    while let Some(record) = records.next().await {
        let bytes = record?.into_bytes();
        progress.add(bytes.len() as u64);
        if out.write(&bytes)? == Output::BrokenPipe {
            return Ok(());
        }
    }
    progress.finish();
    if out.flush()? == Output::BrokenPipe {
        return Ok(());
    }
    backend.close().await?;
    Ok(())
}
