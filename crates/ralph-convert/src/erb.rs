//! Conversions of the events Open edX's event-routing-backends (ERB) maps to xAPI, with the
//! verb, activity type and extensions ERB emits for each, keyed by event name.
//!
//! The event is read the way ERB reads tracking logs: the payload is `event` (an object, or a
//! JSON string holding one; a browser `problem_check` carries a query string), the learner is
//! `event.user_id` or else `context.user_id`, the session `session` or `context.session`. Optional
//! fields that are absent, `null` or empty are left out of the statement; a field the statement
//! cannot be built without is an error naming it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use ralph_models::edx::formats;
use ralph_models::json::{Node, Object};

use crate::statement::{self, Ctx, Draft, Fail, fail};
use crate::tree::{node, present, text};
use crate::vocab::*;

/// One ERB conversion: reads the event, builds the statement parts.
pub(crate) type Convert = for<'a> fn(&Ctx<'_>, &Ev<'a>) -> Result<Draft<'a>, Fail>;

/// Event name → conversion, and the name under which errors report it.
static BY_NAME: LazyLock<HashMap<&'static str, (&'static str, Convert)>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, (&'static str, Convert)> = HashMap::new();
    for &(name, convert) in CONVERTERS.iter().chain(crate::beyond::CONVERTERS) {
        map.insert(name, (name, convert));
    }
    map
});

/// The conversion of the event named `name`, if ERB maps it.
pub(crate) fn converter(name: &str) -> Option<(&'static str, Convert)> {
    BY_NAME.get(name).copied()
}

static CONVERTERS: &[(&str, Convert)] = &[
    // Video. The legacy names Ralph 5.1 converts (`load_video`, `play_video`, `pause_video`,
    // `seek_video`, `stop_video`, and the enrollment activated/deactivated events) are Ralph's
    // alone: an event of those names Ralph rejects is rejected, as by Ralph.
    ("edx.video.loaded", video_loaded),
    ("edx.video.played", video_played),
    ("edx.video.paused", video_paused),
    ("edx.video.stopped", video_stopped),
    ("edx.video.position.changed", video_seeked),
    ("complete_video", video_completed),
    ("edx.video.completed", video_completed),
    ("hide_transcript", video_captions),
    ("show_transcript", video_captions),
    ("edx.video.transcript.hidden", video_captions),
    ("edx.video.transcript.shown", video_captions),
    ("video_hide_cc_menu", video_captions),
    ("video_show_cc_menu", video_captions),
    ("edx.video.closed_captions.hidden", video_captions),
    ("edx.video.closed_captions.shown", video_captions),
    ("speed_change_video", video_speed),
    // Navigation.
    ("edx.ui.lms.link_clicked", link_clicked),
    ("edx.ui.lms.outline.selected", outline_selected),
    ("edx.ui.lms.sequence.outline.selected", outline_selected),
    ("edx.ui.lms.sequence.next_selected", tab_navigated),
    ("edx.ui.lms.sequence.previous_selected", tab_navigated),
    ("edx.ui.lms.sequence.tab_selected", tab_navigated),
    // Enrollment and course grade.
    ("edx.course.enrollment.mode_changed", enrollment),
    ("edx.course.grade.passed.first_time", enrollment),
    ("edx.course.grade.now_passed", enrollment),
    ("edx.course.grade.now_failed", enrollment),
    // Problems.
    ("problem_check", problem_check),
    ("showanswer", show_answer),
    ("edx.problem.hint.demandhint_displayed", demand_hint),
    ("edx.problem.completed", problem_completed),
    ("edx.grades.problem.submitted", problem_submitted),
    // Grading and completion.
    ("edx.grades.subsection.grade_calculated", subsection_graded),
    ("edx.grades.course.grade_calculated", course_graded),
    (
        "edx.completion.block_completion.changed",
        completion_changed,
    ),
    // Forum.
    ("edx.forum.thread.created", forum),
    ("edx.forum.thread.edited", forum),
    ("edx.forum.thread.viewed", forum),
    ("edx.forum.thread.deleted", forum),
    ("edx.forum.thread.voted", forum),
    ("edx.forum.thread.reported", forum),
    ("edx.forum.thread.unreported", forum),
    ("edx.forum.response.created", forum),
    ("edx.forum.response.edited", forum),
    ("edx.forum.response.deleted", forum),
    ("edx.forum.response.voted", forum),
    ("edx.forum.response.reported", forum),
    ("edx.forum.response.unreported", forum),
    ("edx.forum.comment.created", forum),
    ("edx.forum.comment.edited", forum),
    ("edx.forum.comment.deleted", forum),
    ("edx.forum.comment.reported", forum),
    ("edx.forum.comment.unreported", forum),
    // Special exams.
    ("edx.special_exam.timed.attempt.created", special_exam),
    ("edx.special_exam.timed.attempt.submitted", special_exam),
    ("edx.special_exam.practice.attempt.created", special_exam),
    ("edx.special_exam.practice.attempt.submitted", special_exam),
    ("edx.special_exam.proctored.attempt.created", special_exam),
    ("edx.special_exam.proctored.attempt.submitted", special_exam),
];

