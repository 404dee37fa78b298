//! The 105 edX event models of Ralph 5.1: their selectors and fields, in declared order.
//!
//! Field lists follow Ralph's pydantic models (inherited fields first, an overridden field keeps
//! the position of the field it overrides); the `event` field of every model accepts the value or
//! a JSON string holding it.

use serde_json::{Map, Value};

use super::schema::{Dflt, Field, Obj, Pat, Ty};
use super::{Family, Source};

macro_rules! f {
    ($name:literal, $ty:expr) => {
        Field {
            name: $name,
            ty: $ty,
            default: Dflt::Required,
        }
    };
}

macro_rules! o {
    ($name:literal, $ty:expr) => {
        Field {
            name: $name,
            ty: Ty::Opt(&$ty),
            default: Dflt::Null,
        }
    };
}

macro_rules! obj {
    ($($field:expr),* $(,)?) => {
        Obj { fields: &[$($field),*], allow_extra: false, check: None }
    };
}

/// The definition of one model: its selector and the fields it adds to its base.
#[derive(Debug)]
pub(crate) struct ModelDef {
    pub(crate) name: &'static str,
    pub(crate) family: Family,
    pub(crate) source: Source,
    /// The `event_type` the selector matches; `None` for `Server` (`event_type == context.path`).
    pub(crate) event_type: Option<&'static str>,
    /// A replacement for the base `page` field.
    pub(crate) page: Option<&'static Field>,
    /// A replacement for the base `context` field.
    pub(crate) context: Option<&'static Field>,
    /// The fields the model declares, in order.
    pub(crate) own: &'static [Field],
}

// ----- base fields ---------------------------------------------------------------------------

static MODULE: Obj = obj![
    f!("usage_key", Ty::StrPat(Pat::UsageKey)),
    f!("display_name", Ty::Str),
    o!("original_usage_key", Ty::StrPat(Pat::OriginalUsageKey)),
    o!("original_usage_version", Ty::Str),
];

macro_rules! context_fields {
    ($($extra:expr),*) => {
        obj![
            f!("course_id", Ty::StrPat(Pat::CourseId)),
            o!("course_user_tags", Ty::Map(None, &Ty::Str)),
            o!("module", Ty::Obj(&MODULE)),
            f!("org_id", Ty::Str),
            f!("path", Ty::Path),
            Field { name: "user_id", ty: Ty::UserId, default: Dflt::Null },
            $($extra),*
        ]
    };
}

static BASE_CONTEXT: Obj = context_fields!();
static UPGRADE_CLICKED_CONTEXT: Obj = context_fields!(f!("mode", Ty::Lit(&["audit", "honor"])));
static UPGRADE_SUCCEEDED_CONTEXT: Obj = context_fields!(f!("mode", Ty::Lit(&["verified"])));
pub(crate) static CONTEXT: Field = f!("context", Ty::Obj(&BASE_CONTEXT));
static UPGRADE_CLICKED: Field = f!("context", Ty::Obj(&UPGRADE_CLICKED_CONTEXT));
static UPGRADE_SUCCEEDED: Field = f!("context", Ty::Obj(&UPGRADE_SUCCEEDED_CONTEXT));
static X_MODULE_PAGE: Field = f!("page", Ty::Lit(&["x_module"]));

/// The fields every model starts with, before `page`.
pub(crate) static HEAD: [Field; 6] = [
    f!("username", Ty::Username),
    f!("ip", Ty::Ipv4OrEmpty),
    f!("agent", Ty::Str),
    f!("host", Ty::Str),
    f!("referer", Ty::HttpUrlOrEmpty),
    f!("accept_language", Ty::Str),
];
pub(crate) static TIME: Field = f!("time", Ty::Datetime);
pub(crate) static SERVER_PAGE: Field = f!("page", Ty::Null);
pub(crate) static BROWSER_PAGE: Field = f!("page", Ty::AnyUrl);
pub(crate) static SERVER_SOURCE: Field = f!("event_source", Ty::Lit(&["server"]));
pub(crate) static BROWSER_SOURCE: Field = f!("event_source", Ty::Lit(&["browser"]));
pub(crate) static SESSION: Field = f!("session", Ty::Session);

// ----- event fields --------------------------------------------------------------------------

static SERVER_EVENT: Obj = obj![f!("GET", Ty::AnyObject), f!("POST", Ty::AnyObject)];

fn check_next(event: &Map<String, Value>) -> Result<(), (&'static str, String)> {
    jump(event, 1, "event.new - event.old should be equal to 1")
}

fn check_prev(event: &Map<String, Value>) -> Result<(), (&'static str, String)> {
    jump(event, -1, "event.old - event.new should be equal to 1")
}

fn jump(event: &Map<String, Value>, step: i64, reason: &str) -> Result<(), (&'static str, String)> {
    let new = event.get("new").and_then(Value::as_i64);
    let old = event.get("old").and_then(Value::as_i64);
    match (new, old) {
        (Some(new), Some(old)) if old.checked_add(step) == Some(new) => Ok(()),
        _ => Err(("new", reason.to_owned())),
    }
}

macro_rules! navigational {
    ($check:expr) => {
        Obj {
            fields: &[
                f!("id", Ty::StrPat(Pat::SequentialId)),
                f!("new", Ty::Int),
                f!("old", Ty::Int),
            ],
            allow_extra: false,
            check: $check,
        }
    };
}
static NAV_GOTO: Obj = navigational!(None);
static NAV_NEXT: Obj = navigational!(Some(check_next));
static NAV_PREV: Obj = navigational!(Some(check_prev));

macro_rules! video {
    ($($field:expr),*) => {
        Obj {
            fields: &[f!("code", Ty::Str), f!("id", Ty::Str), $($field),*],
            allow_extra: true,
            check: None,
        }
    };
}
static VIDEO_BASE: Obj = video!();
static VIDEO_CURRENT_TIME: Obj = video!(f!("currentTime", Ty::NonNegFloat));
static VIDEO_SEEK: Obj = video!(
    f!("new_time", Ty::NonNegFloat),
    f!("old_time", Ty::NonNegFloat),
    f!("type", Ty::Str)
);
static VIDEO_TRANSCRIPT: Obj = video!(f!("current_time", Ty::NonNegFloat));
const SPEEDS: &[&str] = &["0.75", "1.0", "1.25", "1.50", "2.0"];
static VIDEO_SPEED: Obj = video!(
    f!("currentTime", Ty::NonNegFloat),
    f!("new_speed", Ty::Lit(SPEEDS)),
    f!("old_speed", Ty::Lit(SPEEDS))
);

