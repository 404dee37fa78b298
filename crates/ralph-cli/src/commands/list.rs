//! `ralph list`.

use futures::StreamExt;
use ralph_core::registry::Registry;
use ralph_core::settings::Settings;
use ralph_core::{Error, ListEntry};

use crate::cli::ListArgs;
use crate::io::{Output, Stdout};

/// Lists the documents of a backend, one per line (ids, or details as JSON).
pub async fn run(registry: &Registry, settings: Settings, args: ListArgs) -> anyhow::Result<()> {
    let backend = super::open_backend(registry, settings, &args.backend).await?;
    let listable = backend.as_listable().ok_or_else(|| {
        Error::unsupported(format!("backend `{}` cannot list documents", args.backend))
    })?;
    let mut entries = listable.list(args.target, args.details, args.new).await?;
    let mut out = Stdout::new();
    let mut count = 0u64;
    while let Some(entry) = entries.next().await {
        let line = match entry? {
            ListEntry::Id(id) => id,
            ListEntry::Details(details) => details.to_string(),
        };
        count += 1;
        if out.write(format!("{line}\n").as_bytes())? == Output::BrokenPipe {
            return Ok(());
        }
    }
    out.flush()?;
    if count == 0 {
        tracing::warn!("configured {} backend contains no document", backend.name());
    }
    backend.close().await?;
    Ok(())
}