/// An event read the way ERB reads it.
pub(crate) struct Ev<'a> {
    root: &'a Node<'a>,
    /// The payload: `event`, or the object a JSON string `event` holds ([`parse_payload`]).
    data: &'a Node<'a>,
    /// The event name (`event_type`, else `name`).
    pub(crate) name: &'a str,
}

/// What an absent payload reads as.
static NULL: Node<'static> = Node::Null;

/// The object held by an `event` given as a JSON string, for [`Ev::new`].
pub(crate) fn parse_payload<'a>(root: &'a Node<'a>) -> Option<Node<'a>> {
    match root.get("event") {
        Some(Node::String(s)) => match Node::from_str(s) {
            Ok(parsed @ Node::Object(_)) => Some(parsed),
            _ => None,
        },
        _ => None,
    }
}

impl<'a> Ev<'a> {
    /// The event `root` named `name`, its payload `parsed` when [`parse_payload`] gave one.
    pub(crate) fn new(root: &'a Node<'a>, parsed: Option<&'a Node<'a>>, name: &'a str) -> Self {
        let data = parsed.or_else(|| root.get("event")).unwrap_or(&NULL);
        Self { root, data, name }
    }

    /// `event.{key}` when present.
    pub(crate) fn data(&self, key: &str) -> Option<&'a Node<'a>> {
        present(self.data.get(key))
    }

    /// `event.{key}` as is (`false`, `0` and `""` included).
    pub(crate) fn data_raw(&self, key: &str) -> Option<&'a Node<'a>> {
        self.data.get(key)
    }

    /// `context.{key}` when present.
    pub(crate) fn context(&self, key: &str) -> Option<&'a Node<'a>> {
        present(self.root.get("context").and_then(|c| c.get(key)))
    }

    /// A top-level field, else the same field of `context`, when present.
    pub(crate) fn top(&self, key: &str) -> Option<&'a Node<'a>> {
        present(self.root.get(key)).or_else(|| self.context(key))
    }

    /// `event.{key}` as text (a string as is, a number as JSON), required.
    pub(crate) fn data_text(&self, key: &str) -> Result<Cow<'a, str>, Fail> {
        match self.data(key) {
            Some(value) => text(value).ok_or_else(|| {
                (
                    format!("event.{key}"),
                    format!("expected a string, got {value}"),
                )
            }),
            None => fail(format!("event.{key}"), "field required"),
        }
    }

    /// `context.course_id`, required.
    pub(crate) fn course_id(&self) -> Result<&'a str, Fail> {
        match self.context("course_id") {
            Some(Node::String(s)) => Ok(s),
            Some(other) => fail(
                "context.course_id",
                format!("expected a string, got {other}"),
            ),
            None => fail("context.course_id", "field required"),
        }
    }

    fn course_id_opt(&self) -> Option<&'a str> {
        self.context("course_id").and_then(Node::as_str)
    }
}

/// A number of seconds rounded to milliseconds, as ERB's `convert_seconds_to_float`.
fn seconds(value: &Node<'_>, path: &str) -> Result<Node<'static>, Fail> {
    let f = crate::tree::float(value).map_err(|reason| (path.to_owned(), reason))?;
    if !f.is_finite() || f < 0.0 {
        return fail(path, "expected a number greater than or equal to 0");
    }
    let rounded = (f * 1000.0).round() / 1000.0;
    Ok(Node::from(rounded))
}

fn number(value: &Node<'_>, path: &str) -> Result<f64, Fail> {
    crate::tree::float(value).map_err(|reason| (path.to_owned(), reason))
}

/// A JSON number from an `f64`, whole numbers kept as floats (`1.0`).
pub(crate) fn float(f: f64) -> Node<'static> {
    Node::from(f)
}

/// The parts every ERB statement shares: actor, timestamp, the course as parent activity
/// (`{platform}/course/{course_id}`) and the transformer and session extensions.
pub(crate) struct Common<'a> {
    actor_name: String,
    timestamp: Option<String>,
    pub(crate) context: Object<'a>,
    extensions: Object<'a>,
}

impl<'a> Common<'a> {
    pub(crate) fn new(ctx: &Ctx<'_>, ev: &Ev<'a>, parent_course: bool) -> Result<Self, Fail> {
        let user_id = ev.data("user_id").or_else(|| ev.top("user_id"));
        let username = ev.data("username").or_else(|| ev.top("username"));
        let actor_name = ctx.actor_name(user_id, username)?;
        let time = present(ev.root.get("time")).or_else(|| present(ev.root.get("timestamp")));
        let timestamp = statement::timestamp(time)?;
        let mut context = Object::new();
        if parent_course && let Some(course_id) = ev.course_id_opt() {
            context.insert(
                "contextActivities",
                node!({"parent": [course(ctx, course_id)]}),
            );
        }
        let mut extensions = Object::new();
        extensions.insert(TRANSFORMER_VERSION, node!(TRANSFORMER));
        if let Some(session) = ev.top("session").and_then(text) {
            extensions.insert(OPENEDX_SESSION_ID, node!(session));
        }
        Ok(Self {
            actor_name,
            timestamp,
            context,
            extensions,
        })
    }

