//! Conversions of edX tracking-log events into xAPI statements.
//!
//! The nine conversions of Ralph 5.1 (server page request → page viewed, `page_close` → page
//! terminated, video load/play/pause/seek/stop → video initialized/played/paused/seeked/
//! terminated, enrollment activated/deactivated → LMS registered/unregistered course) produce
//! byte for byte what `ralph convert -f edx -t xapi` prints: same `id` (UUID v5 of the namespace
//! and the raw input line including its `\n`), same field order and values. Beyond Ralph, problem
//! checks, answers and hints, sequence navigation and PDF textbook interactions are converted
//! with the vocabulary of Open edX's event-routing-backends (see [`conversions`]).
//!
//! No I/O: the caller reads lines and writes statements.
//!
//! ```
//! use ralph_convert::Converter;
//! use uuid::Uuid;
//!
//! let namespace = Uuid::parse_str("ee241f8b-174f-5bdb-bae9-c09de5fe017f")?;
//! let converter = Converter::new(namespace, "https://example.org");
//! let line = concat!(
//!     r#"{"username":"alice","ip":"127.0.0.1","agent":"Mozilla/5.0","host":"lms.example.org","#,
//!     r#""referer":"","accept_language":"en","context":{"course_id":"","org_id":"","#,
//!     r#""path":"/dashboard","user_id":42},"time":"2024-01-15T10:00:00+00:00","page":null,"#,
//!     r#""event_source":"server","event_type":"/dashboard","event":{"GET":{},"POST":{}}}"#,
//!     "\n"
//! );
//! let statement = converter.convert_line(line)?.expect("a server event converts");
//! assert!(statement.starts_with(r#"{"id":"#));
//! assert!(statement.contains(r#""verb":{"id":"http://id.tincanapi.com/verb/viewed"}"#));
//! assert!(statement.contains(r#""object":{"id":"https://example.org/dashboard""#));
//!
//! // An event without a conversion is skipped, or reported with `try_convert_line`.
//! let bookmark = line.replace("/dashboard\",\"event\"", "edx.bookmark.listed\",\"event\"");
//! assert_eq!(converter.convert_line(&bookmark)?, None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod csv;
pub mod docs;
mod extra;
mod iri;
mod ralph;
mod statement;

use ralph_models::edx::{self, EdxError};
use serde_json::Value;
use uuid::Uuid;

/// Why an edX event could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// The input line is not JSON.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// The event matches no edX model (Ralph: "No matching pydantic model found").
    #[error("unknown edX event: event_source `{event_source}`, event_type `{event_type}`")]
    UnknownEvent {
        /// The event's `event_source`: a string as is, another value as JSON, `<missing>`
        /// when absent.
        event_source: String,
        /// The event's `event_type`: a string as is, another value as JSON, `<missing>` when
        /// absent.
        event_type: String,
    },
    /// The event's model has no conversion (Ralph: "No conversion set found").
    #[error("no conversion for `{model}` events")]
    MissingConversion {
        /// The edX model name.
        model: &'static str,
    },
    /// The event could not be turned into a valid statement.
    #[error("cannot convert `{model}` event: {path}: {reason}")]
    Conversion {
        /// The edX model name.
        model: &'static str,
        /// The JSON path of the offending field: in the source event (`event.currentTime`,
        /// `session`) or in the statement being built (`object.id`, `timestamp`).
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl ConvertError {
    /// Whether Ralph treats this error as an unknown event (skipped unless `--fail-on-unknown`)
    /// rather than an invalid one (fatal unless `--ignore-errors`).
    pub fn is_unknown(&self) -> bool {
        matches!(
            self,
            Self::UnknownEvent { .. } | Self::MissingConversion { .. }
        )
    }
}

/// One conversion: which edX event becomes which xAPI statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversion {
    /// The edX model converted (Ralph's name, e.g. `UIPlayVideo`).
    pub source: &'static str,
    /// The xAPI statement type produced (Ralph's name where Ralph has one, e.g. `VideoPlayed`).
    pub statement: &'static str,
    /// The verb IRI.
    pub verb: &'static str,
    /// The object's activity type IRI.
    pub activity_type: &'static str,
    /// Whether Ralph 5.1 has this conversion (and the output is byte-compatible with it).
    pub ralph: bool,
    /// How the statement is built, in one sentence.
    pub summary: &'static str,
    /// A sample input line (with its `\n`), converted in the generated documentation.
    pub example: &'static str,
}

/// Every conversion, Ralph's nine first.
pub fn conversions() -> &'static [Conversion] {
    statement::CONVERSIONS
}

/// The top-level fields Ralph's conversions read, borrowed from the input line.
#[derive(serde::Deserialize)]
struct Slim<'a> {
    #[serde(borrow)]
    event_source: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    event_type: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    context: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    time: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    page: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    session: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    agent: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    event: Option<&'a serde_json::value::RawValue>,
}

