//! Core contracts of ralph: the backend capability traits, the records that flow between them,
//! settings loading, the history file, the error type and the backend registry.
//!
//! Backends live in their own crates (`ralph-backend-fs`, ...); this crate has no backend code
//! but the in-process [`memory`] backend used by tests and library users.
//!
//! ```
//! use futures::StreamExt;
//! use ralph_core::memory::{MemoryBackend, MemorySettings};
//! use ralph_core::{Readable, ReadRequest, Record, Writable, WriteOptions};
//!
//! # tokio_test_block_on(async {
//! let backend = MemoryBackend::new(MemorySettings::default());
//! let input = futures::stream::iter([Ok(Record::Raw("{\"id\":1}\n{\"id\":2}\n".into()))]).boxed();
//! let report = backend.write(input, WriteOptions::default()).await?;
//! assert_eq!(report.written, 2);
//! let records: Vec<_> = backend.read(ReadRequest::default()).await?.collect().await;
//! assert_eq!(records.len(), 2);
//! # Ok::<(), ralph_core::Error>(())
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     futures::executor::block_on(f)
//! # }
//! ```

pub mod backend;
pub mod docs;
pub mod error;
pub mod history;
pub mod lrs;
pub mod memory;
pub mod parsers;
pub mod pyjson;
pub mod record;
pub mod registry;
pub mod schema;
pub mod settings;

pub use backend::*;
pub use error::{Error, ErrorKind, Result};
pub use record::Record;
