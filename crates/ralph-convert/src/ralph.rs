//! The nine conversions of Ralph 5.1, byte-compatible with its output.
//!
//! Like Ralph, they read the raw event (the source is only used to select the conversion, not
//! validated), drop converted values that are `None`, `""` or `{}`, and validate the statement
//! they build. Unlike Ralph, an `event` given as a JSON string is read like an object.

use std::borrow::Cow;

use ralph_models::edx::formats;
use ralph_models::json::{Node, Object};

use crate::statement::{
    self, COURSE_TYPE, Ctx, Draft, Fail, INITIALIZED, PAGE_TYPE, PAUSED, PLAYED, REGISTERED,
    SEEKED, TERMINATED, UNREGISTERED, VIDEO_TYPE, VIEWED, fail,
};
use crate::tree::{kept, node};

pub(crate) const SESSION_ID: &str = "https://w3id.org/xapi/video/extensions/session-id";
pub(crate) const LENGTH: &str = "https://w3id.org/xapi/video/extensions/length";
pub(crate) const USER_AGENT: &str = "https://w3id.org/xapi/video/extensions/user-agent";
pub(crate) const TIME: &str = "https://w3id.org/xapi/video/extensions/time";
pub(crate) const TIME_FROM: &str = "https://w3id.org/xapi/video/extensions/time-from";
pub(crate) const TIME_TO: &str = "https://w3id.org/xapi/video/extensions/time-to";
pub(crate) const PROGRESS: &str = "https://w3id.org/xapi/video/extensions/progress";
/// The video profile, a category activity of video statements.
pub(crate) const VIDEO_PROFILE: &str = "https://w3id.org/xapi/video";
/// The LMS profile, a category activity of enrollment statements.
pub(crate) const LMS_PROFILE: &str = "https://w3id.org/xapi/lms";

/// The raw event, with a JSON-string `event` field parsed.
struct Raw<'a> {
    root: &'a Node<'a>,
    event: Option<Cow<'a, Node<'a>>>,
}

impl<'a> Raw<'a> {
    fn new(root: &'a Node<'a>) -> Self {
        let event = root.get("event").map(|event| match event {
            Node::String(s) => match Node::from_str(s) {
                Ok(parsed @ Node::Object(_)) => Cow::Owned(parsed),
                _ => Cow::Borrowed(event),
            },
            other => Cow::Borrowed(other),
        });
        Self { root, event }
    }

    /// A top-level or nested value, `None` when absent (Ralph's `get_dict_value_from_path`).
    fn get(&self, path: &[&str]) -> Option<&Node<'a>> {
        let (first, rest) = path.split_first()?;
        let mut value = if *first == "event" {
            self.event.as_deref()?
        } else {
            self.root.get(first)?
        };
        for key in rest {
            value = value.get(key)?;
        }
        Some(value)
    }

    /// A string value that must be present (Ralph fails concatenating anything else).
    fn str(&self, path: &[&str]) -> Result<&str, Fail> {
        match self.get(path) {
            Some(Node::String(s)) => Ok(s),
            Some(other) => fail(path.join("."), format!("expected a string, got {other}")),
            None => fail(path.join("."), "field required"),
        }
    }

    fn common(&self, ctx: &Ctx<'_>) -> Result<(String, Option<String>), Fail> {
        let name = ctx.actor_name(self.get(&["context", "user_id"]), self.get(&["username"]))?;
        let timestamp = statement::timestamp(self.get(&["time"]))?;
        Ok((name, timestamp))
    }
}

/// Whether Ralph has a conversion for `model`.
pub(crate) fn has_conversion(model: &str) -> bool {
    matches!(
        model,
        "Server"
            | "UIPageClose"
            | "UILoadVideo"
            | "UIPlayVideo"
            | "UIPauseVideo"
            | "UISeekVideo"
            | "UIStopVideo"
            | "EdxCourseEnrollmentActivated"
            | "EdxCourseEnrollmentDeactivated"
    )
}

/// Runs the Ralph conversion of `model`, or returns `None` when Ralph has none.
pub(crate) fn convert<'a>(
    model: &str,
    ctx: &Ctx<'_>,
    event: &'a Node<'a>,
) -> Option<Result<Draft<'a>, Fail>> {
    let raw = Raw::new(event);
    let result = match model {
        "Server" => server(ctx, &raw),
        "UIPageClose" => page_close(ctx, &raw),
        "UILoadVideo" => video(ctx, &raw, Video::Load),
        "UIPlayVideo" => video(ctx, &raw, Video::Play),
        "UIPauseVideo" => video(ctx, &raw, Video::Pause),
        "UISeekVideo" => video(ctx, &raw, Video::Seek),
        "UIStopVideo" => video(ctx, &raw, Video::Stop),
        "EdxCourseEnrollmentActivated" => enrollment(ctx, &raw, REGISTERED),
        "EdxCourseEnrollmentDeactivated" => enrollment(ctx, &raw, UNREGISTERED),
        _ => return None,
    };
    Some(result)
}

fn server<'a>(ctx: &Ctx<'_>, raw: &Raw<'a>) -> Result<Draft<'a>, Fail> {
    let (actor_name, timestamp) = raw.common(ctx)?;
    let event_type = raw.str(&["event_type"])?;
    Ok(Draft {
        actor_name,
        verb: VIEWED,
        object: node!({
            "id": format!("{}{event_type}", ctx.platform_base),
            "definition": {"type": PAGE_TYPE},
        }),
        result: None,
        context: None,
        timestamp,
        children: Vec::new(),
    })
}

