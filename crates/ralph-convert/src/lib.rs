//! Conversions of edX tracking-log events into xAPI statements.
//!
//! The nine conversions of Ralph 5.1 (server page request → page viewed, `page_close` → page
//! terminated, video load/play/pause/seek/stop → video initialized/played/paused/seeked/
//! terminated, enrollment activated/deactivated → LMS registered/unregistered course) produce
//! byte for byte what `ralph convert -f edx -t xapi` prints: same `id` (UUID v5 of the namespace
//! and the raw input line including its `\n`), same field order and values. Beyond Ralph, every
//! event name Open edX's event-routing-backends maps (video, navigation, enrollment and course
//! grade, problems, grading, completion, forum, special exams) is converted with the verb,
//! activity type and extensions it emits, and legacy sequence and PDF textbook events with its
//! vocabulary (see [`conversions`], and [`ActorId`] for the ways to name the learner).
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

mod beyond;
pub mod csv;
pub mod docs;
mod erb;
mod extra;
mod fast;
mod iri;
mod ralph;
mod statement;
mod tree;
mod vocab;

use std::collections::HashMap;
use std::sync::Arc;

use ralph_models::edx::{self, EdxError, EventModel};
use ralph_models::json::Node;
use serde_json::Value;
use uuid::Uuid;

/// How the statement actor (`actor.account.name`) identifies the learner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActorId {
    /// The LMS user id (`context.user_id`; for events about another learner, such as grades,
    /// `event.user_id`), `anonymous` when there is none: Ralph 5.1's actor.
    #[default]
    UserId,
    /// The username (`username`, `context.username` or `event.username`), `anonymous` when empty.
    Username,
    /// The external anonymous id of the LMS user id, from a map of user ids to anonymous ids
    /// (the way event-routing-backends pseudonymises learners). A user id missing from the map
    /// is an error, so real ids never leak; events without a user id stay `anonymous`.
    AnonymousIds(Arc<HashMap<String, String>>),
}

