//! The edX tracking-log events of Ralph 5.1: 105 event types (60 server, 45 browser), their
//! selectors and validation rules.
//!
//! [`select`] finds the event type of a decoded event in constant time from its
//! `event_source` and `event_type` (a server event whose `event_type` equals its
//! `context.path` is a [`Server`](Family::Server) page request). [`EventModel::validate`] checks
//! an event against its model and returns it normalised as Ralph's `ralph validate -f edx`
//! prints it: every declared field in declared order (absent optional ones as `null`), coerced
//! scalars, URLs, paths and datetimes normalised, and a JSON-string `event` parsed.
//!
//! Unlike Ralph, every `event` field accepts both forms edX logs it in: a JSON object or a
//! JSON string holding it.
//!
//! ```
//! use ralph_models::edx;
//!
//! let line = r#"{"username":"alice","ip":"127.0.0.1","agent":"Mozilla/5.0","host":"lms.example.org","referer":"","accept_language":"en","context":{"course_id":"course-v1:FUN+101+2024","org_id":"FUN","path":"/event","user_id":42},"time":"2024-01-15T10:00:00+00:00","page":"https://lms.example.org/courses/course-v1:FUN+101+2024/courseware","event_source":"browser","session":"0123456789abcdef0123456789abcdef","event_type":"play_video","name":"play_video","event":"{\"id\":\"a1b2\",\"code\":\"html5\",\"currentTime\":12}"}"#;
//! let normalised = edx::validate_line(line)?;
//! assert!(normalised.ends_with(r#""event":{"code":"html5","id":"a1b2","currentTime":12.0},"event_type":"play_video","name":"play_video"}"#));
//!
//! let event: serde_json::Value = serde_json::from_str(line)?;
//! assert_eq!(edx::select(&event)?.name(), "UIPlayVideo");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod formats;
pub mod json;
mod models;
mod scalars;
mod schema;

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use serde_json::Value;

use self::models::{MODELS, ModelDef};
use self::schema::Field;

/// Where an edX event was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Emitted by the LMS server (`event_source` `"server"`).
    Server,
    /// Emitted by the learner's browser (`event_source` `"browser"`).
    Browser,
}

impl Source {
    /// The `event_source` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Browser => "browser",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The family (Ralph module) an edX event type belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Family {
    /// Bookmarks and course tools.
    Bookmark,
    /// Certificates.
    Certificate,
    /// Cohorts.
    Cohort,
    /// Content library blocks.
    ContentLibraryInteraction,
    /// Completion toggles.
    CourseContentCompletion,
    /// Drag and drop v2 problems.
    DragAndDrop,
    /// Course enrollment.
    Enrollment,
    /// Page close and sequence navigation.
    Navigational,
    /// Student notes.
    Notes,
    /// Open response assessment.
    OpenResponseAssessment,
    /// Peer instruction.
    PeerInstruction,
    /// Polls.
    Poll,
    /// Problems.
    ProblemInteraction,
    /// Server page requests.
    Server,
    /// Surveys.
    Survey,
    /// Teams.
    TeamsRelated,
    /// PDF textbooks.
    TextbookInteraction,
    /// Videos.
    Video,
}

impl Family {
    /// The Ralph module name, e.g. `problem_interaction`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bookmark => "bookmark",
            Self::Certificate => "certificate",
            Self::Cohort => "cohort",
            Self::ContentLibraryInteraction => "content_library_interaction",
            Self::CourseContentCompletion => "course_content_completion",
            Self::DragAndDrop => "drag_and_drop",
            Self::Enrollment => "enrollment",
            Self::Navigational => "navigational",
            Self::Notes => "notes",
            Self::OpenResponseAssessment => "open_response_assessment",
            Self::PeerInstruction => "peer_instruction",
            Self::Poll => "poll",
            Self::ProblemInteraction => "problem_interaction",
            Self::Server => "server",
            Self::Survey => "survey",
            Self::TeamsRelated => "teams_related",
            Self::TextbookInteraction => "textbook_interaction",
            Self::Video => "video",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an edX event was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EdxError {
    /// The input is not JSON.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// No model matches the event's `event_source` and `event_type`.
    #[error("unknown edX event: event_source `{event_source}`, event_type `{event_type}`")]
    UnknownEvent {
        /// The event's `event_source`: a string as is, another value as JSON, `<missing>`
        /// when absent.
        event_source: String,
        /// The event's `event_type`: a string as is, another value as JSON, `<missing>` when
        /// absent.
        event_type: String,
    },
    /// The event matches a model but breaks one of its rules.
    #[error("invalid `{model}` event: {path}: {reason}")]
    Invalid {
        /// The model name, as Ralph names it (e.g. `UIPlayVideo`).
        model: &'static str,
        /// The JSON path of the bad field, e.g. `event.currentTime` or `context.user_id`.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// One of the 105 edX event types: its selector, family and validation rules.
#[derive(Clone, Copy)]
pub struct EventModel {
    index: usize,
}

impl fmt::Debug for EventModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EventModel").field(&self.name()).finish()
    }
}

impl PartialEq for EventModel {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
    }
}

impl Eq for EventModel {}