static QUEUE_STATE: Obj = obj![f!("key", Ty::Str), f!("time", Ty::Datetime)];
static CORRECT_MAP: Obj = obj![
    o!("answervariable", Ty::Str),
    f!("correctness", Ty::Lit(&["correct", "incorrect"])),
    o!("hint", Ty::Str),
    o!("hintmode", Ty::Lit(&["on_request", "always"])),
    f!("msg", Ty::Str),
    o!("npoints", Ty::Int),
    o!("queuestate", Ty::Obj(&QUEUE_STATE)),
];
static STATE: Obj = obj![
    f!(
        "correct_map",
        Ty::Map(Some(Pat::InputId), &Ty::Obj(&CORRECT_MAP))
    ),
    o!("done", Ty::Bool),
    f!("input_state", Ty::AnyObject),
    f!("seed", Ty::Int),
    f!("student_answers", Ty::AnyObject),
];
static SUBMISSION_ANSWER: Obj = obj![
    f!("answer", Ty::StrOrStrList),
    f!("correct", Ty::Bool),
    f!("input_type", Ty::Str),
    f!("question", Ty::Str),
    f!("response_type", Ty::Str),
    f!("variant", Ty::Str),
];
static DEMANDHINT_DISPLAYED: Obj = obj![
    f!("hint_index", Ty::Int),
    f!("hint_len", Ty::Int),
    f!("hint_text", Ty::Str),
    f!("module_id", Ty::Str),
];
static FEEDBACK_DISPLAYED: Obj = obj![
    o!("choice_all", Ty::List(&Ty::Str)),
    f!("correctness", Ty::Bool),
    f!("hint_label", Ty::Str),
    f!("hints", Ty::List(&Ty::AnyObject)),
    f!("module_id", Ty::Str),
    f!("problem_part_id", Ty::Str),
    f!(
        "question_type",
        Ty::Lit(&[
            "stringresponse",
            "choiceresponse",
            "multiplechoiceresponse",
            "numericalresponse",
            "optionresponse",
        ])
    ),
    f!("student_answer", Ty::List(&Ty::Str)),
    f!("trigger_type", Ty::Lit(&["single", "compound"])),
];
const ANSWERS: Ty = Ty::Map(Some(Pat::InputId), &Ty::StrOrStrList);
const PROBLEM_ID: Ty = Ty::StrPat(Pat::ProblemId);
const CORRECTNESS: Ty = Ty::Lit(&["correct", "incorrect"]);
static PROBLEM_CHECK: Obj = obj![
    f!("answers", ANSWERS),
    f!("attempts", Ty::Int),
    f!(
        "correct_map",
        Ty::Map(Some(Pat::InputId), &Ty::Obj(&CORRECT_MAP))
    ),
    f!("grade", Ty::Int),
    f!("max_grade", Ty::Int),
    f!("problem_id", PROBLEM_ID),
    f!("state", Ty::Obj(&STATE)),
    f!(
        "submission",
        Ty::Map(Some(Pat::InputId), &Ty::Obj(&SUBMISSION_ANSWER))
    ),
    f!("success", CORRECTNESS),
];
static PROBLEM_CHECK_FAIL: Obj = obj![
    f!("answers", ANSWERS),
    f!("failure", Ty::Lit(&["closed", "unreset"])),
    f!("problem_id", PROBLEM_ID),
    f!("state", Ty::Obj(&STATE)),
];
static PROBLEM_RESCORE: Obj = obj![
    f!("attempts", Ty::Int),
    f!("correct_map", Ty::Obj(&CORRECT_MAP)),
    f!("new_score", Ty::Int),
    f!("new_total", Ty::Int),
    f!("orig_score", Ty::Int),
    f!("orig_total", Ty::Int),
    f!("problem_id", PROBLEM_ID),
    f!("state", Ty::Obj(&STATE)),
    f!("success", CORRECTNESS),
];
static PROBLEM_RESCORE_FAIL: Obj = obj![
    f!("failure", Ty::Lit(&["closed", "unreset"])),
    f!("problem_id", PROBLEM_ID),
    f!("state", Ty::Obj(&STATE)),
];
static UI_PROBLEM_RESET: Obj = obj![f!("answers", Ty::StrOrStrList)];
static UI_PROBLEM_SHOW: Obj = obj![f!("problem", Ty::Str)];
static RESET_PROBLEM: Obj = obj![
    f!("new_state", Ty::Obj(&STATE)),
    f!("old_state", Ty::Obj(&STATE)),
    f!("problem_id", PROBLEM_ID),
];
static RESET_PROBLEM_FAIL: Obj = obj![
    f!("failure", Ty::Lit(&["closed", "not_done"])),
    f!("old_state", Ty::Obj(&STATE)),
    f!("problem_id", PROBLEM_ID),
];
const SAVE_ANSWERS: Ty = Ty::Map(None, &Ty::IntStrArrayObject);
static SAVE_PROBLEM_FAIL: Obj = obj![
    f!("answers", SAVE_ANSWERS),
    f!("failure", Ty::Lit(&["closed", "done"])),
    f!("problem_id", PROBLEM_ID),
    f!("state", Ty::Obj(&STATE)),
];
static SAVE_PROBLEM_SUCCESS: Obj = obj![
    f!("answers", SAVE_ANSWERS),
    f!("problem_id", PROBLEM_ID),
    f!("state", Ty::Obj(&STATE)),
];
static SHOW_ANSWER: Obj = obj![f!("problem_id", PROBLEM_ID)];