fn page_close<'a>(ctx: &Ctx<'_>, raw: &Raw<'a>) -> Result<Draft<'a>, Fail> {
    let (actor_name, timestamp) = raw.common(ctx)?;
    let Some(page) = kept(raw.get(&["page"])) else {
        return fail("object.id", "field required");
    };
    let Node::String(page) = page else {
        return fail("object.id", format!("expected an IRI string, got {page}"));
    };
    Ok(Draft {
        actor_name,
        verb: TERMINATED,
        object: node!({"id": page.clone(), "definition": {"type": PAGE_TYPE}}),
        result: None,
        context: None,
        timestamp,
        children: Vec::new(),
    })
}

/// The video event of a conversion (its verb, and which extensions it has).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Video {
    Load,
    Play,
    Pause,
    Seek,
    Stop,
}

impl Video {
    /// The statement verb.
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Video::Load => INITIALIZED,
            Video::Play => PLAYED,
            Video::Pause => PAUSED,
            Video::Seek => SEEKED,
            Video::Stop => TERMINATED,
        }
    }
}

/// A required non-negative float of a video extension, from the raw event.
fn non_negative(raw: &Raw<'_>, path: &[&str], dest: &str) -> Result<Option<f64>, Fail> {
    let Some(value) = kept(raw.get(path)) else {
        return Ok(None);
    };
    let f = crate::tree::float(value).map_err(|reason| (dest.to_owned(), reason))?;
    if f < 0.0 || f.is_nan() {
        return fail(dest, "expected a number greater than or equal to 0");
    }
    Ok(Some(f))
}

fn video<'a>(ctx: &Ctx<'_>, raw: &Raw<'a>, kind: Video) -> Result<Draft<'a>, Fail> {
    let (actor_name, timestamp) = raw.common(ctx)?;
    let course_id = raw.str(&["context", "course_id"])?;
    let block = raw.str(&["event", "id"])?;
    let object = node!({
        "id": format!(
            "{}/xblock/block-v1:{course_id}-course-v1:+type@video+block@{block}",
            ctx.platform_base
        ),
        "definition": {"name": {"en-US": block.to_owned()}, "type": VIDEO_TYPE},
    });

    let ext_path = |key: &str| format!("context.extensions.{key}");
    let session = match kept(raw.get(&["session"])) {
        Some(session) => Some(
            formats::uuid(&session.to_value()).map_err(|reason| (ext_path(SESSION_ID), reason))?,
        ),
        None => None,
    };
    let mut extensions = Object::new();
    if let Some(session) = &session {
        extensions.insert(SESSION_ID, session.clone());
    }
    if matches!(kind, Video::Load | Video::Pause | Video::Stop) {
        // These profiles require the extensions object, and a session id in it.
        if session.is_none() {
            return fail(ext_path(SESSION_ID), "field required");
        }
        extensions.insert(LENGTH, 0.0);
    }
    if kind == Video::Load
        && let Some(agent) = kept(raw.get(&["agent"]))
    {
        let agent =
            formats::string(&agent.to_value()).map_err(|reason| (ext_path(USER_AGENT), reason))?;
        extensions.insert(USER_AGENT, agent);
    }
    let mut context = Object::new();
    context.insert(
        "contextActivities",
        node!({"category": statement::profile_category(VIDEO_PROFILE)}),
    );
    if !extensions.is_empty() {
        context.insert("extensions", extensions);
    }

    let result_path = |key: &str| format!("result.extensions.{key}");
    let result = match kind {
        Video::Load => None,
        Video::Play | Video::Pause | Video::Stop => {
            let Some(time) = non_negative(raw, &["event", "currentTime"], &result_path(TIME))?
            else {
                return fail("result", "field required");
            };
            let mut ext = Object::new();
            ext.insert(TIME, time);
            if kind == Video::Stop {
                ext.insert(PROGRESS, 0.0);
            }
            Some(node!({"extensions": ext}))
        }
        Video::Seek => {
            let from = non_negative(raw, &["event", "old_time"], &result_path(TIME_FROM))?;
            let to = non_negative(raw, &["event", "new_time"], &result_path(TIME_TO))?;
            match (from, to) {
                (Some(from), Some(to)) => {
                    Some(node!({"extensions": {TIME_FROM: from, TIME_TO: to}}))
                }
                (None, None) => return fail("result", "field required"),
                (None, _) => return fail(result_path(TIME_FROM), "field required"),
                (_, None) => return fail(result_path(TIME_TO), "field required"),
            }
        }
    };
    let verb = kind.verb();
    Ok(Draft {
        actor_name,
        verb,
        object,
        result,
        context: Some(Node::Object(context)),
        timestamp,
        children: Vec::new(),
    })
}

fn enrollment<'a>(ctx: &Ctx<'_>, raw: &Raw<'a>, verb: &'static str) -> Result<Draft<'a>, Fail> {
    let (actor_name, timestamp) = raw.common(ctx)?;
    let course_id = raw.str(&["event", "course_id"])?;
    if timestamp.is_none() {
        return fail("timestamp", "field required");
    }
    Ok(Draft {
        actor_name,
        verb,
        object: node!({
            "id": format!("{}/courses/{}/info", ctx.platform_base, course_id.trim_matches('/')),
            "definition": {"type": COURSE_TYPE},
        }),
        result: None,
        context: Some(node!({
            "contextActivities": {"category": statement::profile_category(LMS_PROFILE)}
        })),
        timestamp,
        children: Vec::new(),
    })
}