impl EventModel {
    fn def(self) -> &'static ModelDef {
        &MODELS[self.index]
    }

    /// The model name, as Ralph names it (e.g. `UIPlayVideo`, `EdxCourseEnrollmentActivated`).
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The family (Ralph module) of the event type.
    pub fn family(self) -> Family {
        self.def().family
    }

    /// Whether the server or the browser emits it.
    pub fn source(self) -> Source {
        self.def().source
    }

    /// The `event_type` it is selected by; `None` for `Server`, selected by
    /// `event_type == context.path`.
    pub fn event_type(self) -> Option<&'static str> {
        self.def().event_type
    }

    /// Validates `event` against this model and returns it normalised.
    ///
    /// The output has every declared field in declared order (absent optional fields as
    /// `null`), scalars coerced as pydantic does in lax mode, and a JSON-string `event` parsed.
    pub fn validate(self, event: &Value) -> Result<Value, EdxError> {
        let fields = &REGISTRY.fields[self.index];
        schema::validate_fields(fields.iter().copied(), event, false, None).map_err(|failure| {
            EdxError::Invalid {
                model: self.name(),
                path: failure.path_string(),
                reason: failure.reason,
            }
        })
    }
}

/// Every edX event model, in Ralph's order (by family, then by name).
pub fn models() -> impl ExactSizeIterator<Item = EventModel> {
    (0..MODELS.len()).map(|index| EventModel { index })
}

/// The model named `name` (Ralph's class name, e.g. `UIPlayVideo`).
pub fn model(name: &str) -> Option<EventModel> {
    REGISTRY
        .by_name
        .get(name)
        .map(|&index| EventModel { index })
}

/// FNV-1a: the registry keys are short trusted strings, so a fast non-keyed hash is enough.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

struct Registry {
    /// event_type → model index for [server, browser].
    by_type: FnvMap<&'static str, [Option<usize>; 2]>,
    by_name: HashMap<&'static str, usize>,
    server: usize,
    /// The full, ordered field list of each model.
    fields: Vec<Vec<&'static Field>>,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut by_type: FnvMap<&'static str, [Option<usize>; 2]> = FnvMap::default();
    let mut by_name = HashMap::new();
    let mut server = 0;
    let mut fields = Vec::with_capacity(MODELS.len());
    for (index, def) in MODELS.iter().enumerate() {
        by_name.insert(def.name, index);
        match def.event_type {
            Some(event_type) => {
                by_type.entry(event_type).or_default()[def.source as usize] = Some(index);
            }
            None => server = index,
        }
        fields.push(full_fields(def));
    }
    Registry {
        by_type,
        by_name,
        server,
        fields,
    }
});

fn full_fields(def: &'static ModelDef) -> Vec<&'static Field> {
    let mut out: Vec<&'static Field> = models::HEAD.iter().collect();
    out.push(def.context.unwrap_or(&models::CONTEXT));
    out.push(&models::TIME);
    let (page, source) = match def.source {
        Source::Server => (&models::SERVER_PAGE, &models::SERVER_SOURCE),
        Source::Browser => (&models::BROWSER_PAGE, &models::BROWSER_SOURCE),
    };
    out.push(def.page.unwrap_or(page));
    out.push(source);
    if def.source == Source::Browser {
        out.push(&models::SESSION);
    }
    out.extend(def.own.iter());
    out
}

fn describe(value: Option<&Value>) -> String {
    match value {
        None => "<missing>".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Finds the model of a decoded edX event from its selector fields, in constant time.
///
/// The model is the one declared for the event's (`event_source`, `event_type`); failing that,
/// a server event whose `event_type` equals its `context.path` is a `Server` page request.
pub fn select(event: &Value) -> Result<EventModel, EdxError> {
    let source = event.get("event_source");
    let event_type = event.get("event_type");
    let side = match source.and_then(Value::as_str) {
        Some("server") => Some(Source::Server),
        Some("browser") => Some(Source::Browser),
        _ => None,
    };
    if let (Some(side), Some(name)) = (side, event_type.and_then(Value::as_str))
        && let Some(index) = REGISTRY
            .by_type
            .get(name)
            .and_then(|slots| slots[side as usize])
    {
        return Ok(EventModel { index });
    }
    if side == Some(Source::Server) {
        // Ralph compares with `None` for absent values, so absent == absent matches too.
        let path = event.get("context").and_then(|c| c.get("path"));
        let norm = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
        if norm(event_type) == norm(path) {
            return Ok(EventModel {
                index: REGISTRY.server,
            });
        }
    }
    Err(EdxError::UnknownEvent {
        event_source: describe(source),
        event_type: describe(event_type),
    })
}

/// [`select`] for an event whose `event_source` and `event_type` are strings and whose
/// `context.path` is a string (`Some`) or absent or `null` (`None`): the same model, without a
/// decoded event. `None` when no model matches (an unknown event).
#[must_use]
pub fn select_strs(
    event_source: &str,
    event_type: &str,
    context_path: Option<&str>,
) -> Option<EventModel> {
    let side = match event_source {
        "server" => Source::Server,
        "browser" => Source::Browser,
        _ => return None,
    };
    if let Some(index) = REGISTRY
        .by_type
        .get(event_type)
        .and_then(|slots| slots[side as usize])
    {
        return Some(EventModel { index });
    }
    (side == Source::Server && context_path == Some(event_type)).then_some(EventModel {
        index: REGISTRY.server,
    })
}

/// Selects the model of `event` and validates it; returns the model and the normalised event.
pub fn validate(event: &Value) -> Result<(EventModel, Value), EdxError> {
    let model = select(event)?;
    let normalised = model.validate(event)?;
    Ok((model, normalised))
}

/// Validates one JSON line (trailing newline allowed) and returns the normalised event as
/// compact JSON, exactly as Ralph's `ralph validate -f edx` prints it.
pub fn validate_line(line: &str) -> Result<String, EdxError> {
    let event: Value =
        serde_json::from_str(line).map_err(|e| EdxError::InvalidJson(e.to_string()))?;
    let (_, normalised) = validate(&event)?;
    Ok(json::to_string(&normalised))
}