    pub(crate) fn extension(&mut self, key: &'static str, value: Option<&Node<'a>>) {
        if let Some(value) = value {
            self.extensions.insert(key, value.clone());
        }
    }

    pub(crate) fn finish(
        mut self,
        verb: &'static str,
        object: Node<'a>,
        result: Option<Node<'a>>,
    ) -> Result<Draft<'a>, Fail> {
        self.context
            .insert("extensions", Node::Object(self.extensions));
        Ok(Draft {
            actor_name: self.actor_name,
            verb,
            object,
            result,
            context: Some(Node::Object(self.context)),
            timestamp: self.timestamp,
            children: Vec::new(),
        })
    }
}

/// The course as an activity: `{platform}/course/{course_id}`.
fn course(ctx: &Ctx<'_>, course_id: &str) -> Node<'static> {
    node!({
        "id": format!("{}/course/{course_id}", ctx.platform_base),
        "definition": {"type": COURSE_TYPE},
    })
}

/// `{platform}/xblock/{usage_key}`.
pub(crate) fn xblock(ctx: &Ctx<'_>, usage_key: &str) -> String {
    format!("{}/xblock/{usage_key}", ctx.platform_base)
}

/// `block-v1:{org+course+run}+type@{kind}+block@{id}` from a course id (`ccx-block-v1` for CCX
/// courses), as ERB derives video and browser problem usage keys.
fn usage_key(course_id: &str, kind: &str, block: &str) -> Result<String, Fail> {
    let mut parts = course_id.split(':');
    let (Some(prefix), Some(key)) = (parts.next(), parts.next()) else {
        return fail(
            "context.course_id",
            format!("`{course_id}` is not a course key (`course-v1:ORG+COURSE+RUN`)"),
        );
    };
    let version = prefix.rsplit('-').next().unwrap_or(prefix);
    let ccx = if prefix.contains("ccx") { "ccx-" } else { "" };
    Ok(format!(
        "{ccx}block-{version}:{key}+type@{kind}+block@{block}"
    ))
}

// ----- video ---------------------------------------------------------------------------------

/// The video object and its context: the video profile category, the video session id (a
/// UUID, `null` when the event has none, as the video profile wants it) and the length from
/// `event.duration` (0.0 when unknown, as Ralph writes it).
fn video<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<(Common<'a>, Node<'a>), Fail> {
    let course_id = ev.course_id()?;
    let id = ev.data_text("id")?;
    let object = node!({
        "id": xblock(ctx, &usage_key(course_id, "video", &id)?),
        "definition": {"type": VIDEO_TYPE},
    });
    let mut common = Common::new(ctx, ev, true)?;
    let activities = common
        .context
        .get_or_insert_with("contextActivities", || node!({}));
    if let Node::Object(activities) = activities {
        activities.insert(
            "category",
            statement::profile_category("https://w3id.org/xapi/video"),
        );
    }
    let session = ev
        .top("session")
        .and_then(|s| formats::uuid(&s.to_value()).ok())
        .map_or(Node::Null, Node::from);
    common.extension(VIDEO_SESSION_ID, Some(&session));
    let length = match ev.data("duration") {
        Some(duration) => seconds(duration, "event.duration")?,
        None => node!(0.0),
    };
    common.extension(VIDEO_LENGTH, Some(&length));
    Ok((common, object))
}

/// The share of the video watched at `time` (0.0 when the length is unknown, as Ralph writes
/// it), for the video profile's required `progress`.
fn progress(ev: &Ev<'_>, time: &Node<'_>) -> Node<'static> {
    let length = ev.data("duration").and_then(|d| crate::tree::float(d).ok());
    match (time.as_f64(), length) {
        (Some(t), Some(l)) if l > 0.0 => float(((t / l).min(1.0) * 1000.0).round() / 1000.0),
        _ => node!(0.0),
    }
}

/// `event.current_time` or `event.currentTime`, in seconds.
fn current_time(ev: &Ev<'_>) -> Result<Option<Node<'static>>, Fail> {
    for key in ["current_time", "currentTime"] {
        if let Some(time) = ev.data(key) {
            return seconds(time, &format!("event.{key}")).map(Some);
        }
    }
    Ok(None)
}

fn video_loaded<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let (common, object) = video(ctx, ev)?;
    common.finish(INITIALIZED, object, None)
}

/// [`current_time`], which every video interaction needs.
fn required_time(ev: &Ev<'_>) -> Result<Node<'static>, Fail> {
    match current_time(ev)? {
        Some(time) => Ok(time),
        None => fail("event.currentTime", "field required"),
    }
}

fn video_timed<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>, verb: &'static str) -> Result<Draft<'a>, Fail> {
    let (common, object) = video(ctx, ev)?;
    let time = required_time(ev)?;
    let mut extensions = Object::new();
    if verb == TERMINATED {
        extensions.insert(VIDEO_PROGRESS, progress(ev, &time));
    }
    extensions.insert(VIDEO_TIME, time);
    common.finish(verb, object, Some(node!({"extensions": extensions})))
}

fn video_played<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    video_timed(ctx, ev, PLAYED)
}

fn video_paused<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    video_timed(ctx, ev, PAUSED)
}

