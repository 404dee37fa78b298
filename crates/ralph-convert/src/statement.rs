//! Statement assembly shared by every conversion, and the table of conversions.

use ralph_models::edx::formats;
use serde_json::{Map, Value, json};

use crate::Conversion;
use crate::iri::is_iri;

/// A conversion failure: JSON path and reason.
pub(crate) type Fail = (String, String);

pub(crate) fn fail<T>(path: impl Into<String>, reason: impl Into<String>) -> Result<T, Fail> {
    Err((path.into(), reason.into()))
}

/// What every conversion shares.
pub(crate) struct Ctx<'a> {
    /// The statement id.
    pub(crate) id: String,
    /// The platform URL as given (the account home page).
    pub(crate) platform_url: &'a str,
    /// The platform URL without trailing slashes (the prefix of object ids).
    pub(crate) platform_base: &'a str,
}

/// The parts of a statement a conversion builds; [`finish`] adds the rest.
pub(crate) struct Draft {
    pub(crate) actor_name: String,
    pub(crate) verb: &'static str,
    pub(crate) object: Value,
    pub(crate) result: Option<Value>,
    pub(crate) context: Option<Value>,
    pub(crate) timestamp: Option<String>,
}

/// Ralph drops a converted value that is `None`, `""` or `{}`.
pub(crate) fn is_dropped(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// `value` unless Ralph would drop it.
pub(crate) fn kept(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !is_dropped(v))
}

/// The account name: `str(context.user_id)`, or `anonymous` when it is falsy.
pub(crate) fn actor_name(user_id: Option<&Value>) -> String {
    match user_id {
        Some(v) if formats::is_truthy(v) => formats::python_str(v),
        _ => "anonymous".to_owned(),
    }
}

/// The statement timestamp from the event's `time`, as pydantic writes datetimes.
pub(crate) fn timestamp(time: Option<&Value>) -> Result<Option<String>, Fail> {
    match kept(time) {
        None => Ok(None),
        Some(time) => formats::datetime(time)
            .map(Some)
            .map_err(|reason| ("timestamp".to_owned(), reason)),
    }
}

/// A profile category activity (`https://w3id.org/xapi/video`, `.../lms`).
pub(crate) fn profile_category(id: &str) -> Value {
    json!([{"id": id, "definition": {"type": "http://adlnet.gov/expapi/activities/profile"}}])
}

