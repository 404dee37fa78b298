//! One module per command; each is a thin call into the library crates.

pub mod auth;
pub mod convert;
pub mod extract;
pub mod lines;
pub mod list;
pub mod lrs;
pub mod read;
pub mod runserver;
pub mod validate;
pub mod write;

use ralph_core::DataBackend;
use ralph_core::registry::{BackendContext, Registry};
use ralph_core::settings::Settings;

/// Opens backend `name` with `settings`.
pub async fn open_backend(
    registry: &Registry,
    settings: Settings,
    name: &str,
) -> ralph_core::Result<Box<dyn DataBackend>> {
    let entry = registry.get(name)?;
    let context = BackendContext::new(settings)?;
    entry.open(&context).await
}