fn video_stopped<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    video_timed(ctx, ev, TERMINATED)
}

fn video_seeked<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let (common, object) = video(ctx, ev)?;
    let time = |key: &str| match ev.data(key) {
        Some(value) => seconds(value, &format!("event.{key}")),
        None => fail(format!("event.{key}"), "field required"),
    };
    let result = node!({"extensions": {
        VIDEO_TIME_FROM: time("old_time")?,
        VIDEO_TIME_TO: time("new_time")?,
    }});
    common.finish(SEEKED, object, Some(result))
}

fn video_completed<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let (common, object) = video(ctx, ev)?;
    let mut result = Object::new();
    let duration = match ev.data("duration") {
        Some(d) => Some(seconds(d, "event.duration")?),
        None => None,
    };
    let time = match (&duration, current_time(ev)?) {
        (Some(duration), _) => duration.clone(),
        (None, Some(time)) => time,
        (None, None) => return fail("event.duration", "field required"),
    };
    result.insert("extensions", node!({VIDEO_TIME: time, VIDEO_PROGRESS: 1.0}));
    result.insert("completion", Node::Bool(true));
    if let Some(secs) = duration.as_ref().and_then(Node::as_f64) {
        result.insert("duration", node!(iso_duration(secs)));
    }
    common.finish(COMPLETED, object, Some(Node::Object(result)))
}

/// Seconds as an ISO 8601 duration (`PT195.5S`).
fn iso_duration(secs: f64) -> String {
    let mut out = String::from("PT");
    let _ = write!(out, "{secs}");
    out.push('S');
    out
}

/// Closed captions or transcript shown or hidden: ERB's `cc-enabled` shape. With a caption
/// language it is the video profile's closed-captioning template; without one (a transcript,
/// or captions of an event that names no language) it is a `VideoInteracted` statement.
fn video_captions<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let (mut common, object) = video(ctx, ev)?;
    let enabled = matches!(
        ev.name,
        "edx.video.closed_captions.shown"
            | "edx.video.transcript.shown"
            | "video_show_cc_menu"
            | "show_transcript"
    );
    let mut extensions = Object::new();
    extensions.insert(VIDEO_TIME, required_time(ev)?);
    extensions.insert(VIDEO_CC_ENABLED, Node::Bool(enabled));
    match ev.data("language") {
        None => {}
        Some(language @ Node::String(_)) => common.extension(VIDEO_CC_LANGUAGE, Some(language)),
        Some(other) => {
            return fail(
                "event.language",
                format!("expected a language tag, got {other}"),
            );
        }
    }
    common.finish(INTERACTED, object, Some(node!({"extensions": extensions})))
}

/// A speed change: ERB's `speed-from` and `speed-to`, plus what the video profile has for it,
/// the `time` of the change and the new `speed` in the context.
fn video_speed<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let (mut common, object) = video(ctx, ev)?;
    let speed = |key: &str| -> Result<String, Fail> { Ok(format!("{}x", ev.data_text(key)?)) };
    let to = speed("new_speed")?;
    let result = node!({"extensions": {
        VIDEO_TIME: required_time(ev)?,
        VIDEO_SPEED_FROM: speed("old_speed")?,
        VIDEO_SPEED_TO: to.clone(),
    }});
    common.extension(VIDEO_SPEED, Some(&Node::from(to)));
    common.finish(INTERACTED, object, Some(result))
}

// ----- navigation ----------------------------------------------------------------------------

fn link_clicked<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let target = ev.data_text("target_url")?;
    let object = node!({"id": target, "definition": {"type": LINK_TYPE}});
    Common::new(ctx, ev, true)?.finish(NAVIGATED, object, None)
}

fn outline_selected<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let target = ev.data_text("target_url")?;
    let mut definition = Object::new();
    definition.insert("type", node!(MODULE_TYPE));
    if let Some(name) = ev.data("target_name").and_then(text) {
        definition.insert("name", node!({"en": name}));
    }
    let object = node!({"id": target, "definition": definition});
    Common::new(ctx, ev, true)?.finish(NAVIGATED, object, None)
}

fn tab_navigated<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let block = ev.data_text("id")?;
    let mut definition = Object::new();
    definition.insert("type", node!(RESOURCE_TYPE));
    if let Some(count) = ev.data("tab_count") {
        definition.insert("extensions", node!({TOTAL_ITEMS: count}));
    }
    let object = node!({"id": xblock(ctx, &block), "definition": definition});
    let mut common = Common::new(ctx, ev, true)?;
    common.extension(STARTING_POSITION, ev.data("current_tab"));
    let ending = match ev.name {
        "edx.ui.lms.sequence.tab_selected" => ev.data("target_tab").cloned(),
        "edx.ui.lms.sequence.next_selected" => Some(node!("next unit")),
        _ => Some(node!("previous unit")),
    };
    common.extension(ENDING_POSITION, ending.as_ref());
    common.finish(NAVIGATED, object, None)
}

// ----- enrollment and course grade -----------------------------------------------------------

