//! The `ralph` command line: clap definitions and dispatch over the library crates.
//!
//! Library users do not need this crate; it exists as a library so that `cargo xtask` and the
//! tests see the same backend registry and command definition as the binary.

pub mod cli;
pub mod commands;
pub mod io;

use ralph_core::registry::Registry;

/// The backends this binary was built with (one cargo feature each).
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    registry.register::<ralph_core::memory::MemoryFactory>();
    #[cfg(feature = "es")]
    registry.register::<ralph_backend_es::EsFactory>();
    #[cfg(feature = "fs")]
    registry.register::<ralph_backend_fs::FsFactory>();
    #[cfg(feature = "postgres")]
    registry.register::<ralph_backend_postgres::PostgresFactory>();
    #[cfg(feature = "redis")]
    registry.register::<ralph_backend_redis::RedisFactory>();
    #[cfg(feature = "sqlite")]
    registry.register::<ralph_backend_sqlite::SqliteFactory>();
    registry
}
