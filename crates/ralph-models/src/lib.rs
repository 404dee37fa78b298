//! Typed, validated learning-analytics events.
//!
//! The [`edx`] module holds the edX tracking-log events of Ralph 5.1 (105 event types), their
//! selector and validation rules.
//!
//! The [`xapi`] module holds xAPI statements (1.0.3 and 2.0.0): typed values, every rule of the
//! xAPI specification with the JSON path of the offending field, the statement types of Ralph's
//! profiles (navigation, video, LMS, virtual classroom) plus the cmi5 defined statements, and a
//! selector finding the type(s) of a statement in constant time. No I/O happens here.
//!
//! ```
//! use ralph_models::xapi;
//!
//! let line = r#"{
//!     "actor": {"mbox": "mailto:Jane@Example.org"},
//!     "verb": {"id": "http://id.tincanapi.com/verb/viewed"},
//!     "object": {"id": "https://example.org/page", "definition": {"type": "http://activitystrea.ms/schema/1.0/page"}},
//!     "timestamp": "2024-01-15T10:00:00+00:00"
//! }"#;
//! let validated = xapi::validate_statement_str(line)?;
//! assert_eq!(validated.type_name(), Some("PageViewed"));
//! assert_eq!(
//!     validated.json,
//!     r#"{"actor":{"mbox":"mailto:Jane@example.org","objectType":"Agent"},"verb":{"id":"http://id.tincanapi.com/verb/viewed"},"object":{"id":"https://example.org/page","definition":{"type":"http://activitystrea.ms/schema/1.0/page"}},"timestamp":"2024-01-15T10:00:00Z","version":"1.0.0"}"#
//! );
//!
//! let bad = serde_json::json!({
//!     "actor": {"mbox": "mailto:jane@example.org", "openid": "https://openid.example.org/jane"},
//!     "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
//!     "object": {"objectType": "StatementRef", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"},
//!     "context": {"platform": "Moodle"}
//! });
//! let err = xapi::validate_statement(&bad).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "invalid xAPI statement: actor: exactly one of `mbox`, `mbox_sha1sum`, `openid`, `account` is allowed, found `mbox`, `openid`; \
//!      context.platform: only allowed when the object is an Activity"
//! );
//! # Ok::<(), ralph_models::Error>(())
//! ```

pub mod edx;
mod error;
pub mod json;
pub mod xapi;

pub use error::Error;