fn enrollment<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let verb = match ev.name {
        "edx.course.enrollment.deactivated" => UNREGISTERED,
        "edx.course.grade.passed.first_time" | "edx.course.grade.now_passed" => PASSED,
        "edx.course.grade.now_failed" => FAILED,
        _ => REGISTERED,
    };
    // The course of the enrollment: the event's own, else the context's.
    let course_id = match ev.data("course_id").and_then(Node::as_str) {
        Some(id) => id,
        None => ev.course_id()?,
    };
    let mut definition = Object::new();
    definition.insert("type", node!(COURSE_TYPE));
    if let Some(mode) = ev.data("mode") {
        definition.insert("extensions", node!({ACROSSX_TYPE: mode}));
    }
    let object = node!({
        "id": format!("{}/course/{course_id}", ctx.platform_base),
        "definition": definition,
    });
    // ERB gives enrollment statements no parent activity: the course is the object.
    let common = Common::new(ctx, ev, false)?;
    if verb == REGISTERED {
        if common.timestamp.is_none() {
            return fail("timestamp", "field required");
        }
        // The LMS profile's registration statement, as Ralph writes it for enrollments: its
        // category, and no context extensions (which would need the learner's LMS role).
        return Ok(Draft {
            actor_name: common.actor_name,
            verb,
            object,
            result: None,
            context: Some(node!({
                "contextActivities": {
                    "category": statement::profile_category("https://w3id.org/xapi/lms")
                }
            })),
            timestamp: common.timestamp,
            children: Vec::new(),
        });
    }
    common.finish(verb, object, None)
}

// ----- problems ------------------------------------------------------------------------------

/// The xAPI interaction type of an edX response type (ERB's mapping).
fn interaction_type(response_type: &str) -> &'static str {
    match response_type {
        "choiceresponse" | "multiplechoiceresponse" | "choicetextresponse" | "optionresponse" => {
            "choice"
        }
        "numericalresponse" => "numeric",
        "stringresponse" | "formularesponse" | "annotationresponse" | "symbolicresponse" => {
            "fill-in"
        }
        "imageresponse" => "matching",
        "truefalseresponse" => "true-false",
        _ => "other",
    }
}

/// A list answer as JSON text with Python's separators (`["a", "b"]`), as ERB writes it; a
/// string as is; anything else as JSON.
pub(crate) fn response_text(answer: &Node<'_>) -> String {
    match answer {
        Node::String(s) => s.as_ref().to_owned(),
        Node::Array(items) => {
            let mut out = String::from("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&item.to_string());
            }
            out.push(']');
            out
        }
        other => ralph_models::edx::json::to_string(other),
    }
}

fn problem_check<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let browser = ev.top("event_source").and_then(Node::as_str) == Some("browser");
    if browser {
        problem_check_browser(ctx, ev)
    } else {
        problem_check_server(ctx, ev)
    }
}

/// The problem id of a browser `problem_check`: the referer's `activate_block_id`, else the
/// block hash of the first `input_{hash}_{part}_{n}` of the query-string payload.
fn browser_problem_id(ev: &Ev<'_>) -> Result<String, Fail> {
    if let Some(referer) = ev.top("referer").and_then(Node::as_str)
        && let Some((_, query)) = referer.split_once('?')
    {
        let query = query.split('#').next().unwrap_or(query);
        for pair in query.split('&') {
            if let Some(value) = pair.strip_prefix("activate_block_id=")
                && !value.is_empty()
            {
                return Ok(percent_decode(value));
            }
        }
    }
    let payload: Cow<'_, str> = match ev.data {
        Node::String(s) => Cow::Borrowed(s),
        Node::Null => return fail("event", "field required"),
        // A decoded payload: its first key (`input_...`).
        Node::Object(map) => match map.keys().next() {
            Some(key) => Cow::Borrowed(key),
            None => return fail("event", "field required"),
        },
        other => Cow::Owned(other.to_string()),
    };
    let Some(block) = payload.split('_').nth(1).filter(|b| !b.is_empty()) else {
        return fail(
            "event",
            "no problem id: no `activate_block_id` in the referer and no `input_{id}_...` answer",
        );
    };
    let block = percent_decode(block);
    usage_key(ev.course_id()?, "problem", &block)
}

/// `%XX` escapes and `+` decoded (form encoding), lossy on invalid UTF-8.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn problem_check_browser<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let problem_id = browser_problem_id(ev)?;
    let object = node!({
        "id": xblock(ctx, &problem_id),
        "definition": {"type": INTERACTION_TYPE, "interactionType": "other"},
    });
    Common::new(ctx, ev, true)?.finish(ATTEMPTED, object, None)
}