impl Slim<'_> {
    /// The slim event as a JSON object (`null` fields left out: Ralph reads them as absent).
    fn into_value(self) -> Option<Value> {
        let mut map = serde_json::Map::new();
        for (key, raw) in [
            ("event_source", self.event_source),
            ("event_type", self.event_type),
            ("context", self.context),
            ("time", self.time),
            ("page", self.page),
            ("session", self.session),
            ("agent", self.agent),
            ("event", self.event),
        ] {
            if let Some(raw) = raw {
                map.insert(key.to_owned(), serde_json::from_str(raw.get()).ok()?);
            }
        }
        Some(Value::Object(map))
    }
}

/// Converts edX events into xAPI statements for one platform and UUID namespace.
#[derive(Debug, Clone)]
pub struct Converter {
    namespace: Uuid,
    platform_url: String,
    /// `platform_url` without trailing slashes, the prefix of object ids.
    platform_base: String,
    /// Why `platform_url` cannot be an `account.homePage`, reported on each conversion.
    platform_error: Option<String>,
}

impl Converter {
    /// A converter stamping statements with `platform_url` (the actor's account home page and
    /// the prefix of object ids) and deriving statement ids from `namespace`.
    pub fn new(namespace: Uuid, platform_url: &str) -> Self {
        let platform_error = (!iri::is_iri(platform_url))
            .then(|| format!("platform URL `{platform_url}` is not a valid IRI"));
        Self {
            namespace,
            platform_url: platform_url.to_owned(),
            platform_base: platform_url.trim_end_matches('/').to_owned(),
            platform_error,
        }
    }

    /// The UUID namespace of statement ids.
    pub fn namespace(&self) -> Uuid {
        self.namespace
    }

    /// The platform URL.
    pub fn platform_url(&self) -> &str {
        &self.platform_url
    }

    /// Converts one raw input line (pass it with its trailing `\n`, as read: the statement id is
    /// derived from these exact bytes) into a compact JSON statement.
    ///
    /// Returns `Ok(None)` for an unknown event or an event without a conversion; see
    /// [`try_convert_line`](Self::try_convert_line) to get the reason.
    pub fn convert_line(&self, raw_line: &str) -> Result<Option<String>, ConvertError> {
        match self.try_convert_line(raw_line) {
            Ok(statement) => Ok(Some(statement)),
            Err(err) if err.is_unknown() => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Like [`convert_line`](Self::convert_line), but unknown events and events without a
    /// conversion are errors ([`ConvertError::is_unknown`]).
    pub fn try_convert_line(&self, raw_line: &str) -> Result<String, ConvertError> {
        // Fast path: Ralph's conversions read a handful of top-level fields, so decode only
        // those (skipping the rest without allocating) and convert that slim event. Anything
        // else (other conversions, unknown events, duplicate keys, invalid JSON) takes the
        // full path, which gives the same results.
        if let Ok(slim) = serde_json::from_str::<Slim<'_>>(raw_line)
            && let Some(event) = slim.into_value()
            && let Ok(model) = edx::select(&event)
            && ralph::has_conversion(model.name())
        {
            let statement = self.convert_value(&event, raw_line)?;
            return Ok(edx::json::to_string(&statement));
        }
        let event: Value =
            serde_json::from_str(raw_line).map_err(|e| ConvertError::InvalidJson(e.to_string()))?;
        let statement = self.convert_value(&event, raw_line)?;
        Ok(edx::json::to_string(&statement))
    }

    /// Converts a decoded event; `raw_line` is the input the statement id is derived from.
    pub fn convert_value(&self, event: &Value, raw_line: &str) -> Result<Value, ConvertError> {
        let model = edx::select(event).map_err(|err| match err {
            EdxError::UnknownEvent {
                event_source,
                event_type,
            } => ConvertError::UnknownEvent {
                event_source,
                event_type,
            },
            other => ConvertError::InvalidJson(other.to_string()),
        })?;
        let name = model.name();
        let fail = |(path, reason): (String, String)| ConvertError::Conversion {
            model: name,
            path,
            reason,
        };
        let id = Uuid::new_v5(&self.namespace, raw_line.as_bytes()).to_string();
        let ctx = statement::Ctx {
            id,
            platform_url: &self.platform_url,
            platform_base: &self.platform_base,
        };
        let draft = match ralph::convert(name, &ctx, event) {
            Some(result) => result.map_err(fail)?,
            None => {
                let Some(convert) = extra::converter(name) else {
                    return Err(ConvertError::MissingConversion { model: name });
                };
                let source = model.validate(event).map_err(|err| match err {
                    EdxError::Invalid { path, reason, .. } => ConvertError::Conversion {
                        model: name,
                        path,
                        reason: format!("invalid source event: {reason}"),
                    },
                    other => ConvertError::Conversion {
                        model: name,
                        path: String::new(),
                        reason: other.to_string(),
                    },
                })?;
                convert(&ctx, &source).map_err(fail)?
            }
        };
        if let Some(reason) = &self.platform_error {
            return Err(fail(("actor.account.homePage".to_owned(), reason.clone())));
        }
        statement::finish(&ctx, draft).map_err(fail)
    }
}