/// Checks the rules of Ralph's base xAPI statement that conversions can break: IRIs and no
/// empty values outside extensions. `path` holds borrowed keys; it is joined only on failure.
fn check<'a>(value: &'a Value, path: &mut Vec<&'a str>) -> Result<(), Fail> {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                path.push(key);
                if key == "extensions" {
                    // Extension keys are IRIs; their values may be anything.
                    if let Value::Object(ext) = item
                        && let Some(k) = ext.keys().find(|k| !is_iri(k))
                    {
                        return fail(path.join("."), format!("`{k}` is not a valid IRI"));
                    }
                } else {
                    if is_dropped(item) {
                        return fail(
                            path.join("."),
                            "statements may not contain empty values except inside extensions",
                        );
                    }
                    // The statement's own `id` is a UUID; every other `id` is an IRI.
                    if matches!(key.as_str(), "id" | "homePage" | "type")
                        && path.len() > 1
                        && let Value::String(s) = item
                        && !is_iri(s)
                    {
                        return fail(path.join("."), format!("`{s}` is not a valid IRI"));
                    }
                    check(item, path)?;
                }
                path.pop();
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Err((inner, reason)) = check(item, &mut Vec::new()) {
                    let mut at = path.join(".");
                    at.push_str(&format!(".{i}"));
                    if !inner.is_empty() {
                        at.push('.');
                        at.push_str(&inner);
                    }
                    return Err((at, reason));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Assembles the statement in Ralph's field order and checks it.
pub(crate) fn finish(ctx: &Ctx<'_>, draft: Draft) -> Result<Value, Fail> {
    let mut statement = Map::new();
    statement.insert("id".to_owned(), Value::String(ctx.id.clone()));
    statement.insert(
        "actor".to_owned(),
        json!({
            "account": {"homePage": ctx.platform_url, "name": draft.actor_name},
            "objectType": "Agent",
        }),
    );
    statement.insert("verb".to_owned(), json!({"id": draft.verb}));
    statement.insert("object".to_owned(), draft.object);
    if let Some(result) = draft.result {
        statement.insert("result".to_owned(), result);
    }
    if let Some(context) = draft.context {
        statement.insert("context".to_owned(), context);
    }
    if let Some(timestamp) = draft.timestamp {
        statement.insert("timestamp".to_owned(), Value::String(timestamp));
    }
    statement.insert("version".to_owned(), Value::String("1.0.0".to_owned()));
    let statement = Value::Object(statement);
    check(&statement, &mut Vec::new())?;
    Ok(statement)
}

pub(crate) const VIDEO_TYPE: &str = "https://w3id.org/xapi/video/activity-type/video";
pub(crate) const PAGE_TYPE: &str = "http://activitystrea.ms/schema/1.0/page";
pub(crate) const COURSE_TYPE: &str = "http://adlnet.gov/expapi/activities/course";
pub(crate) const INTERACTION_TYPE: &str = "http://adlnet.gov/expapi/activities/cmi.interaction";
pub(crate) const SOLUTION_TYPE: &str = "http://id.tincanapi.com/activitytype/solution";
pub(crate) const SUPPLEMENTAL_INFO_TYPE: &str =
    "https://w3id.org/xapi/acrossx/extensions/supplemental-info";
pub(crate) const RESOURCE_TYPE: &str = "http://id.tincanapi.com/activitytype/resource";
pub(crate) const DOCUMENT_TYPE: &str = "http://id.tincanapi.com/activitytype/document";

pub(crate) const VIEWED: &str = "http://id.tincanapi.com/verb/viewed";
pub(crate) const TERMINATED: &str = "http://adlnet.gov/expapi/verbs/terminated";
pub(crate) const INITIALIZED: &str = "http://adlnet.gov/expapi/verbs/initialized";
pub(crate) const PLAYED: &str = "https://w3id.org/xapi/video/verbs/played";
pub(crate) const PAUSED: &str = "https://w3id.org/xapi/video/verbs/paused";
pub(crate) const SEEKED: &str = "https://w3id.org/xapi/video/verbs/seeked";
pub(crate) const REGISTERED: &str = "http://adlnet.gov/expapi/verbs/registered";
pub(crate) const UNREGISTERED: &str = "http://id.tincanapi.com/verb/unregistered";
pub(crate) const EVALUATED: &str = "https://w3id.org/xapi/acrossx/verbs/evaluated";
pub(crate) const ASKED: &str = "http://adlnet.gov/expapi/verbs/asked";
pub(crate) const NAVIGATED: &str = "https://w3id.org/xapi/dod-isd/verbs/navigated";
pub(crate) const INTERACTED: &str = "http://adlnet.gov/expapi/verbs/interacted";
pub(crate) const SEARCHED: &str = "https://w3id.org/xapi/acrossx/verbs/searched";

macro_rules! conversion {
    ($source:literal, $statement:literal, $verb:expr, $activity:expr, $ralph:literal, $summary:literal) => {
        Conversion {
            source: $source,
            statement: $statement,
            verb: $verb,
            activity_type: $activity,
            ralph: $ralph,
            summary: $summary,
            example: include_str!(concat!("../fixtures/", $source, ".input.json")),
        }
    };
}

pub(crate) static CONVERSIONS: &[Conversion] = &[
    conversion!(
        "Server",
        "PageViewed",
        VIEWED,
        PAGE_TYPE,
        true,
        "a server page request: `object.id` is the platform URL followed by the `event_type` path"
    ),
    conversion!(
        "UIPageClose",
        "PageTerminated",
        TERMINATED,
        PAGE_TYPE,
        true,
        "a closed page: `object.id` is the event's `page`"
    ),
    conversion!(
        "UILoadVideo",
        "VideoInitialized",
        INITIALIZED,
        VIDEO_TYPE,
        true,
        "a loaded video: video length 0.0, session id and user agent in context extensions"
    ),
    conversion!(
        "UIPlayVideo",
        "VideoPlayed",
        PLAYED,
        VIDEO_TYPE,
        true,
        "a played video: `result` time from `event.currentTime`"
    ),
    conversion!(
        "UIPauseVideo",
        "VideoPaused",
        PAUSED,
        VIDEO_TYPE,
        true,
        "a paused video: `result` time from `event.currentTime`, length 0.0"
    ),
    conversion!(
        "UISeekVideo",
        "VideoSeeked",
        SEEKED,
        VIDEO_TYPE,
        true,
        "a seek in a video: `result` time-from and time-to from `event.old_time` and `event.new_time`"
    ),
    conversion!(
        "UIStopVideo",
        "VideoTerminated",
        TERMINATED,
        VIDEO_TYPE,
        true,
        "a stopped video: `result` time from `event.currentTime`, progress 0.0, length 0.0"
    ),
    conversion!(
        "EdxCourseEnrollmentActivated",
        "LMSRegisteredCourse",
        REGISTERED,
        COURSE_TYPE,
        true,
        "an enrollment: `object.id` is `{platform}/courses/{course_id}/info`, LMS profile category"
    ),
    conversion!(
        "EdxCourseEnrollmentDeactivated",
        "LMSUnregisteredCourse",
        UNREGISTERED,
        COURSE_TYPE,
        true,
        "an unenrollment: `object.id` is `{platform}/courses/{course_id}/info`, LMS profile category"
    ),
    conversion!(
        "ProblemCheck",
        "ProblemEvaluated",
        EVALUATED,
        INTERACTION_TYPE,
        false,
        "a graded problem submission: `result.score` from `grade`/`max_grade`, `success` and `response` from the submission, interaction type from its response type"
    ),
    conversion!(
        "ShowAnswer",
        "ProblemAnswerAsked",
        ASKED,
        SOLUTION_TYPE,
        false,
        "a shown answer: `object.id` is `{platform}/xblock/{problem_id}/answer`"
    ),
    conversion!(
        "EdxProblemHintDemandhintDisplayed",
        "ProblemHintAsked",
        ASKED,
        SUPPLEMENTAL_INFO_TYPE,
        false,
        "a displayed hint: `object.id` is `{platform}/xblock/{module_id}/hint/{hint_index}`"
    ),
    conversion!(
        "UISeqGoto",
        "SequenceNavigated",
        NAVIGATED,
        RESOURCE_TYPE,
        false,
        "a jump to a unit of a sequence: starting and ending positions from `event.old` and `event.new`"
    ),
    conversion!(
        "UISeqNext",
        "SequenceNavigated",
        NAVIGATED,
        RESOURCE_TYPE,
        false,
        "a move to the next unit of a sequence: starting and ending positions from `event.old` and `event.new`"
    ),
    conversion!(
        "UISeqPrev",
        "SequenceNavigated",
        NAVIGATED,
        RESOURCE_TYPE,
        false,
        "a move to the previous unit of a sequence: starting and ending positions from `event.old` and `event.new`"
    ),
    conversion!(
        "UITextbookPdfPageNavigated",
        "TextbookPageViewed",
        VIEWED,
        DOCUMENT_TYPE,
        false,
        "a PDF textbook page viewed by page number: the object is the chapter's PDF, the page in the position extension"
    ),
    conversion!(
        "UITextbookPdfThumbnailNavigated",
        "TextbookPageViewed",
        VIEWED,
        DOCUMENT_TYPE,
        false,
        "a PDF textbook page viewed from its thumbnail"
    ),
    conversion!(
        "UIBook",
        "TextbookPageViewed",
        VIEWED,
        DOCUMENT_TYPE,
        false,
        "a PDF textbook page loaded or reached with next/previous: the page is `event.new`"
    ),
    conversion!(
        "UITextbookPdfChapterNavigated",
        "TextbookChapterViewed",
        VIEWED,
        DOCUMENT_TYPE,
        false,
        "a PDF textbook chapter opened from the outline: the object is the chapter's PDF, named by its title"
    ),
    conversion!(
        "UITextbookPdfZoomButtonsChanged",
        "TextbookZoomed",
        INTERACTED,
        DOCUMENT_TYPE,
        false,
        "a zoom in or out with the buttons: the direction in the zoom result extension"
    ),
    conversion!(
        "UITextbookPdfZoomMenuChanged",
        "TextbookZoomed",
        INTERACTED,
        DOCUMENT_TYPE,
        false,
        "a zoom level chosen in the menu: the level in the zoom result extension"
    ),
    conversion!(
        "UITextbookPdfDisplayScaled",
        "TextbookZoomed",
        INTERACTED,
        DOCUMENT_TYPE,
        false,
        "a display scale change: the scale in the zoom result extension"
    ),
    conversion!(
        "UITextbookPdfSearchExecuted",
        "TextbookSearched",
        SEARCHED,
        DOCUMENT_TYPE,
        false,
        "a search in a PDF textbook: the query in `result.response`"
    ),
];