fn problem_check_server<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let problem_id = ev.data_text("problem_id")?;
    let problem_iri = xblock(ctx, &problem_id);
    let submissions = ev.data("submission").and_then(Node::as_object);
    // Several questions: one statement for the problem, then one per question.
    let several = submissions.filter(|s| s.len() > 1);
    // The first submission with a response type, as ERB picks it.
    let submission = match several {
        Some(_) => None,
        None => submissions.and_then(|s| {
            s.values()
                .find(|v| present(v.get("response_type")).is_some())
        }),
    };

    let mut definition = Object::new();
    definition.insert("type", node!(INTERACTION_TYPE));
    if let Some(attempts) = ev.data("attempts") {
        definition.insert("extensions", node!({ATTEMPT_ID: attempts}));
    }
    let mut interaction = ev
        .data("response_type")
        .and_then(Node::as_str)
        .map_or("other", interaction_type);
    if let Some(submission) = submission {
        interaction = submission
            .get("response_type")
            .and_then(Node::as_str)
            .map_or("other", interaction_type);
        if let Some(question) = present(submission.get("question")).and_then(text) {
            definition.insert("description", node!({"en-US": question}));
        }
    } else if let Some(name) = ev.data("display_name").and_then(text) {
        definition.insert("name", node!({"en-US": name}));
    }
    if several.is_some() {
        interaction = "other";
    }
    definition.insert("interactionType", node!(interaction));

    let (success, response) = match submission {
        Some(s) => (
            s.get("correct").and_then(Node::as_bool),
            s.get("answer").map(response_text),
        ),
        None => (
            Some(ev.data("success").and_then(Node::as_str) == Some("correct")),
            ev.data("answers").map(response_text),
        ),
    };
    let mut result = Object::new();
    if let (Some(grade), Some(max)) = (ev.data_num("grade"), ev.data_num("max_grade")) {
        let (grade_f, max_f) = (
            number(grade, "event.grade")?,
            number(max, "event.max_grade")?,
        );
        if grade_f < 0.0 || grade_f > max_f.max(0.0) {
            return fail(
                "result.score.raw",
                format!("grade {grade} is outside [0, {max}]"),
            );
        }
        let scaled = if max_f > 0.0 { grade_f / max_f } else { 0.0 };
        result.insert(
            "score",
            node!({"min": 0, "max": max, "raw": grade, "scaled": float(scaled)}),
        );
    }
    if let Some(success) = success {
        result.insert("success", Node::Bool(success));
    }
    if let Some(response) = response.filter(|r| !r.is_empty()) {
        result.insert("response", response);
    }
    let object = node!({"id": problem_iri, "definition": definition});
    let result = (!result.is_empty()).then_some(Node::Object(result));
    let common = Common::new(ctx, ev, true)?;
    let children = match several {
        Some(submissions) => question_statements(ctx, &common, &object, submissions)?,
        None => Vec::new(),
    };
    let mut draft = common.finish(EVALUATED, object, result)?;
    draft.children = children;
    Ok(draft)
}

/// One statement per question of a multi-question problem, as ERB makes them: the question
/// `{problem iri up to its last @}@{input id}`, its response and success, the problem as parent
/// activity, the course as grouping, the problem statement as `context.statement`.
fn question_statements<'a>(
    ctx: &Ctx<'_>,
    common: &Common<'a>,
    problem: &Node<'a>,
    submissions: &'a Object<'a>,
) -> Result<Vec<(String, Draft<'a>)>, Fail> {
    let problem_iri = problem.get("id").and_then(Node::as_str).unwrap_or_default();
    let base = problem_iri
        .rsplit_once('@')
        .map_or(problem_iri, |(base, _)| base);
    let mut children = Vec::with_capacity(submissions.len());
    for (input, submission) in submissions {
        let mut definition = Object::new();
        definition.insert("type", node!(INTERACTION_TYPE));
        if let Some(question) = present(submission.get("question")).and_then(text) {
            definition.insert("description", node!({"en-US": question}));
        }
        let interaction = submission
            .get("response_type")
            .and_then(Node::as_str)
            .map_or("other", interaction_type);
        definition.insert("interactionType", node!(interaction));
        let mut result = Object::new();
        if let Some(answer) = submission.get("answer").map(response_text)
            && !answer.is_empty()
        {
            result.insert("response", answer);
        }
        if let Some(correct) = submission.get("correct").and_then(Node::as_bool) {
            result.insert("success", Node::Bool(correct));
        }
        let mut activities = Object::new();
        activities.insert("parent", node!([problem]));
        if let Some(parent) = common
            .context
            .get("contextActivities")
            .and_then(|a| a.get("parent"))
        {
            activities.insert("grouping", parent.clone());
        }
        let context = node!({
            "contextActivities": activities,
            "extensions": common.extensions.clone(),
            "statement": {"objectType": "StatementRef", "id": ctx.id.clone()},
        });
        children.push((
            input.to_owned(),
            Draft {
                actor_name: common.actor_name.clone(),
                verb: EVALUATED,
                object: node!({"id": format!("{base}@{input}"), "definition": definition}),
                result: (!result.is_empty()).then_some(Node::Object(result)),
                context: Some(context),
                timestamp: common.timestamp.clone(),
                children: Vec::new(),
            },
        ));
    }
    Ok(children)
}

impl<'a> Ev<'a> {
    /// `event.{key}` when it is a number (0 included).
    fn data_num(&self, key: &str) -> Option<&'a Node<'a>> {
        self.data.get(key).filter(|v| v.is_number())
    }
}

fn show_answer<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let problem_id = ev.data_text("problem_id")?;
    let object = node!({
        "id": format!("{}/answer", xblock(ctx, &problem_id)),
        "definition": {"type": SOLUTION_TYPE},
    });
    Common::new(ctx, ev, true)?.finish(ASKED, object, None)
}

