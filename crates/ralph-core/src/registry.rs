//! The backend registry: one table from a backend name to its settings and its constructor.
//!
//! Backend crates implement [`BackendFactory`]; the binary (or a library user) registers the
//! factories it was built with. A crate outside this workspace registers its own backend the same
//! way.

use async_trait::async_trait;
use futures::future::BoxFuture;

use crate::history::History;
use crate::schema::{SettingField, fields_of};
use crate::settings::{BackendSettings, GlobalSettings, Settings};
use crate::{DataBackend, Error, Result};

/// What a backend can do, known before it is opened (it decides the CLI choices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Records can be read.
    pub read: bool,
    /// Records can be written.
    pub write: bool,
    /// Stored objects can be listed.
    pub list: bool,
}

/// Everything a backend may need when it opens, besides its own settings.
#[derive(Debug, Clone)]
pub struct BackendContext {
    /// All the settings.
    pub settings: Settings,
    /// The global settings.
    pub global: GlobalSettings,
}

impl BackendContext {
    /// The context of `settings`.
    pub fn new(settings: Settings) -> Result<Self> {
        let global = settings.global()?;
        Ok(Self { settings, global })
    }

    /// The history file.
    pub fn history(&self) -> History {
        History::new(self.global.history_path())
    }
}

/// A backend kind that can be registered.
#[async_trait]
pub trait BackendFactory: Send + Sync + 'static {
    /// The settings struct, read from `backends.data.<NAME>`.
    type Settings: BackendSettings;
    /// The name used by `-b`, the settings key and the flags.
    const NAME: &'static str;
    /// Other accepted names (Ralph's `async_*` names).
    const ALIASES: &'static [&'static str] = &[];
    /// One line for `--help` and the docs.
    const ABOUT: &'static str;
    /// What the backend can do.
    const CAPABILITIES: Capabilities;

    /// Opens the backend with its settings.
    async fn open(
        settings: Self::Settings,
        context: &BackendContext,
    ) -> Result<Box<dyn DataBackend>>;
}

type OpenFn = for<'a> fn(&'a BackendContext) -> BoxFuture<'a, Result<Box<dyn DataBackend>>>;

/// A registered backend.
#[derive(Clone)]
pub struct BackendEntry {
    /// The canonical name.
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// One line of description.
    pub about: &'static str,
    /// What the backend can do.
    pub capabilities: Capabilities,
    fields: fn() -> Vec<SettingField>,
    open: OpenFn,
}

impl std::fmt::Debug for BackendEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendEntry")
            .field("name", &self.name)
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

impl BackendEntry {
    /// The entry of factory `F`.
    pub fn of<F: BackendFactory>() -> Self {
        Self {
            name: F::NAME,
            aliases: F::ALIASES,
            about: F::ABOUT,
            capabilities: F::CAPABILITIES,
            fields: fields_of::<F::Settings>,
            open: open_with::<F>,
        }
    }

    /// The settings section of this backend (`backends.data.fs`).
    pub fn section(&self) -> String {
        format!("backends.data.{}", self.name)
    }

    /// The settings fields, in declaration order.
    pub fn fields(&self) -> Vec<SettingField> {
        (self.fields)()
    }

    /// Reads the backend's settings from the context and opens it.
    pub async fn open(&self, context: &BackendContext) -> Result<Box<dyn DataBackend>> {
        (self.open)(context).await
    }
}

fn open_with<F: BackendFactory>(
    context: &BackendContext,
) -> BoxFuture<'_, Result<Box<dyn DataBackend>>> {
    Box::pin(async move {
        let settings = context
            .settings
            .section::<F::Settings>(&format!("backends.data.{}", F::NAME))?;
        F::open(settings, context).await
    })
}

/// The table of known backends.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: Vec<BackendEntry>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers factory `F`, replacing a backend of the same name.
    pub fn register<F: BackendFactory>(&mut self) -> &mut Self {
        self.entries.retain(|e| e.name != F::NAME);
        self.entries.push(BackendEntry::of::<F>());
        self.entries.sort_by_key(|e| e.name);
        self
    }

    /// Every backend, sorted by name.
    pub fn entries(&self) -> &[BackendEntry] {
        &self.entries
    }

    /// The backends having a capability.
    pub fn with(&self, capability: impl Fn(&Capabilities) -> bool) -> Vec<&BackendEntry> {
        self.entries
            .iter()
            .filter(|e| capability(&e.capabilities))
            .collect()
    }

    /// The backend named `name` (or one of its aliases).
    pub fn get(&self, name: &str) -> Result<&BackendEntry> {
        self.entries
            .iter()
            .find(|e| e.name == name || e.aliases.contains(&name))
            .ok_or_else(|| {
                let known: Vec<_> = self
                    .entries
                    .iter()
                    .map(|e| format!("`{}`", e.name))
                    .collect();
                Error::config(format!(
                    "unknown backend `{name}`; expected one of {}",
                    known.join(", ")
                ))
            })
    }
}
