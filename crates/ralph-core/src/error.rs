//! The error type shared by every backend.

use std::fmt;

/// What went wrong, coarse enough for callers to act on.
///
/// The LRS maps each kind to one HTTP status; the CLI maps usage kinds to exit code 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The requested object (file, index, record, target) does not exist.
    NotFound,
    /// The object already exists and the operation may not overwrite it.
    Conflict,
    /// A record or query is malformed (not JSON, missing field, wrong type).
    InvalidInput,
    /// A setting is unknown, missing or of the wrong type.
    ConfigInvalid,
    /// The backend does not support this operation or parameter.
    Unsupported,
    /// The backend cannot be reached or refused the connection.
    Unavailable,
    /// The backend denied access (permissions, credentials).
    PermissionDenied,
    /// A conditional write found the object in another state than the caller expected
    /// (an ETag that no longer matches, a document that already exists).
    PreconditionFailed,
    /// Any other failure of the backend or of local I/O.
    Backend,
}

impl ErrorKind {
    /// A short lowercase label, used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not found",
            Self::Conflict => "conflict",
            Self::InvalidInput => "invalid input",
            Self::ConfigInvalid => "invalid configuration",
            Self::Unsupported => "unsupported",
            Self::Unavailable => "unavailable",
            Self::PermissionDenied => "permission denied",
            Self::PreconditionFailed => "precondition failed",
            Self::Backend => "backend error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of every ralph-core contract: a kind, a message for humans and an optional cause.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    /// Records acknowledged by the backend before the failure, when a write stopped midway.
    written: Option<u64>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            written: None,
            source: None,
        }
    }

    /// Shorthand for [`ErrorKind::InvalidInput`].
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for [`ErrorKind::ConfigInvalid`].
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ConfigInvalid, message)
    }

    /// Shorthand for [`ErrorKind::Unsupported`].
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// Shorthand for [`ErrorKind::Backend`].
    pub fn backend(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Backend, message)
    }

    /// An I/O error on `path`, classified by its [`std::io::ErrorKind`]; the message names the path.
    pub fn io(path: impl AsRef<std::path::Path>, err: std::io::Error) -> Self {
        let kind = match err.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::AlreadyExists => ErrorKind::Conflict,
            std::io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
            _ => ErrorKind::Backend,
        };
        let message = format!("`{}`: {err}", path.as_ref().display());
        Self::new(kind, message).with_source(err)
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Records how many records were acknowledged before this error stopped a write.
    pub fn with_written(mut self, written: u64) -> Self {
        self.written = Some(written);
        self
    }

    /// Prefixes the message with some context, e.g. a line number.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the cause.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Records acknowledged before the failure, when the error stopped a write.
    pub fn written(&self) -> Option<u64> {
        self.written
    }
}

impl From<figment::Error> for Error {
    fn from(err: figment::Error) -> Self {
        let mut messages = Vec::new();
        for e in err {
            messages.push(crate::settings::describe_figment_error(&e));
        }
        Self::config(messages.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_names_the_path_and_maps_the_kind() {
        let err = Error::io(
            "/nope/file",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("`/nope/file`"), "{err}");
    }

    #[test]
    fn context_prefixes_the_message_and_written_is_kept() {
        let err = Error::invalid_input("expected value")
            .context("line 3")
            .with_written(2);
        assert_eq!(err.to_string(), "line 3: expected value");
        assert_eq!(err.written(), Some(2));
    }
}
