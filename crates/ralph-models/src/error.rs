//! The error type of the crate.

use crate::xapi::ValidationErrors;

/// Why an input is not a valid model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not JSON.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The input breaks rules of the xAPI specification or of its statement type; each error
    /// carries the JSON path of the field and the reason.
    #[error("invalid xAPI statement: {0}")]
    InvalidStatement(ValidationErrors),
}

impl Error {
    /// The validation errors, when the input was JSON.
    #[must_use]
    pub fn validation_errors(&self) -> Option<&ValidationErrors> {
        match self {
            Error::InvalidStatement(errors) => Some(errors),
            Error::Json(_) => None,
        }
    }
}
