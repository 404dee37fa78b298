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
    #[cfg(feature = "clickhouse")]
    registry.register::<ralph_backend_clickhouse::ClickHouseFactory>();
    #[cfg(feature = "es")]
    registry.register::<ralph_backend_es::EsFactory>();
    #[cfg(feature = "fs")]
    registry.register::<ralph_backend_fs::FsFactory>();
    #[cfg(feature = "ldp")]
    registry.register::<ralph_backend_ldp::LdpFactory>();
    #[cfg(feature = "lrs")]
    registry.register::<ralph_backend_lrs::LrsFactory>();
    #[cfg(feature = "mongo")]
    registry.register::<ralph_backend_mongo::MongoFactory>();
    #[cfg(feature = "postgres")]
    registry.register::<ralph_backend_postgres::PostgresFactory>();
    #[cfg(feature = "redis")]
    registry.register::<ralph_backend_redis::RedisFactory>();
    #[cfg(feature = "s3")]
    registry.register::<ralph_backend_s3::S3Factory>();
    #[cfg(feature = "sqlite")]
    registry.register::<ralph_backend_sqlite::SqliteFactory>();
    #[cfg(feature = "swift")]
    registry.register::<ralph_backend_swift::SwiftFactory>();
    #[cfg(feature = "ws")]
    registry.register::<ralph_backend_ws::WsFactory>();
    registry
}