impl ActorId {
    /// Reads a CSV map of user ids to anonymous ids: one `user_id,anonymous_id` pair a line
    /// (further columns ignored, a `user_id,...` header line and blank lines skipped).
    pub fn parse_anonymous_ids(csv: &str) -> Result<Self, String> {
        let mut ids = HashMap::new();
        for (index, line) in csv.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split(',').map(|f| f.trim().trim_matches('"'));
            let (Some(user), Some(anonymous)) = (fields.next(), fields.next()) else {
                return Err(format!(
                    "line {}: expected `user_id,anonymous_id`, got `{line}`",
                    index + 1
                ));
            };
            if index == 0 && user.eq_ignore_ascii_case("user_id") {
                continue;
            }
            if user.is_empty() || anonymous.is_empty() {
                return Err(format!("line {}: empty user id or anonymous id", index + 1));
            }
            ids.insert(user.to_owned(), anonymous.to_owned());
        }
        Ok(Self::AnonymousIds(Arc::new(ids)))
    }
}

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
#[non_exhaustive]
pub struct Conversion {
    /// The name of the conversion: Ralph's model name for the models Ralph declares (e.g.
    /// `UIPlayVideo`), else the edX event name (e.g. `edx.video.played`).
    pub source: &'static str,
    /// The edX event name as logged (`event_type`), with its `event_source` when it matters.
    pub event: &'static str,
    /// The xAPI profile (or vocabulary) of the verb and activity type: `video`, `lms`,
    /// `acrossx`, `tincan`, `cmi5`, `dod-isd`, `openedx`, `adl`.
    pub profile: &'static str,
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

/// The edX event name of a decoded event: `event_type`, else `name`.
fn event_name<'n>(event: &'n Node<'_>) -> Option<&'n str> {
    match event.get("event_type") {
        Some(event_type) => event_type.as_str(),
        None => event.get("name").and_then(Node::as_str),
    }
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
    /// Whether the event is one of event-routing-backends' (never one of Ralph's nine): the full
    /// path converts it without decoding it twice.
    fn is_erb(&self) -> bool {
        self.event_type
            .and_then(|raw| serde_json::from_str::<&str>(raw.get()).ok())
            .is_some_and(|name| erb::converter(name).is_some())
    }

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
    actor: ActorId,
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
            actor: ActorId::UserId,
        }
    }

    /// The same converter identifying actors by `actor` instead of the LMS user id.
    pub fn with_actor_id(mut self, actor: ActorId) -> Self {
        self.actor = actor;
        self
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
    ///
    /// A server `problem_check` with several questions gives several statements, one a line
    /// (joined with `\n`, no trailing newline): the problem's, then one per question.
    pub fn try_convert_line(&self, raw_line: &str) -> Result<String, ConvertError> {
        // Fast path: Ralph's conversions read a handful of top-level fields, so decode only
        // those (skipping the rest without allocating) and convert that slim event. Anything
        // else (other conversions, unknown events, duplicate keys, invalid JSON) takes the
        // full path, which gives the same results.
        // An event-routing-backends event or one of the other conversions beyond Ralph's, told
        // by a first look at its `event_type`, goes straight to the full path (a wrong guess
        // costs time only: both paths agree).
        if self.actor == ActorId::UserId
            && event_type_hint(raw_line).is_none_or(|name| {
                erb::converter(name).is_none() && !extra::handles_event_type(name)
            })
            && let Ok(slim) = serde_json::from_str::<Slim<'_>>(raw_line)
            && !slim.is_erb()
        {
            // First the statement written straight from a borrowed tree (`fast`); what that
            // does not convert, from the slim event decoded as a `Value`.
            if let Some(statement) = fast::convert(self, &slim, raw_line) {
                return Ok(statement);
            }
            if let Some(event) = slim.into_value()
                && let Ok(model) = edx::select(&event)
                && ralph::has_conversion(model.name())
            {
                let root = Node::from_value(&event);
                return self.to_text(&root, Some(&event), Ok(model), raw_line);
            }
        }
        // The event as a borrowed tree, when its model is known from its strings; anything else
        // (invalid JSON, an unknown event) from a `Value`, which reports it.
        if let Ok(root) = Node::from_str(raw_line)
            && let Some(model) = select(&root)
        {
            return self.to_text(&root, None, Ok(model), raw_line);
        }
        let event: Value =
            serde_json::from_str(raw_line).map_err(|e| ConvertError::InvalidJson(e.to_string()))?;
        let root = Node::from_value(&event);
        self.to_text(&root, Some(&event), edx::select(&event), raw_line)
    }

    /// The statements of an event as compact JSON, one a line.
    fn to_text(
        &self,
        root: &Node<'_>,
        event: Option<&Value>,
        selected: Result<EventModel, EdxError>,
        raw_line: &str,
    ) -> Result<String, ConvertError> {
        // A statement is about the size of its event: room for it without growing.
        let mut out = String::with_capacity(2 * raw_line.len());
        self.convert_tree(root, event, selected, raw_line, |statement| {
            if !out.is_empty() {
                out.push('\n');
            }
            edx::json::push_node(&mut out, statement);
        })?;
        Ok(out)
    }

    /// Converts a decoded event; `raw_line` is the input the statement id is derived from.
    ///
    /// A `problem_check` with several questions gives several statements (see
    /// [`convert_value_all`](Self::convert_value_all)); this returns the first, the problem's.
    pub fn convert_value(&self, event: &Value, raw_line: &str) -> Result<Value, ConvertError> {
        let mut all = self.convert_value_all(event, raw_line)?;
        Ok(all.swap_remove(0))
    }

    /// Converts a decoded event into its statements: one, or for a server `problem_check` with
    /// several questions the problem's then one per question (as event-routing-backends makes
    /// them). A question's statement id is the UUID v5 of the namespace and the raw line
    /// followed by the question's input id.
    pub fn convert_value_all(
        &self,
        event: &Value,
        raw_line: &str,
    ) -> Result<Vec<Value>, ConvertError> {
        let root = Node::from_value(event);
        let mut statements = Vec::with_capacity(1);
        self.convert_tree(
            &root,
            Some(event),
            edx::select(event),
            raw_line,
            |statement| {
                statements.push(statement.to_value());
            },
        )?;
        Ok(statements)
    }

    /// Converts the event `root` (also decoded as `event` when the caller has it; the
    /// conversions beyond Ralph's that validate their source need it) of model `selected`,
    /// handing each statement to `emit`.
    fn convert_tree(
        &self,
        root: &Node<'_>,
        event: Option<&Value>,
        selected: Result<EventModel, EdxError>,
        raw_line: &str,
        mut emit: impl FnMut(&Node<'_>),
    ) -> Result<(), ConvertError> {
        let id = uuid_v5(&self.namespace, &[raw_line.as_bytes()]).to_string();
        let ctx = statement::Ctx {
            id,
            platform_url: &self.platform_url,
            platform_base: &self.platform_base,
            actor: &self.actor,
        };
        let ralph_model = matches!(&selected, Ok(model) if ralph::has_conversion(model.name()));
        let erb = if ralph_model {
            None
        } else {
            event_name(root).and_then(erb::converter)
        };
        // An event given as a JSON string holding an object: that object, read by the ERB
        // conversions.
        let payload = erb.and_then(|_| erb::parse_payload(root));
        let (name, draft) = match selected {
            // Ralph's nine: byte-compatible with Ralph 5.1.
            Ok(model) if ralph_model => {
                let name = model.name();
                let draft = ralph::convert(name, &ctx, root)
                    .unwrap_or_else(|| unreachable_conversion(name))
                    .map_err(|err| conversion_error(name, err))?;
                (name, draft)
            }
            // The events event-routing-backends maps, by name.
            _ if erb.is_some() => {
                let Some((name, convert)) = erb else {
                    unreachable!("checked by the guard")
                };
                let ev = erb::Ev::new(root, payload.as_ref(), name);
                let draft = convert(&ctx, &ev).map_err(|err| conversion_error(name, err))?;
                (name, draft)
            }
            Ok(model) => {
                let name = model.name();
                let Some(convert) = extra::converter(name) else {
                    return Err(ConvertError::MissingConversion { model: name });
                };
                let decoded;
                let event = match event {
                    Some(event) => event,
                    None => {
                        decoded = root.to_value();
                        &decoded
                    }
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
                let draft = convert(&ctx, &source).map_err(|err| conversion_error(name, err))?;
                (name, draft)
            }
            Err(EdxError::UnknownEvent {
                event_source,
                event_type,
            }) => {
                return Err(ConvertError::UnknownEvent {
                    event_source,
                    event_type,
                });
            }
            Err(other) => return Err(ConvertError::InvalidJson(other.to_string())),
        };
        let fail = |err| conversion_error(name, err);
        if let Some(reason) = &self.platform_error {
            return Err(fail(("actor.account.homePage".to_owned(), reason.clone())));
        }
        let mut draft = draft;
        let children = std::mem::take(&mut draft.children);
        let first = statement::finish(&ctx, draft).map_err(fail)?;
        let mut rest = Vec::with_capacity(children.len());
        for (key, child) in children {
            let child_ctx = statement::Ctx {
                id: uuid_v5(&self.namespace, &[raw_line.as_bytes(), key.as_bytes()]).to_string(),
                ..ctx
            };
            rest.push(statement::finish(&child_ctx, child).map_err(fail)?);
        }
        emit(&first);
        for statement in &rest {
            emit(statement);
        }
        Ok(())
    }
}

/// The text of the first `"event_type": "..."` member of a JSON line, wherever it is, when it
/// holds no escape: a guess at the event name, without decoding the line.
fn event_type_hint(line: &str) -> Option<&str> {
    const KEY: &str = "\"event_type\"";
    let at = line.find(KEY)? + KEY.len();
    let rest = line[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find(['"', '\\'])?;
    (rest.as_bytes()[end] == b'"').then(|| &rest[..end])
}

/// The model of `root` from its `event_source`, `event_type` and `context.path` strings; `None`
/// when they are not all strings (or absent, for the path) or no model matches.
fn select(root: &Node<'_>) -> Option<EventModel> {
    let (Some(Node::String(source)), Some(Node::String(event_type))) =
        (root.get("event_source"), root.get("event_type"))
    else {
        return None;
    };
    let path = match root.get("context").and_then(|c| c.get("path")) {
        None | Some(Node::Null) => None,
        Some(Node::String(path)) => Some(path.as_ref()),
        Some(_) => return None,
    };
    edx::select_strs(source, event_type, path)
}

fn conversion_error(model: &'static str, (path, reason): (String, String)) -> ConvertError {
    ConvertError::Conversion {
        model,
        path,
        reason,
    }
}

/// `ralph::has_conversion` and `ralph::convert` agree on the nine models.
fn unreachable_conversion(name: &str) -> Result<statement::Draft<'static>, statement::Fail> {
    Err((String::new(), format!("no Ralph conversion for `{name}`")))
}

/// The UUID v5 (RFC 9562) of `namespace` and the concatenation of `name_parts`: the same value
/// as [`Uuid::new_v5`], computed with the `sha1` crate, which uses the CPU's SHA instructions
/// where there are some (the id of every converted statement is one of these).
fn uuid_v5(namespace: &Uuid, name_parts: &[&[u8]]) -> Uuid {
    use sha1::{Digest, Sha1};
    let mut hasher = Sha1::new();
    hasher.update(namespace.as_bytes());
    for part in name_parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_type_hint_reads_the_first_unescaped_event_type() {
        let hint = super::event_type_hint;
        assert_eq!(
            hint(r#"{"a": 1, "event_type" : "showanswer", "b": 2}"#),
            Some("showanswer")
        );
        assert_eq!(
            hint(r#"{"event_type":"edx.forum.thread.created"}"#),
            Some("edx.forum.thread.created")
        );
        assert_eq!(hint(r#"{"event_type": "a\"b"}"#), None);
        assert_eq!(hint(r#"{"event_type": null}"#), None);
        assert_eq!(hint(r#"{"event_type": "unterminated"#), None);
        assert_eq!(hint(r#"{"name": "x"}"#), None);
    }

    /// Every conversion of `extra.rs` is found by its event type, and nothing else is.
    #[test]
    fn the_extra_conversions_are_known_by_their_event_type() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        let mut extra_models = 0;
        for conversion in conversions() {
            let path = format!("{dir}/{}.input.json", conversion.source);
            let line = std::fs::read_to_string(&path).expect("a fixture per conversion");
            let event: Value = serde_json::from_str(&line).expect("a JSON fixture");
            let event_type = event["event_type"].as_str().expect("an event type");
            let is_extra = edx::select(&event)
                .is_ok_and(|model| extra::converter(model.name()).is_some())
                && erb::converter(event_type).is_none()
                && !ralph::has_conversion(edx::select(&event).map_or("", |m| m.name()));
            assert_eq!(
                extra::handles_event_type(event_type),
                is_extra,
                "{}",
                conversion.source
            );
            extra_models += usize::from(is_extra);
        }
        assert_eq!(extra_models, 11);
    }

    #[test]
    fn uuid_v5_matches_the_uuid_crate() {
        let namespace = Uuid::parse_str("ee241f8b-5c34-45b2-9a2e-0b4a6e8f7c6d").expect("a UUID");
        for name in [
            "",
            "a",
            "{\"event_type\": \"play_video\"}\n",
            &"x".repeat(200),
        ] {
            assert_eq!(
                uuid_v5(&namespace, &[name.as_bytes()]),
                Uuid::new_v5(&namespace, name.as_bytes())
            );
            let joined = format!("{name}_2_1");
            assert_eq!(
                uuid_v5(&namespace, &[name.as_bytes(), b"_2_1"]),
                Uuid::new_v5(&namespace, joined.as_bytes())
            );
        }
    }
}