fn demand_hint<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let module_id = ev.data_text("module_id")?;
    let index = match ev.data.get("hint_index").and_then(text) {
        Some(index) => index,
        None => return fail("event.hint_index", "field required"),
    };
    let object = node!({
        "id": format!("{}/hint/{index}", xblock(ctx, &module_id)),
        "definition": {"type": SUPPLEMENTAL_INFO_TYPE},
    });
    Common::new(ctx, ev, true)?.finish(ASKED, object, None)
}

fn problem_completed<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let id = match ev.data("problem_id").or_else(|| ev.data("module_id")) {
        Some(id) => text(id).ok_or_else(|| {
            (
                "event.problem_id".to_owned(),
                format!("expected a string, got {id}"),
            )
        })?,
        None => match ev.data("usage_key").and_then(text) {
            Some(id) => id,
            None => return fail("event.problem_id", "field required"),
        },
    };
    let object = node!({"id": xblock(ctx, &id), "definition": {"type": INTERACTION_TYPE}});
    Common::new(ctx, ev, true)?.finish(COMPLETED, object, None)
}

/// `success` and `score` from earned and possible points (`null` counts as 0).
fn score<'a>(ev: &Ev<'a>, earned: &str, possible: &str) -> Result<Node<'a>, Fail> {
    let get = |key: &str| -> Result<Node<'a>, Fail> {
        match ev.data.get(key) {
            None | Some(Node::Null) => Ok(node!(0)),
            Some(v @ Node::Number(_)) => Ok(v.clone()),
            Some(other) => fail(
                format!("event.{key}"),
                format!("expected a number, got {other}"),
            ),
        }
    };
    let (earned_v, possible_v) = (get(earned)?, get(possible)?);
    let e = earned_v.as_f64().unwrap_or(0.0);
    let p = possible_v.as_f64().unwrap_or(0.0);
    if e < 0.0 || e > p.max(0.0) {
        return fail(
            "result.score.raw",
            format!("{earned} {earned_v} is outside [0, {possible_v}]"),
        );
    }
    let scaled = if p > 0.0 { float(e / p) } else { node!(0) };
    Ok(node!({
        "success": e >= p,
        "score": {"min": 0, "max": possible_v, "raw": earned_v, "scaled": scaled},
    }))
}

fn problem_submitted<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let problem_id = ev.data_text("problem_id")?;
    let object = node!({"id": xblock(ctx, &problem_id), "definition": {"type": QUESTION_TYPE}});
    let result = score(ev, "weighted_earned", "weighted_possible")?;
    Common::new(ctx, ev, true)?.finish(ATTEMPTED, object, Some(result))
}

// ----- grading and completion ----------------------------------------------------------------

fn subsection_graded<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let block = ev.data_text("block_id")?;
    let object = node!({"id": xblock(ctx, &block), "definition": {"type": RESOURCE_TYPE}});
    let result = score(ev, "weighted_total_earned", "weighted_total_possible")?;
    Common::new(ctx, ev, true)?.finish(EARNED, object, Some(result))
}

fn course_graded<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let course_id = match ev.data("course_id").and_then(Node::as_str) {
        Some(id) => id,
        None => ev.course_id()?,
    };
    let percent = match ev.data.get("percent_grade") {
        None | Some(Node::Null) => node!(0),
        Some(v @ Node::Number(_)) => v.clone(),
        Some(other) => {
            return fail(
                "event.percent_grade",
                format!("expected a number, got {other}"),
            );
        }
    };
    if !(0.0..=1.0).contains(&percent.as_f64().unwrap_or(0.0)) {
        return fail(
            "result.score.scaled",
            format!("percent grade {percent} is outside [0, 1]"),
        );
    }
    let letter = ev
        .data("letter_grade")
        .cloned()
        .unwrap_or_else(|| node!("Fail"));
    let result = node!({
        "score": {"min": 0, "max": 1.0, "raw": percent.clone(), "scaled": percent},
        "extensions": {GRADE_CLASSIFICATION: letter},
    });
    Common::new(ctx, ev, true)?.finish(EARNED, course(ctx, course_id), Some(result))
}

fn completion_changed<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let block = ev.data_text("block_id")?;
    let completion = match ev.data.get("completion") {
        Some(v @ Node::Number(_)) => number(v, "event.completion")?,
        Some(other) => {
            return fail(
                "event.completion",
                format!("expected a number, got {other}"),
            );
        }
        None => return fail("event.completion", "field required"),
    };
    let object = node!({"id": xblock(ctx, &block), "definition": {"type": RESOURCE_TYPE}});
    let result = node!({
        "completion": completion == 1.0,
        "extensions": {CMI5_PROGRESS: float(completion * 100.0)},
    });
    Common::new(ctx, ev, true)?.finish(PROGRESSED, object, Some(result))
}

// ----- forum ---------------------------------------------------------------------------------