const CHAPTER: Ty = Ty::StrPat(Pat::Chapter);
macro_rules! textbook {
    ($name:literal $(, $field:expr)*) => {
        obj![f!("page", Ty::Int), f!("chapter", CHAPTER), f!("name", Ty::Lit(&[$name])) $(, $field)*]
    };
}
macro_rules! textbook_search {
    ($name:literal $(, $field:expr)*) => {
        textbook!(
            $name,
            f!("caseSensitive", Ty::Bool)
            $(, $field)*,
            f!("highlightAll", Ty::Bool),
            f!("query", Ty::Str),
            f!("status", Ty::Str)
        )
    };
}
static TB_THUMBNAILS_TOGGLED: Obj = textbook!("textbook.pdf.thumbnails.toggled");
static TB_THUMBNAIL_NAVIGATED: Obj = textbook!(
    "textbook.pdf.thumbnail.navigated",
    f!("thumbnail_title", Ty::Str)
);
static TB_OUTLINE_TOGGLED: Obj = textbook!("textbook.pdf.outline.toggled");
static TB_CHAPTER_NAVIGATED: Obj = obj![
    f!("name", Ty::Lit(&["textbook.pdf.chapter.navigated"])),
    f!("chapter", CHAPTER),
    f!("chapter_title", Ty::Str),
];
static TB_PAGE_NAVIGATED: Obj = textbook!("textbook.pdf.page.navigated");
static TB_ZOOM_BUTTONS: Obj = textbook!(
    "textbook.pdf.zoom.buttons.changed",
    f!("direction", Ty::Lit(&["in", "out"]))
);
static TB_ZOOM_MENU: Obj = textbook!(
    "textbook.pdf.zoom.menu.changed",
    f!(
        "amount",
        Ty::Lit(&[
            "0.5",
            "0.75",
            "1",
            "1.25",
            "1.5",
            "2",
            "3",
            "4",
            "auto",
            "custom",
            "page-actual",
            "page-fit",
            "page-width",
        ])
    )
);
static TB_DISPLAY_SCALED: Obj = textbook!("textbook.pdf.display.scaled", f!("amount", Ty::Float));
static TB_PAGE_SCROLLED: Obj = textbook!(
    "textbook.pdf.page.scrolled",
    f!("direction", Ty::Lit(&["up", "down"]))
);
static TB_SEARCH_EXECUTED: Obj = textbook_search!("textbook.pdf.search.executed");
static TB_SEARCH_NAVIGATED_NEXT: Obj = textbook_search!(
    "textbook.pdf.search.navigatednext",
    f!("findPrevious", Ty::Bool)
);
static TB_SEARCH_HIGHLIGHT: Obj = textbook_search!("textbook.pdf.search.highlight.toggled");
static TB_SEARCH_CASE: Obj = textbook_search!("textbook.pdf.searchcasesensitivity.toggled");
static BOOK: Obj = obj![
    f!("chapter", CHAPTER),
    f!(
        "name",
        Ty::Lit(&[
            "textbook.pdf.page.loaded",
            "textbook.pdf.page.navigatednext"
        ])
    ),
    f!("new", Ty::Int),
    o!("old", Ty::Int),
    f!("type", Ty::Lit(&["gotopage", "prevpage", "nextpage"])),
];

static ENROLLMENT: Obj = obj![
    f!("course_id", Ty::Str),
    f!(
        "mode",
        Ty::Lit(&["audit", "honor", "professional", "verified"])
    ),
    Field {
        name: "user_id",
        ty: Ty::UserId,
        default: Dflt::Null
    },
];

const ORA_ITEM_ID: Ty = Ty::StrPat(Pat::OraItemId);
static ORA_GET_PEER_SUBMISSION: Obj = obj![
    f!("course_id", Ty::StrMax(255)),
    f!("item_id", ORA_ITEM_ID),
    f!("requesting_student_id", Ty::Str),
    o!("submission_returned_uuid", Ty::Str),
];
static ORA_GET_SUBMISSION_FOR_STAFF: Obj = obj![
    f!("item_id", ORA_ITEM_ID),
    o!("submission_returned_uuid", Ty::Str),
    f!("requesting_staff_id", Ty::Str),
    f!("type", Ty::Lit(&["full-grade"])),
];
static ORA_CRITERION: Obj = obj![f!("name", Ty::Str), f!("points_possible", Ty::Int)];
static ORA_PART: Obj = obj![
    f!("option", Ty::Str),
    f!("criterion", Ty::Obj(&ORA_CRITERION)),
    o!("feedback", Ty::Str),
];
static ORA_RUBRIC: Obj = obj![f!("content_hash", Ty::StrPat(Pat::ContentHash))];
macro_rules! ora_assess {
    ($($field:expr),*) => {
        obj![
            f!("feedback", Ty::Str),
            f!("parts", Ty::List(&Ty::Obj(&ORA_PART))),
            f!("rubric", Ty::Obj(&ORA_RUBRIC)),
            f!("scored_at", Ty::Datetime),
            f!("scorer_id", Ty::StrMax(40)),
            f!("score_type", Ty::Lit(&["PE", "SE", "ST"])),
            f!("submission_uuid", Ty::Uuid)
            $(, $field)*
        ]
    };
}
static ORA_ASSESS: Obj = ora_assess!();
static ORA_STAFF_ASSESS: Obj = ora_assess!(f!("type", Ty::Lit(&["regrade", "full-grade"])));
static ORA_SUBMIT_FEEDBACK: Obj = obj![
    f!("feedback_text", Ty::Str),
    f!("options", Ty::List(&Ty::Str)),
    f!("submission_uuid", Ty::Uuid),
];
static ORA_ANSWER: Obj = obj![
    f!("parts", Ty::List(&Ty::OneKeyMap("text", &Ty::Str))),
    o!("file_keys", Ty::List(&Ty::Str)),
    o!("files_descriptions", Ty::List(&Ty::Str)),
];
static ORA_CREATE_SUBMISSION: Obj = obj![
    f!("answer", Ty::Obj(&ORA_ANSWER)),
    f!("attempt_number", Ty::Int),
    f!("created_at", Ty::Datetime),
    f!("submitted_at", Ty::Datetime),
    f!("submission_uuid", Ty::Uuid),
];
static ORA_SAVED_RESPONSE: Obj = obj![f!("text", Ty::Str), o!("file_upload_key", Ty::Str)];
static ORA_SAVE_SUBMISSION: Obj = obj![f!("saved_response", Ty::Obj(&ORA_SAVED_RESPONSE))];
static ORA_STUDENT_TRAINING: Obj = obj![
    f!("corrections", Ty::Map(None, &Ty::Str)),
    f!("options_selected", Ty::Map(None, &Ty::Str)),
    f!("submission_uuid", Ty::Uuid),
];
static ORA_UPLOAD_FILE: Obj = obj![
    f!("fileName", Ty::StrMax(255)),
    f!("fileSize", Ty::Int),
    f!("fileType", Ty::Str),
];

