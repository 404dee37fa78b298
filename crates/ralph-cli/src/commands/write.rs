//! `ralph write` (alias `push`).

use ralph_core::registry::Registry;
use ralph_core::settings::Settings;
use ralph_core::{Error, WriteOptions, WriteUnit};

use crate::cli::WriteArgs;
use crate::io::{Progress, stdin_stream};

/// Streams standard input to a backend and logs what was written.
pub async fn run(registry: &Registry, settings: Settings, args: WriteArgs) -> anyhow::Result<()> {
    let backend = super::open_backend(registry, settings, &args.backend).await?;
    let writable = backend.as_writable().ok_or_else(|| {
        Error::unsupported(format!("backend `{}` cannot be written to", args.backend))
    })?;
    let options = WriteOptions {
        target: args.target,
        chunk_size: args.chunk_size,
        ignore_errors: args.ignore_errors,
        operation_type: args.operation_type.as_deref().map(str::parse).transpose()?,
        concurrency: args.concurrency,
    };
    let input = Progress::new("write").wrap(stdin_stream());
    let report = writable.write(input, options).await?;
    let location = report
        .location
        .as_deref()
        .map(|l| format!(" to {l}"))
        .unwrap_or_default();
    match report.unit {
        WriteUnit::Files => tracing::info!(
            "written {} file(s), {} bytes{location}",
            report.written,
            report.bytes
        ),
        WriteUnit::Records if report.skipped > 0 => tracing::info!(
            "written {} records{location}, {} skipped",
            report.written,
            report.skipped
        ),
        WriteUnit::Records => tracing::info!("written {} records{location}", report.written),
    }
    backend.close().await?;
    Ok(())
}