fn forum<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let action = ev.name.rsplit('.').next().unwrap_or("");
    let verb = match action {
        "created" => POSTED,
        "edited" => EDITED,
        "viewed" => VIEWED,
        "deleted" => DELETED,
        "voted" => VOTED,
        "reported" => REPORTED,
        _ => UNREPORTED,
    };
    let id = ev.data_text("id")?;
    let path = match ev.context("path").and_then(Node::as_str) {
        Some(path) => path,
        None => return fail("context.path", "field required"),
    };
    // The API path the event was emitted on, without the post id.
    let path = path
        .trim_end_matches('/')
        .replace(id.as_ref(), "")
        .trim_end_matches('/')
        .to_owned();
    let mut definition = Object::new();
    definition.insert("type", node!(DISCUSSION_TYPE));
    if let Some(title) = ev.data("title").and_then(text) {
        definition.insert("name", node!({"en": title}));
    }
    let object = node!({
        "id": format!("{}{path}/{id}", ctx.platform_base),
        "definition": definition,
    });
    let mut common = Common::new(ctx, ev, true)?;
    if let Some(discussion) = ev
        .data("discussion")
        .and_then(|d| present(d.get("id")))
        .and_then(text)
    {
        let grouping = node!([{
            "id": format!("{}/api/discussion/v1/threads/{discussion}", ctx.platform_base),
            "definition": {"type": DISCUSSION_TYPE},
        }]);
        match common.context.get_mut("contextActivities") {
            Some(Node::Object(activities)) => {
                activities.insert("grouping", grouping);
            }
            _ => {
                common
                    .context
                    .insert("contextActivities", node!({"grouping": grouping}));
            }
        }
    }
    match ev.name {
        "edx.forum.thread.created" => common.extension(ACROSSX_TYPE, ev.data("thread_type")),
        "edx.forum.thread.voted" | "edx.forum.response.voted" => {
            common.extension(ACROSSX_TYPE, ev.data("vote_value"));
        }
        _ => {}
    }
    common.finish(verb, object, None)
}

// ----- special exams -------------------------------------------------------------------------

fn special_exam<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let activity = if ev.name.contains(".timed.") {
        TIMED_ASSESSMENT
    } else if ev.name.contains(".practice.") {
        PRACTICE_ASSESSMENT
    } else {
        PROCTORED_ASSESSMENT
    };
    let verb = if ev.name.ends_with(".created") {
        INITIALIZED
    } else {
        TERMINATED
    };
    let content_id = ev.data_text("exam_content_id")?;
    let name = ev.data("exam_name").and_then(text);
    let mut definition = Object::new();
    definition.insert("type", node!(activity));
    if let Some(name) = &name {
        definition.insert("name", node!({"en": name.clone()}));
    }
    if let Some(limit) = ev.data("exam_default_time_limit_mins") {
        definition.insert("extensions", node!({TIME_LIMIT: limit}));
    }
    let object = node!({"id": xblock(ctx, &content_id), "definition": definition});
    let mut common = Common::new(ctx, ev, true)?;
    if let Some(code) = ev.data("attempt_code").and_then(text) {
        let mut attempt = Object::new();
        attempt.insert("type", node!(EXAM_ATTEMPT_TYPE));
        if let Some(name) = &name {
            attempt.insert("name", node!({"en": name.clone()}));
        }
        let mut extensions = Object::new();
        for (key, field) in [
            (ATTEMPT_STARTED, "attempt_started_at"),
            (ATTEMPT_COMPLETED, "attempt_completed_at"),
            (DURATION, "attempt_event_elapsed_time_secs"),
            (ATTEMPT_ID, "attempt_id"),
        ] {
            if let Some(value) = ev.data(field) {
                extensions.insert(key, value.clone());
            }
        }
        if !extensions.is_empty() {
            attempt.insert("extensions", Node::Object(extensions));
        }
        let grouping = node!([{
            "id": format!("{}/attempt/{code}", xblock(ctx, &content_id)),
            "definition": attempt,
        }]);
        match common.context.get_mut("contextActivities") {
            Some(Node::Object(activities)) => {
                activities.insert("grouping", grouping);
            }
            _ => {
                common
                    .context
                    .insert("contextActivities", node!({"grouping": grouping}));
            }
        }
    }
    common.finish(verb, object, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 65 event names event-routing-backends registers an xAPI transformer for.
    const ERB_NAMES: usize = 65;
    /// Those Ralph 5.1 converts itself.
    const RALPH_NAMES: [&str; 7] = [
        "load_video",
        "play_video",
        "pause_video",
        "seek_video",
        "stop_video",
        "edx.course.enrollment.activated",
        "edx.course.enrollment.deactivated",
    ];

    #[test]
    fn every_erb_event_name_is_converted_and_documented() {
        assert_eq!(CONVERTERS.len() + RALPH_NAMES.len(), ERB_NAMES);
        assert_eq!(
            BY_NAME.len(),
            CONVERTERS.len() + crate::beyond::CONVERTERS.len(),
            "a name is registered twice"
        );
        let table = crate::conversions();
        for name in CONVERTERS.iter().map(|(n, _)| *n).chain(RALPH_NAMES) {
            assert!(
                table
                    .iter()
                    .any(|c| c.event.split(' ').next() == Some(name)),
                "`{name}` has no row in the conversion table"
            );
        }
        for name in RALPH_NAMES {
            assert!(converter(name).is_none(), "{name} is Ralph's");
        }
    }
}