static PEER_INSTRUCTION: Obj = obj![
    f!("answer", Ty::Int),
    f!("rationale", Ty::StrMax(12500)),
    f!("truncated", Ty::Bool),
];

static DND_FEEDBACK: Obj = obj![
    f!("content", Ty::Str),
    f!("manually", Ty::Bool),
    o!("truncated", Ty::Bool),
];
static DND_ITEM_DROPPED: Obj = obj![
    f!("input", Ty::Int),
    o!("item", Ty::Str),
    f!("item_id", Ty::Int),
    f!("is_correct", Ty::Bool),
    f!("is_correct_location", Ty::Bool),
    f!("location", Ty::Str),
    o!("location_id", Ty::Int),
];
static DND_ITEM_PICKED_UP: Obj = obj![f!("item_id", Ty::Int)];

static COHORT: Obj = obj![f!("cohort_id", Ty::Int), f!("name", Ty::Str)];
static COHORT_USER: Obj = obj![
    f!("cohort_id", Ty::Int),
    f!("name", Ty::Str),
    f!("user_id", Ty::Int),
];

macro_rules! certificate {
    ($($field:expr),*) => {
        obj![
            f!("certificate_id", Ty::Uuid),
            f!("certificate_url", Ty::HttpUrl),
            f!("course_id", Ty::StrPat(Pat::CourseId)),
            f!("enrollment_mode", Ty::Lit(&["audit", "honor", "professional", "verified"])),
            f!("user_id", Ty::Int)
            $(, $field)*
        ]
    };
}
static CERT_CREATED: Obj = certificate!(f!("generation_mode", Ty::Lit(&["batch", "self"])));
static CERT_REVOKED: Obj = certificate!(f!("source", Ty::Str));
static CERT_SHARED: Obj = certificate!(f!("social_network", Ty::Str));
static CERT_EVIDENCE_VISITED: Obj =
    certificate!(f!("social_network", Ty::Str), f!("source_url", Ty::HttpUrl));
static CERT_GENERATION: Obj = obj![f!("course_id", Ty::StrPat(Pat::CourseId))];

macro_rules! bookmark {
    ($($field:expr),*) => {
        obj![
            f!("bookmark_id", Ty::Str),
            f!(
                "component_type",
                Ty::Lit(&[
                    "chapter", "course", "discussion", "html", "problem", "sequential", "vertical",
                    "video",
                ])
            ),
            f!("component_usage_id", Ty::StrPat(Pat::ComponentUsageId))
            $(, $field)*
        ]
    };
}
static BOOKMARK: Obj = bookmark!();
static BOOKMARK_WITH_COURSE: Obj = bookmark!(f!("course_id", Ty::StrPat(Pat::CourseId)));
static BOOKMARK_LISTED: Obj = obj![
    f!("bookmarks_count", Ty::Int),
    f!("course_id", Ty::Opt(&Ty::StrPat(Pat::CourseId))),
    f!("list_type", Ty::Lit(&["per_course", "all_courses"])),
    f!("page_number", Ty::Int),
    f!("page_size", Ty::Int),
];
static COURSE_TOOL: Obj = obj![f!(
    "tool_name",
    Ty::Lit(&["edx.bookmarks", "edx.reviews", "edx.updates"])
)];

const NOTES_TRUNCATED: Ty = Ty::List(&Ty::Lit(&[
    "note_text",
    "highlighted_content",
    "tags",
    "old_note_text",
    "old_tags",
]));
macro_rules! notes {
    ($($field:expr),*) => {
        obj![
            f!("component_usage_id", Ty::Str),
            f!("highlighted_content", Ty::Str),
            f!("note_id", Ty::Str),
            f!("note_text", Ty::StrMax(8333)),
            Field { name: "tags", ty: Ty::List(&Ty::Str), default: Dflt::EmptyList },
            Field { name: "truncated", ty: NOTES_TRUNCATED, default: Dflt::EmptyList }
            $(, $field)*
        ]
    };
}
static NOTES: Obj = notes!();
static NOTES_EDITED: Obj = notes!(
    f!("old_note_text", Ty::StrMax(8333)),
    Field {
        name: "old_tags",
        ty: Ty::List(&Ty::Str),
        default: Dflt::EmptyList
    }
);
const NOTES_VIEW: Ty = Ty::Lit(&["Recent Activity", "Search Results"]);
static NOTES_PAGE_VIEWED: Obj = obj![Field {
    name: "view",
    ty: NOTES_VIEW,
    default: Dflt::Str("Recent Activity")
}];
static NOTES_SEARCHED: Obj = obj![
    f!("number_of_results", Ty::Int),
    f!("search_string", Ty::Str),
];
static NOTES_USED_UNIT_LINK: Obj = obj![
    f!("component_usage_id", Ty::Str),
    f!("note_id", Ty::Str),
    f!("view", NOTES_VIEW),
];
static NOTES_VIEWED: Obj = obj![f!("notes", Ty::List(&Ty::OneKeyMap("note_id", &Ty::Str)))];

