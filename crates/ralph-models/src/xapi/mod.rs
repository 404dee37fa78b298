//! xAPI statements: typed model, validation, statement types and their selector.
//!
//! Entry points:
//! - [`validate_statement`] / [`validate_statement_str`]: the whole check Ralph's
//!   `validate -f xapi` does — the xAPI rules, then the rules of the matching statement type
//!   (if any) — and the normalised compact JSON to write out.
//! - [`validate`] / [`Statement::from_value`]: the xAPI specification's rules only (what an LRS
//!   checks before storing a statement).
//! - [`selector`]: the statement types matching a statement (verb id + activity type, or the
//!   cmi5 category), two hash lookups per statement.
//!
//! ```
//! use ralph_models::xapi::{self, Rule};
//!
//! let statement = serde_json::json!({
//!     "actor": {"account": {"homePage": "https://example.org", "name": "42"}},
//!     "verb": {"id": "https://w3id.org/xapi/video/verbs/played"},
//!     "object": {"id": "https://example.org/video/1",
//!                "definition": {"type": "https://w3id.org/xapi/video/activity-type/video"}},
//!     "context": {"contextActivities": {"category": [{"id": "https://w3id.org/xapi/video"}]}}
//! });
//! // Valid for the xAPI specification...
//! assert!(xapi::validate(&statement).is_ok());
//! // ...but a `VideoPlayed` statement requires `result.extensions[time]`.
//! let err = xapi::validate_statement(&statement).unwrap_err();
//! let errors = err.validation_errors().unwrap();
//! assert_eq!(errors.as_slice()[0].path, "result");
//! assert_eq!(errors.as_slice()[0].rule, Rule::ProfileRequired);
//! assert_eq!(errors.to_string(), "result: required in a `VideoPlayed` statement");
//! ```

pub mod formats;
mod model;
mod parse;
mod profiles;
mod rules;
#[cfg(feature = "proptest")]
pub mod strategies;

pub use model::{
    Account, Activity, ActivityDefinition, ActivityObjectType, Actor, Agent, Attachment, Context,
    ContextActivities, ContextAgent, ContextGroup, Extensions, Group, Ifi, InteractionComponent,
    InteractionType, LanguageMap, OneOrMany, Score, Statement, StatementObject, StatementRef,
    StatementResult, SubStatement, Timestamp, Verb,
};
pub use profiles::{
    Discriminant, Params, Profile, Selector, StatementType, selector, statement_type,
    statement_types,
};
pub use rules::{Rule, ValidationError, ValidationErrors};

use crate::Error;
use crate::json::Node;

impl Statement {
    /// Validates a JSON value against the xAPI specification and builds the statement.
    ///
    /// # Errors
    /// Every broken rule, each with the JSON path of the field and the reason.
    pub fn from_value(value: &serde_json::Value) -> Result<Statement, ValidationErrors> {
        parse::statement(&Node::from_value(value))
    }

    /// Validates a parsed [`Node`] tree against the xAPI specification and builds the
    /// statement: what [`Statement::from_value`] does, without a `serde_json::Value`.
    ///
    /// # Errors
    /// Every broken rule, each with the JSON path of the field and the reason.
    pub fn from_node(node: &Node<'_>) -> Result<Statement, ValidationErrors> {
        parse::statement(node)
    }
}

/// Validates a JSON value against the rules of the xAPI specification only (no statement
/// type rules); same as [`Statement::from_value`].
///
/// # Errors
/// Every broken rule, each with the JSON path of the field and the reason.
pub fn validate(value: &serde_json::Value) -> Result<Statement, ValidationErrors> {
    parse::statement(&Node::from_value(value))
}

/// A statement that passed validation.
#[derive(Debug, Clone)]
pub struct ValidatedStatement {
    /// The typed statement.
    pub statement: Statement,
    /// The statement type it was validated as; `None` for a generic statement (one that
    /// matches no statement type: Ralph reports those as unknown).
    pub statement_type: Option<&'static StatementType>,
    /// Normalised compact JSON: fields in declared order (`id`, `actor`, `verb`, `object`,
    /// `result`, `context`, `timestamp`, `stored`, `authority`, `version`, `attachments`;
    /// agents write their identifier, then `objectType`, then `name`), absent fields omitted,
    /// `version` defaulted, `+00:00` written `Z`, `mbox` domains lowercased. No trailing newline.
    pub json: String,
}

impl ValidatedStatement {
    /// Name of the statement type (`VideoPlayed`, `Cmi5Passed`, ...), `None` if generic.
    #[must_use]
    pub fn type_name(&self) -> Option<&'static str> {
        self.statement_type.map(|t| t.name)
    }
}

/// Validates a statement the way `ralph validate -f xapi` does: the xAPI specification's
/// rules, then the rules of the statement type(s) its selector matches.
///
/// When several types match (the four video `interacted` types), they are tried in order and
/// the first whose rules hold wins; when none holds, the errors of all of them are returned.
/// A statement matching no type is valid and returned with `statement_type: None`.
///
/// # Errors
/// [`Error::InvalidStatement`] with every broken rule (path and reason).
pub fn validate_statement(value: &serde_json::Value) -> Result<ValidatedStatement, Error> {
    validate_statement_node(&Node::from_value(value))
}

/// [`validate_statement`] on a parsed [`Node`] tree.
///
/// # Errors
/// [`Error::InvalidStatement`] with every broken rule (path and reason).
pub fn validate_statement_node(node: &Node<'_>) -> Result<ValidatedStatement, Error> {
    let statement = parse::statement(node).map_err(Error::InvalidStatement)?;
    let candidates = selector().select(&statement);
    let mut errors = ValidationErrors::default();
    let mut statement_type = None;
    for candidate in candidates {
        match candidate.validate(&statement) {
            Ok(()) => {
                statement_type = Some(candidate);
                break;
            }
            Err(e) => errors.0.extend(e),
        }
    }
    if statement_type.is_none() && !errors.is_empty() {
        return Err(Error::InvalidStatement(errors));
    }
    let json = statement.to_json();
    Ok(ValidatedStatement {
        statement,
        statement_type,
        json,
    })
}

/// Parses one JSON document (e.g. a line of a JSON Lines file), then [`validate_statement`].
///
/// # Errors
/// [`Error::Json`] when the text is not JSON, [`Error::InvalidStatement`] otherwise.
pub fn validate_statement_str(text: &str) -> Result<ValidatedStatement, Error> {
    validate_statement_node(&Node::from_str(text)?)
}