fn check_truncated(event: &Map<String, Value>) -> Result<(), (&'static str, String)> {
    match event.get("truncated") {
        Some(Value::Array(items)) if items.len() > 2 => Err((
            "truncated",
            "truncated length must be lower than 2".to_owned(),
        )),
        _ => Ok(()),
    }
}
static TEAM: Obj = obj![f!("team_id", Ty::Str)];
static TEAM_CHANGED: Obj = Obj {
    fields: &[
        f!("team_id", Ty::Str),
        f!("field", Ty::Str),
        f!("new", Ty::StrMax(1250)),
        f!("old", Ty::StrMax(1250)),
        f!("truncated", Ty::List(&Ty::Str)),
    ],
    allow_extra: false,
    check: Some(check_truncated),
};
static TEAM_LEARNER_ADDED: Obj = obj![
    f!("team_id", Ty::Str),
    f!(
        "add_method",
        Ty::Lit(&[
            "added_on_create",
            "joined_from_team_view",
            "added_by_another_user"
        ])
    ),
    f!("user_id", Ty::Str),
];
static TEAM_LEARNER_REMOVED: Obj = obj![
    f!("team_id", Ty::Str),
    f!(
        "remove_method",
        Ty::Lit(&["self_removal", "team_deleted", "removed_by_admin"])
    ),
    f!("user_id", Ty::Str),
];
static TEAM_PAGE_VIEWED: Obj = obj![
    f!("team_id", Ty::Str),
    f!(
        "page_name",
        Ty::Lit(&[
            "browse",
            "edit-team",
            "my-teams",
            "new-team",
            "search-teams",
            "single-team",
            "single-topic",
        ])
    ),
    f!("topic_id", Ty::Str),
];
static TEAM_SEARCHED: Obj = obj![
    f!("number_of_results", Ty::Int),
    f!("search_text", Ty::Str),
    f!("topic_id", Ty::Str),
];

static POLL_SUBMITTED: Obj = obj![f!("url_name", Ty::Str), f!("choice", Ty::Str)];
static SURVEY_SUBMITTED: Obj = obj![f!("url_name", Ty::Str), f!("choices", Ty::AnyObject)];
static DONE_TOGGLED: Obj = obj![f!("done", Ty::Bool)];

static LIBRARY_COMPONENT: Obj = obj![
    o!("descendants", Ty::AnyArray),
    f!("original_usage_key", Ty::Str),
    f!("original_usage_version", Ty::Str),
    f!("usage_key", Ty::Str),
];
const LIBRARY_COMPONENTS: Ty = Ty::List(&Ty::Obj(&LIBRARY_COMPONENT));
static LIBRARY_ASSIGNED: Obj = obj![
    f!("location", Ty::Str),
    f!("max_count", Ty::PosInt),
    f!("previous_count", Ty::PosInt),
    f!("result", LIBRARY_COMPONENTS),
    f!("added", LIBRARY_COMPONENTS),
];
static LIBRARY_REMOVED: Obj = obj![
    f!("location", Ty::Str),
    f!("max_count", Ty::PosInt),
    f!("previous_count", Ty::PosInt),
    f!("result", LIBRARY_COMPONENTS),
    f!("reason", Ty::Lit(&["overlimit", "invalid"])),
    f!("removed", LIBRARY_COMPONENTS),
];

// ----- models --------------------------------------------------------------------------------

/// `event` (a model or a JSON string of it), `event_type` and `name` fixed to the event type.
macro_rules! model {
    ($name:literal, $family:ident, $source:ident, $et:literal, $event:expr) => {
        model!(
            $name,
            $family,
            $source,
            $et,
            $event,
            f!("name", Ty::Lit(&[$et]))
        )
    };
    ($name:literal, $family:ident, $source:ident, $et:literal, $event:expr, $name_field:expr) => {
        ModelDef {
            name: $name,
            family: Family::$family,
            source: Source::$source,
            event_type: Some($et),
            page: None,
            context: None,
            own: &[
                f!("event", Ty::Event(&Ty::Obj(&$event))),
                f!("event_type", Ty::Lit(&[$et])),
                $name_field,
            ],
        }
    };
}

/// A server model whose `page` is `"x_module"` and that has no `name`.
macro_rules! x_module {
    ($name:literal, $family:ident, $et:literal, $event:expr) => {
        ModelDef {
            name: $name,
            family: Family::$family,
            source: Source::Server,
            event_type: Some($et),
            page: Some(&X_MODULE_PAGE),
            context: None,
            own: &[
                f!("event", Ty::Event(&Ty::Obj(&$event))),
                f!("event_type", Ty::Lit(&[$et])),
            ],
        }
    };
}

/// A model without an `event` field.
macro_rules! no_event {
    ($name:literal, $family:ident, $source:ident, $et:literal) => {
        no_event!($name, $family, $source, $et, None)
    };
    ($name:literal, $family:ident, $source:ident, $et:literal, $context:expr) => {
        ModelDef {
            name: $name,
            family: Family::$family,
            source: Source::$source,
            event_type: Some($et),
            page: None,
            context: $context,
            own: &[
                f!("event_type", Ty::Lit(&[$et])),
                f!("name", Ty::Lit(&[$et])),
            ],
        }
    };
}

macro_rules! video_model {
    ($name:literal, $et:literal, $event:expr, [$($names:literal),*], optional) => {
        model!($name, Video, Browser, $et, $event, o!("name", Ty::Lit(&[$et $(, $names)*])))
    };
    ($name:literal, $et:literal, $event:expr, [$($names:literal),*]) => {
        model!($name, Video, Browser, $et, $event, f!("name", Ty::Lit(&[$et $(, $names)*])))
    };
}

/// Every model, sorted by name as Ralph lists them.
pub(crate) static MODELS: &[ModelDef] = &[
    // bookmark
    model!(
        "EdxBookmarkAdded",
        Bookmark,
        Server,
        "edx.bookmark.added",
        BOOKMARK_WITH_COURSE
    ),
    model!(
        "EdxBookmarkListed",
        Bookmark,
        Server,
        "edx.bookmark.listed",
        BOOKMARK_LISTED
    ),
    model!(
        "EdxBookmarkRemoved",
        Bookmark,
        Server,
        "edx.bookmark.removed",
        BOOKMARK_WITH_COURSE
    ),
    model!(
        "UIEdxBookmarkAccessed",
        Bookmark,
        Browser,
        "edx.bookmark.accessed",
        BOOKMARK
    ),
    model!(
        "UIEdxCourseToolAccessed",
        Bookmark,
        Browser,
        "edx.course.tool.accessed",
        COURSE_TOOL
    ),
    // certificate
    model!(
        "EdxCertificateCreated",
        Certificate,
        Server,
        "edx.certificate.created",
        CERT_CREATED
    ),
    model!(
        "EdxCertificateEvidenceVisited",
        Certificate,
        Server,
        "edx.certificate.evidence_visited",
        CERT_EVIDENCE_VISITED
    ),
    model!(
        "EdxCertificateGenerationDisabled",
        Certificate,
        Server,
        "edx.certificate.generation.disabled",
        CERT_GENERATION
    ),
    model!(
        "EdxCertificateGenerationEnabled",
        Certificate,
        Server,
        "edx.certificate.generation.enabled",
        CERT_GENERATION
    ),
    model!(
        "EdxCertificateRevoked",
        Certificate,
        Server,
        "edx.certificate.revoked",
        CERT_REVOKED
    ),
    model!(
        "EdxCertificateShared",
        Certificate,
        Server,
        "edx.certificate.shared",
        CERT_SHARED
    ),
    // cohort
    model!(
        "EdxCohortCreated",
        Cohort,
        Server,
        "edx.cohort.created",
        COHORT
    ),
    model!(
        "EdxCohortUserAdded",
        Cohort,
        Server,
        "edx.cohort.user_added",
        COHORT_USER
    ),
    model!(
        "EdxCohortUserRemoved",
        Cohort,
        Server,
        "edx.cohort.user_removed",
        COHORT_USER
    ),
    // content library interaction
    model!(
        "EdxLibraryContentBlockContentAssigned",
        ContentLibraryInteraction,
        Server,
        "edx.librarycontentblock.content.assigned",
        LIBRARY_ASSIGNED
    ),
    model!(
        "EdxLibraryContentBlockContentRemoved",
        ContentLibraryInteraction,
        Server,
        "edx.librarycontentblock.content.removed",
        LIBRARY_REMOVED
    ),
    // course content completion
    model!(
        "EdxDoneToggled",
        CourseContentCompletion,
        Server,
        "edx.done.toggled",
        DONE_TOGGLED
    ),
    model!(
        "UIEdxDoneToggled",
        CourseContentCompletion,
        Browser,
        "edx.done.toggled",
        DONE_TOGGLED
    ),
    // drag and drop
    model!(
        "EdxDragAndDropV2FeedbackClosed",
        DragAndDrop,
        Server,
        "edx.drag_and_drop_v2.feedback.closed",
        DND_FEEDBACK
    ),
    model!(
        "EdxDragAndDropV2FeedbackOpened",
        DragAndDrop,
        Server,
        "edx.drag_and_drop_v2.feedback.opened",
        DND_FEEDBACK
    ),
    model!(
        "EdxDragAndDropV2ItemDropped",
        DragAndDrop,
        Server,
        "edx.drag_and_drop_v2.item.dropped",
        DND_ITEM_DROPPED
    ),
    model!(
        "EdxDragAndDropV2ItemPickedUp",
        DragAndDrop,
        Server,
        "edx.drag_and_drop_v2.item.picked_up",
        DND_ITEM_PICKED_UP
    ),
    no_event!(
        "EdxDragAndDropV2Loaded",
        DragAndDrop,
        Server,
        "edx.drag_and_drop_v2.loaded"
    ),
    // enrollment
    model!(
        "EdxCourseEnrollmentActivated",
        Enrollment,
        Server,
        "edx.course.enrollment.activated",
        ENROLLMENT
    ),
    model!(
        "EdxCourseEnrollmentDeactivated",
        Enrollment,
        Server,
        "edx.course.enrollment.deactivated",
        ENROLLMENT
    ),
    model!(
        "EdxCourseEnrollmentModeChanged",
        Enrollment,
        Server,
        "edx.course.enrollment.mode_changed",
        ENROLLMENT
    ),
    no_event!(
        "EdxCourseEnrollmentUpgradeSucceeded",
        Enrollment,
        Server,
        "edx.course.enrollment.upgrade.succeeded",
        Some(&UPGRADE_SUCCEEDED)
    ),
    no_event!(
        "UIEdxCourseEnrollmentUpgradeClicked",
        Enrollment,
        Browser,
        "edx.course.enrollment.upgrade_clicked",
        Some(&UPGRADE_CLICKED)
    ),
    // navigational
    ModelDef {
        name: "UIPageClose",
        family: Family::Navigational,
        source: Source::Browser,
        event_type: Some("page_close"),
        page: None,
        context: None,
        own: &[
            f!("event", Ty::EmptyObjectStr),
            f!("event_type", Ty::Lit(&["page_close"])),
            f!("name", Ty::Lit(&["page_close"])),
        ],
    },
    model!("UISeqGoto", Navigational, Browser, "seq_goto", NAV_GOTO),
    model!("UISeqNext", Navigational, Browser, "seq_next", NAV_NEXT),
    model!("UISeqPrev", Navigational, Browser, "seq_prev", NAV_PREV),
    // notes
    model!(
        "UIEdxCourseStudentNotesAdded",
        Notes,
        Browser,
        "edx.course.student_notes.added",
        NOTES
    ),
    model!(
        "UIEdxCourseStudentNotesDeleted",
        Notes,
        Browser,
        "edx.course.student_notes.deleted",
        NOTES
    ),
    model!(
        "UIEdxCourseStudentNotesEdited",
        Notes,
        Browser,
        "edx.course.student_notes.edited",
        NOTES_EDITED
    ),
    model!(
        "UIEdxCourseStudentNotesNotesPageViewed",
        Notes,
        Browser,
        "edx.course.student_notes.notes_page_viewed",
        NOTES_PAGE_VIEWED
    ),
    model!(
        "UIEdxCourseStudentNotesSearched",
        Notes,
        Browser,
        "edx.course.student_notes.searched",
        NOTES_SEARCHED
    ),
    model!(
        "UIEdxCourseStudentNotesUsedUnitLink",
        Notes,
        Browser,
        "edx.course.student_notes.used_unit_link",
        NOTES_USED_UNIT_LINK
    ),
    model!(
        "UIEdxCourseStudentNotesViewed",
        Notes,
        Browser,
        "edx.course.student_notes.viewed",
        NOTES_VIEWED
    ),
    // open response assessment
    x_module!(
        "ORACreateSubmission",
        OpenResponseAssessment,
        "openassessmentblock.create_submission",
        ORA_CREATE_SUBMISSION
    ),
    x_module!(
        "ORAGetPeerSubmission",
        OpenResponseAssessment,
        "openassessmentblock.get_peer_submission",
        ORA_GET_PEER_SUBMISSION
    ),
    x_module!(
        "ORAGetSubmissionForStaffGrading",
        OpenResponseAssessment,
        "openassessmentblock.get_submission_for_staff_grading",
        ORA_GET_SUBMISSION_FOR_STAFF
    ),
    x_module!(
        "ORAPeerAssess",
        OpenResponseAssessment,
        "openassessmentblock.peer_assess",
        ORA_ASSESS
    ),
    x_module!(
        "ORASaveSubmission",
        OpenResponseAssessment,
        "openassessmentblock.save_submission",
        ORA_SAVE_SUBMISSION
    ),
    x_module!(
        "ORASelfAssess",
        OpenResponseAssessment,
        "openassessmentblock.self_assess",
        ORA_ASSESS
    ),
    x_module!(
        "ORAStaffAssess",
        OpenResponseAssessment,
        "openassessmentblock.staff_assess",
        ORA_STAFF_ASSESS
    ),
    x_module!(
        "ORAStudentTrainingAssessExample",
        OpenResponseAssessment,
        "openassessment.student_training_assess_example",
        ORA_STUDENT_TRAINING
    ),
    x_module!(
        "ORASubmitFeedbackOnAssessments",
        OpenResponseAssessment,
        "openassessmentblock.submit_feedback_on_assessments",
        ORA_SUBMIT_FEEDBACK
    ),
    model!(
        "ORAUploadFile",
        OpenResponseAssessment,
        Browser,
        "openassessment.upload_file",
        ORA_UPLOAD_FILE
    ),
    // peer instruction
    no_event!(
        "PeerInstructionAccessed",
        PeerInstruction,
        Server,
        "ubc.peer_instruction.accessed"
    ),
    model!(
        "PeerInstructionOriginalSubmitted",
        PeerInstruction,
        Server,
        "ubc.peer_instruction.original_submitted",
        PEER_INSTRUCTION
    ),
    model!(
        "PeerInstructionRevisedSubmitted",
        PeerInstruction,
        Server,
        "ubc.peer_instruction.revised_submitted",
        PEER_INSTRUCTION
    ),
    // poll
    model!(
        "XBlockPollSubmitted",
        Poll,
        Server,
        "xblock.poll.submitted",
        POLL_SUBMITTED
    ),
    no_event!(
        "XBlockPollViewResults",
        Poll,
        Server,
        "xblock.poll.view_results"
    ),
    // problem interaction
    x_module!(
        "EdxProblemHintDemandhintDisplayed",
        ProblemInteraction,
        "edx.problem.hint.demandhint_displayed",
        DEMANDHINT_DISPLAYED
    ),
    x_module!(
        "EdxProblemHintFeedbackDisplayed",
        ProblemInteraction,
        "edx.problem.hint.feedback_displayed",
        FEEDBACK_DISPLAYED
    ),
    x_module!(
        "ProblemCheck",
        ProblemInteraction,
        "problem_check",
        PROBLEM_CHECK
    ),
    x_module!(
        "ProblemCheckFail",
        ProblemInteraction,
        "problem_check_fail",
        PROBLEM_CHECK_FAIL
    ),
    x_module!(
        "ProblemRescore",
        ProblemInteraction,
        "problem_rescore",
        PROBLEM_RESCORE
    ),
    x_module!(
        "ProblemRescoreFail",
        ProblemInteraction,
        "problem_rescore_fail",
        PROBLEM_RESCORE_FAIL
    ),
    x_module!(
        "ResetProblem",
        ProblemInteraction,
        "reset_problem",
        RESET_PROBLEM
    ),
    x_module!(
        "ResetProblemFail",
        ProblemInteraction,
        "reset_problem_fail",
        RESET_PROBLEM_FAIL
    ),
    x_module!(
        "SaveProblemFail",
        ProblemInteraction,
        "save_problem_fail",
        SAVE_PROBLEM_FAIL
    ),
    x_module!(
        "SaveProblemSuccess",
        ProblemInteraction,
        "save_problem_success",
        SAVE_PROBLEM_SUCCESS
    ),
    x_module!("ShowAnswer", ProblemInteraction, "showanswer", SHOW_ANSWER),
    ModelDef {
        name: "UIProblemCheck",
        family: Family::ProblemInteraction,
        source: Source::Browser,
        event_type: Some("problem_check"),
        page: None,
        context: None,
        own: &[
            f!("event", Ty::EventStr),
            f!("event_type", Ty::Lit(&["problem_check"])),
            f!("name", Ty::Lit(&["problem_check"])),
        ],
    },
    ModelDef {
        name: "UIProblemGraded",
        family: Family::ProblemInteraction,
        source: Source::Browser,
        event_type: Some("problem_graded"),
        page: None,
        context: None,
        own: &[
            f!("event", Ty::Event(&Ty::List(&Ty::Opt(&Ty::Str)))),
            f!("event_type", Ty::Lit(&["problem_graded"])),
            f!("name", Ty::Lit(&["problem_graded"])),
        ],
    },
    ModelDef {
        name: "UIProblemReset",
        family: Family::ProblemInteraction,
        source: Source::Browser,
        event_type: Some("problem_reset"),
        page: None,
        context: None,
        own: &[
            f!("event", Ty::StrOrObj(&UI_PROBLEM_RESET)),
            f!("event_type", Ty::Lit(&["problem_reset"])),
            f!("name", Ty::Lit(&["problem_reset"])),
        ],
    },
    ModelDef {
        name: "UIProblemSave",
        family: Family::ProblemInteraction,
        source: Source::Browser,
        event_type: Some("problem_save"),
        page: None,
        context: None,
        own: &[
            f!("event", Ty::EventStr),
            f!("event_type", Ty::Lit(&["problem_save"])),
            f!("name", Ty::Lit(&["problem_save"])),
        ],
    },
    model!(
        "UIProblemShow",
        ProblemInteraction,
        Browser,
        "problem_show",
        UI_PROBLEM_SHOW
    ),
    // server
    ModelDef {
        name: "Server",
        family: Family::Server,
        source: Source::Server,
        event_type: None,
        page: None,
        context: None,
        own: &[
            f!("event_type", Ty::Path),
            f!("event", Ty::Event(&Ty::Obj(&SERVER_EVENT))),
        ],
    },
    // survey
    model!(
        "XBlockSurveySubmitted",
        Survey,
        Server,
        "xblock.survey.submitted",
        SURVEY_SUBMITTED
    ),
    no_event!(
        "XBlockSurveyViewResults",
        Survey,
        Server,
        "xblock.survey.view_results"
    ),
    // teams related
    model!(
        "EdxTeamActivityUpdated",
        TeamsRelated,
        Server,
        "edx.team.activity_updated",
        TEAM
    ),
    model!(
        "EdxTeamChanged",
        TeamsRelated,
        Server,
        "edx.team.changed",
        TEAM_CHANGED
    ),
    model!(
        "EdxTeamCreated",
        TeamsRelated,
        Server,
        "edx.team.created",
        TEAM
    ),
    model!(
        "EdxTeamDeleted",
        TeamsRelated,
        Server,
        "edx.team.deleted",
        TEAM
    ),
    model!(
        "EdxTeamLearnerAdded",
        TeamsRelated,
        Server,
        "edx.team.learner_added",
        TEAM_LEARNER_ADDED
    ),
    model!(
        "EdxTeamLearnerRemoved",
        TeamsRelated,
        Server,
        "edx.team.learner_removed",
        TEAM_LEARNER_REMOVED
    ),
    model!(
        "EdxTeamPageViewed",
        TeamsRelated,
        Server,
        "edx.team.page_viewed",
        TEAM_PAGE_VIEWED
    ),
    model!(
        "EdxTeamSearched",
        TeamsRelated,
        Server,
        "edx.team.searched",
        TEAM_SEARCHED
    ),
    // textbook interaction
    model!("UIBook", TextbookInteraction, Browser, "book", BOOK),
    model!(
        "UITextbookPdfChapterNavigated",
        TextbookInteraction,
        Browser,
        "textbook.pdf.chapter.navigated",
        TB_CHAPTER_NAVIGATED
    ),
    model!(
        "UITextbookPdfDisplayScaled",
        TextbookInteraction,
        Browser,
        "textbook.pdf.display.scaled",
        TB_DISPLAY_SCALED
    ),
    model!(
        "UITextbookPdfOutlineToggled",
        TextbookInteraction,
        Browser,
        "textbook.pdf.outline.toggled",
        TB_OUTLINE_TOGGLED
    ),
    model!(
        "UITextbookPdfPageNavigated",
        TextbookInteraction,
        Browser,
        "textbook.pdf.page.navigated",
        TB_PAGE_NAVIGATED
    ),
    model!(
        "UITextbookPdfPageScrolled",
        TextbookInteraction,
        Browser,
        "textbook.pdf.page.scrolled",
        TB_PAGE_SCROLLED
    ),
    model!(
        "UITextbookPdfSearchCaseSensitivityToggled",
        TextbookInteraction,
        Browser,
        "textbook.pdf.searchcasesensitivity.toggled",
        TB_SEARCH_CASE
    ),
    model!(
        "UITextbookPdfSearchExecuted",
        TextbookInteraction,
        Browser,
        "textbook.pdf.search.executed",
        TB_SEARCH_EXECUTED
    ),
    model!(
        "UITextbookPdfSearchHighlightToggled",
        TextbookInteraction,
        Browser,
        "textbook.pdf.search.highlight.toggled",
        TB_SEARCH_HIGHLIGHT
    ),
    model!(
        "UITextbookPdfSearchNavigatedNext",
        TextbookInteraction,
        Browser,
        "textbook.pdf.search.navigatednext",
        TB_SEARCH_NAVIGATED_NEXT
    ),
    model!(
        "UITextbookPdfThumbnailNavigated",
        TextbookInteraction,
        Browser,
        "textbook.pdf.thumbnail.navigated",
        TB_THUMBNAIL_NAVIGATED
    ),
    model!(
        "UITextbookPdfThumbnailsToggled",
        TextbookInteraction,
        Browser,
        "textbook.pdf.thumbnails.toggled",
        TB_THUMBNAILS_TOGGLED
    ),
    model!(
        "UITextbookPdfZoomButtonsChanged",
        TextbookInteraction,
        Browser,
        "textbook.pdf.zoom.buttons.changed",
        TB_ZOOM_BUTTONS
    ),
    model!(
        "UITextbookPdfZoomMenuChanged",
        TextbookInteraction,
        Browser,
        "textbook.pdf.zoom.menu.changed",
        TB_ZOOM_MENU
    ),
    // video
    video_model!(
        "UIHideTranscript",
        "hide_transcript",
        VIDEO_TRANSCRIPT,
        ["edx.video.transcript.hidden"]
    ),
    video_model!(
        "UILoadVideo",
        "load_video",
        VIDEO_BASE,
        ["edx.video.loaded"]
    ),
    video_model!(
        "UIPauseVideo",
        "pause_video",
        VIDEO_CURRENT_TIME,
        ["edx.video.paused"],
        optional
    ),
    video_model!(
        "UIPlayVideo",
        "play_video",
        VIDEO_CURRENT_TIME,
        ["edx.video.played"],
        optional
    ),
    video_model!(
        "UISeekVideo",
        "seek_video",
        VIDEO_SEEK,
        ["edx.video.position.changed"],
        optional
    ),
    video_model!(
        "UIShowTranscript",
        "show_transcript",
        VIDEO_TRANSCRIPT,
        ["edx.video.transcript.shown"]
    ),
    video_model!(
        "UISpeedChangeVideo",
        "speed_change_video",
        VIDEO_SPEED,
        [],
        optional
    ),
    video_model!(
        "UIStopVideo",
        "stop_video",
        VIDEO_CURRENT_TIME,
        ["edx.video.stopped"],
        optional
    ),
    video_model!(
        "UIVideoHideCCMenu",
        "video_hide_cc_menu",
        VIDEO_BASE,
        [],
        optional
    ),
    video_model!(
        "UIVideoShowCCMenu",
        "video_show_cc_menu",
        VIDEO_BASE,
        [],
        optional
    ),
];
