//! Statement assembly shared by every conversion, and the table of conversions.

use ralph_models::edx::formats;
use ralph_models::json::{Node, Object};

use crate::iri::is_iri;
use crate::tree::{is_dropped, is_truthy, kept, node, python_str};
use crate::vocab::*;
use crate::{ActorId, Conversion};

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
    /// How the actor is identified.
    pub(crate) actor: &'a ActorId,
}

impl Ctx<'_> {
    /// The actor's account name from the event's user id and username, by the actor mode:
    /// `anonymous` for an anonymous learner.
    pub(crate) fn actor_name(
        &self,
        user_id: Option<&Node<'_>>,
        username: Option<&Node<'_>>,
    ) -> Result<String, Fail> {
        match self.actor {
            ActorId::UserId => Ok(actor_name(user_id)),
            ActorId::Username => Ok(match username {
                Some(Node::String(name)) if !name.is_empty() => name.as_ref().to_owned(),
                _ => "anonymous".to_owned(),
            }),
            ActorId::AnonymousIds(ids) => match user_id {
                Some(v) if is_truthy(v) => {
                    let id = python_str(v);
                    match ids.get(&id) {
                        Some(anonymous) => Ok(anonymous.clone()),
                        None => fail(
                            "actor.account.name",
                            format!("user id `{id}` is not in the anonymous id file"),
                        ),
                    }
                }
                _ => Ok("anonymous".to_owned()),
            },
        }
    }
}

/// The parts of a statement a conversion builds; [`finish`] adds the rest. Its values may borrow
/// from the event (`'a`).
pub(crate) struct Draft<'a> {
    pub(crate) actor_name: String,
    pub(crate) verb: &'static str,
    pub(crate) object: Node<'a>,
    pub(crate) result: Option<Node<'a>>,
    pub(crate) context: Option<Node<'a>>,
    pub(crate) timestamp: Option<String>,
    /// Further statements made from the same event (the questions of a multi-question
    /// `problem_check`), each with the key its id is derived from.
    pub(crate) children: Vec<(String, Draft<'a>)>,
}

/// The account name: `str(context.user_id)`, or `anonymous` when it is falsy.
pub(crate) fn actor_name(user_id: Option<&Node<'_>>) -> String {
    match user_id {
        Some(v) if is_truthy(v) => python_str(v),
        _ => "anonymous".to_owned(),
    }
}

/// The statement timestamp from the event's `time`, as pydantic writes datetimes.
pub(crate) fn timestamp(time: Option<&Node<'_>>) -> Result<Option<String>, Fail> {
    match kept(time) {
        None => Ok(None),
        Some(time) => formats::datetime(&time.to_value())
            .map(Some)
            .map_err(|reason| ("timestamp".to_owned(), reason)),
    }
}

/// A profile category activity (`https://w3id.org/xapi/video`, `.../lms`).
pub(crate) fn profile_category(id: &'static str) -> Node<'static> {
    node!([{"id": id, "definition": {"type": "http://adlnet.gov/expapi/activities/profile"}}])
}

/// Checks the rules of Ralph's base xAPI statement that conversions can break: IRIs and no
/// empty values outside extensions. `path` holds borrowed keys; it is joined only on failure.
fn check<'n>(value: &'n Node<'_>, path: &mut Vec<&'n str>) -> Result<(), Fail> {
    match value {
        Node::Object(map) => {
            for (key, item) in map {
                path.push(key);
                if key == "extensions" {
                    // Extension keys are IRIs; their values may be anything.
                    if let Node::Object(ext) = item
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
                    // The statement's own `id` and that of a statement reference are UUIDs;
                    // every other `id` is an IRI.
                    if matches!(key, "id" | "homePage" | "type")
                        && path.len() > 1
                        && path[..] != ["context", "statement", "id"]
                        && let Node::String(s) = item
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
        Node::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                // A leading empty segment: an item's `id` is not the statement's own.
                if let Err((inner, reason)) = check(item, &mut vec![""]) {
                    let inner = inner.strip_prefix('.').unwrap_or(&inner);
                    let mut at = path.join(".");
                    at.push_str(&format!(".{i}"));
                    if !inner.is_empty() {
                        at.push('.');
                        at.push_str(inner);
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
pub(crate) fn finish<'a>(ctx: &Ctx<'_>, draft: Draft<'a>) -> Result<Node<'a>, Fail> {
    let mut statement = Object::new();
    statement.insert("id", ctx.id.clone());
    statement.insert(
        "actor",
        node!({
            "account": {"homePage": ctx.platform_url.to_owned(), "name": draft.actor_name},
            "objectType": "Agent",
        }),
    );
    statement.insert("verb", node!({"id": draft.verb}));
    statement.insert("object", draft.object);
    if let Some(result) = draft.result {
        statement.insert("result", result);
    }
    if let Some(context) = draft.context {
        statement.insert("context", context);
    }
    if let Some(timestamp) = draft.timestamp {
        statement.insert("timestamp", timestamp);
    }
    statement.insert("version", "1.0.0");
    let statement = Node::Object(statement);
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
    ($source:literal, $event:literal, $statement:literal, $verb:expr, $activity:expr, $profile:literal, $ralph:literal, $summary:literal) => {
        Conversion {
            source: $source,
            event: $event,
            profile: $profile,
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
        "(server page request)",
        "PageViewed",
        VIEWED,
        PAGE_TYPE,
        "tincan",
        true,
        "a server page request: `object.id` is the platform URL followed by the `event_type` path"
    ),
    conversion!(
        "UIPageClose",
        "page_close",
        "PageTerminated",
        TERMINATED,
        PAGE_TYPE,
        "adl",
        true,
        "a closed page: `object.id` is the event's `page`"
    ),
    conversion!(
        "UILoadVideo",
        "load_video",
        "VideoInitialized",
        INITIALIZED,
        VIDEO_TYPE,
        "video",
        true,
        "a loaded video: video length 0.0, session id and user agent in context extensions"
    ),
    conversion!(
        "UIPlayVideo",
        "play_video",
        "VideoPlayed",
        PLAYED,
        VIDEO_TYPE,
        "video",
        true,
        "a played video: `result` time from `event.currentTime`"
    ),
    conversion!(
        "UIPauseVideo",
        "pause_video",
        "VideoPaused",
        PAUSED,
        VIDEO_TYPE,
        "video",
        true,
        "a paused video: `result` time from `event.currentTime`, length 0.0"
    ),
    conversion!(
        "UISeekVideo",
        "seek_video",
        "VideoSeeked",
        SEEKED,
        VIDEO_TYPE,
        "video",
        true,
        "a seek in a video: `result` time-from and time-to from `event.old_time` and `event.new_time`"
    ),
    conversion!(
        "UIStopVideo",
        "stop_video",
        "VideoTerminated",
        TERMINATED,
        VIDEO_TYPE,
        "video",
        true,
        "a stopped video: `result` time from `event.currentTime`, progress 0.0, length 0.0"
    ),
    conversion!(
        "EdxCourseEnrollmentActivated",
        "edx.course.enrollment.activated",
        "LMSRegisteredCourse",
        REGISTERED,
        COURSE_TYPE,
        "lms",
        true,
        "an enrollment: `object.id` is `{platform}/courses/{course_id}/info`, LMS profile category"
    ),
    conversion!(
        "EdxCourseEnrollmentDeactivated",
        "edx.course.enrollment.deactivated",
        "LMSUnregisteredCourse",
        UNREGISTERED,
        COURSE_TYPE,
        "lms",
        true,
        "an unenrollment: `object.id` is `{platform}/courses/{course_id}/info`, LMS profile category"
    ),
    conversion!(
        "edx.video.loaded",
        "edx.video.loaded",
        "VideoInitialized",
        INITIALIZED,
        VIDEO_TYPE,
        "video",
        false,
        "a video loaded (mobile apps' name of `load_video`): the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "edx.video.played",
        "edx.video.played",
        "VideoPlayed",
        PLAYED,
        VIDEO_TYPE,
        "video",
        false,
        "a video played: `result` time from `event.currentTime` (or `current_time`): the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "edx.video.paused",
        "edx.video.paused",
        "VideoPaused",
        PAUSED,
        VIDEO_TYPE,
        "video",
        false,
        "a video paused: `result` time from `event.currentTime`: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "edx.video.stopped",
        "edx.video.stopped",
        "VideoTerminated",
        TERMINATED,
        VIDEO_TYPE,
        "video",
        false,
        "a video stopped: `result` time from `event.currentTime`: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "edx.video.position.changed",
        "edx.video.position.changed",
        "VideoSeeked",
        SEEKED,
        VIDEO_TYPE,
        "video",
        false,
        "a video seek: `result` time-from and time-to from `event.old_time` and `event.new_time`: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "complete_video",
        "complete_video",
        "VideoCompleted",
        COMPLETED,
        VIDEO_TYPE,
        "video",
        false,
        "a video watched to the end: `result.completion` true, time and duration from `event.duration`: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "edx.video.completed",
        "edx.video.completed",
        "VideoCompleted",
        COMPLETED,
        VIDEO_TYPE,
        "video",
        false,
        "a video watched to the end: `result.completion` true, time and duration from `event.duration`: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "hide_transcript",
        "hide_transcript",
        "VideoTranscriptHidden",
        INTERACTED,
        VIDEO_TYPE,
        "video",
        false,
        "a video transcript hidden: `result` cc-enabled false, time from `event.currentTime`: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "show_transcript",
        "show_transcript",
        "VideoTranscriptShown",
        INTERACTED,
        VIDEO_TYPE,
        "video",
        false,
        "a video transcript shown: `result` cc-enabled true, time from `event.currentTime`: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "edx.video.transcript.hidden",
        "edx.video.transcript.hidden",
        "VideoTranscriptHidden",
        INTERACTED,
        VIDEO_TYPE,
        "video",
        false,
        "a video transcript hidden: `result` cc-enabled false: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "edx.video.transcript.shown",
        "edx.video.transcript.shown",
        "VideoTranscriptShown",
        INTERACTED,
        VIDEO_TYPE,
        "video",
        false,
        "a video transcript shown: `result` cc-enabled true: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "video_hide_cc_menu",
        "video_hide_cc_menu",
        "VideoCaptionsHidden",
        INTERACTED,
        VIDEO_TYPE,
        "video",
        false,
        "a video language menu hidden: `result` cc-enabled false: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "video_show_cc_menu",
        "video_show_cc_menu",
        "VideoCaptionsShown",
        INTERACTED,
        VIDEO_TYPE,
        "video",
        false,
        "a video language menu shown: `result` cc-enabled true: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "edx.video.closed_captions.hidden",
        "edx.video.closed_captions.hidden",
        "VideoCaptionsHidden",
        INTERACTED,
        VIDEO_TYPE,
        "video",
        false,
        "a video closed captions hidden: `result` cc-enabled false: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "edx.video.closed_captions.shown",
        "edx.video.closed_captions.shown",
        "VideoCaptionsShown",
        INTERACTED,
        VIDEO_TYPE,
        "video",
        false,
        "a video closed captions shown: `result` cc-enabled true: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "speed_change_video",
        "speed_change_video",
        "VideoSpeedChanged",
        INTERACTED,
        VIDEO_TYPE,
        "video",
        false,
        "a video speed change: `result` speed-from and speed-to (`1.0x`) from `event.old_speed` and `event.new_speed`: the object is `{platform}/xblock/block-v1:{course}+type@video+block@{event.id}`, the length from `event.duration`"
    ),
    conversion!(
        "edx.ui.lms.link_clicked",
        "edx.ui.lms.link_clicked",
        "LinkNavigated",
        NAVIGATED,
        LINK_TYPE,
        "dod-isd",
        false,
        "a link clicked in the courseware: the object is `event.target_url`"
    ),
    conversion!(
        "edx.ui.lms.outline.selected",
        "edx.ui.lms.outline.selected",
        "OutlineNavigated",
        NAVIGATED,
        MODULE_TYPE,
        "dod-isd",
        false,
        "a block selected in the course outline: the object is `event.target_url`, named by `event.target_name`"
    ),
    conversion!(
        "edx.ui.lms.sequence.outline.selected",
        "edx.ui.lms.sequence.outline.selected",
        "OutlineNavigated",
        NAVIGATED,
        MODULE_TYPE,
        "dod-isd",
        false,
        "a block selected in the sequence outline: the object is `event.target_url`, named by `event.target_name`"
    ),
    conversion!(
        "edx.ui.lms.sequence.next_selected",
        "edx.ui.lms.sequence.next_selected",
        "SequenceNavigated",
        NAVIGATED,
        RESOURCE_TYPE,
        "dod-isd",
        false,
        "the next unit of a sequence: the sequence `{platform}/xblock/{event.id}` with its tab count, starting position `event.current_tab`, ending `next unit`"
    ),
    conversion!(
        "edx.ui.lms.sequence.previous_selected",
        "edx.ui.lms.sequence.previous_selected",
        "SequenceNavigated",
        NAVIGATED,
        RESOURCE_TYPE,
        "dod-isd",
        false,
        "the previous unit of a sequence: starting position `event.current_tab`, ending `previous unit`"
    ),
    conversion!(
        "edx.ui.lms.sequence.tab_selected",
        "edx.ui.lms.sequence.tab_selected",
        "SequenceNavigated",
        NAVIGATED,
        RESOURCE_TYPE,
        "dod-isd",
        false,
        "a unit tab of a sequence: starting and ending positions `event.current_tab` and `event.target_tab`"
    ),
    conversion!(
        "edx.course.enrollment.mode_changed",
        "edx.course.enrollment.mode_changed",
        "CourseRegistered",
        REGISTERED,
        COURSE_TYPE,
        "adl",
        false,
        "an enrollment mode change: the course `{platform}/course/{course_id}` with the new mode in its type extension"
    ),
    conversion!(
        "edx.course.grade.passed.first_time",
        "edx.course.grade.passed.first_time",
        "CoursePassed",
        PASSED,
        COURSE_TYPE,
        "adl",
        false,
        "a course passed for the first time: the object is `{platform}/course/{course_id}`"
    ),
    conversion!(
        "edx.course.grade.now_passed",
        "edx.course.grade.now_passed",
        "CoursePassed",
        PASSED,
        COURSE_TYPE,
        "adl",
        false,
        "a course passed again after a regrade"
    ),
    conversion!(
        "edx.course.grade.now_failed",
        "edx.course.grade.now_failed",
        "CourseFailed",
        FAILED,
        COURSE_TYPE,
        "adl",
        false,
        "a course failed after a regrade"
    ),
    conversion!(
        "problem_check.server",
        "problem_check (server)",
        "ProblemEvaluated",
        EVALUATED,
        INTERACTION_TYPE,
        "acrossx",
        false,
        "a graded problem submission: `result.score` from `grade`/`max_grade`, `success` and `response` from the submission, interaction type from its response type"
    ),
    conversion!(
        "problem_check.browser",
        "problem_check (browser)",
        "ProblemAttempted",
        ATTEMPTED,
        INTERACTION_TYPE,
        "adl",
        false,
        "a problem submitted in the browser: the problem from the referer's `activate_block_id` or the query-string answers (`input_{block}_2_1=...`), no result"
    ),
    conversion!(
        "showanswer",
        "showanswer",
        "ProblemAnswerAsked",
        ASKED,
        SOLUTION_TYPE,
        "adl",
        false,
        "a shown answer: `object.id` is `{platform}/xblock/{problem_id}/answer`"
    ),
    conversion!(
        "edx.problem.hint.demandhint_displayed",
        "edx.problem.hint.demandhint_displayed",
        "ProblemHintAsked",
        ASKED,
        SUPPLEMENTAL_INFO_TYPE,
        "adl",
        false,
        "a displayed hint: `object.id` is `{platform}/xblock/{module_id}/hint/{hint_index}`"
    ),
    conversion!(
        "edx.problem.completed",
        "edx.problem.completed",
        "ProblemCompleted",
        COMPLETED,
        INTERACTION_TYPE,
        "adl",
        false,
        "a completed problem: the object is `{platform}/xblock/{problem_id}`"
    ),
    conversion!(
        "edx.grades.problem.submitted",
        "edx.grades.problem.submitted",
        "ProblemAttempted",
        ATTEMPTED,
        QUESTION_TYPE,
        "adl",
        false,
        "a graded problem: `result.score` from `weighted_earned`/`weighted_possible`, success when all points are earned"
    ),
    conversion!(
        "edx.grades.subsection.grade_calculated",
        "edx.grades.subsection.grade_calculated",
        "SubsectionGradeEarned",
        EARNED,
        RESOURCE_TYPE,
        "tincan",
        false,
        "a subsection grade: `result.score` from `weighted_total_earned`/`weighted_total_possible`"
    ),
    conversion!(
        "edx.grades.course.grade_calculated",
        "edx.grades.course.grade_calculated",
        "CourseGradeEarned",
        EARNED,
        COURSE_TYPE,
        "tincan",
        false,
        "a course grade: `result.score` is `percent_grade` out of 1.0, the letter grade (`Fail` when none) in the grade classification extension"
    ),
    conversion!(
        "edx.completion.block_completion.changed",
        "edx.completion.block_completion.changed",
        "BlockProgressed",
        PROGRESSED,
        RESOURCE_TYPE,
        "cmi5",
        false,
        "a block's completion: `result.completion` when it is 1.0, progress percent in the cmi5 progress extension"
    ),
    conversion!(
        "edx.forum.thread.created",
        "edx.forum.thread.created",
        "ForumThreadCreated",
        POSTED,
        DISCUSSION_TYPE,
        "acrossx",
        false,
        "a thread posted: the thread type in the type extension: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.thread.edited",
        "edx.forum.thread.edited",
        "ForumThreadEdited",
        EDITED,
        DISCUSSION_TYPE,
        "acrossx",
        false,
        "a thread edited: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.thread.viewed",
        "edx.forum.thread.viewed",
        "ForumThreadViewed",
        VIEWED,
        DISCUSSION_TYPE,
        "tincan",
        false,
        "a thread viewed: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.thread.deleted",
        "edx.forum.thread.deleted",
        "ForumThreadDeleted",
        DELETED,
        DISCUSSION_TYPE,
        "dod-isd",
        false,
        "a thread deleted: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.thread.voted",
        "edx.forum.thread.voted",
        "ForumThreadVoted",
        VOTED,
        DISCUSSION_TYPE,
        "openedx",
        false,
        "a vote on a thread: the vote value in the type extension: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.thread.reported",
        "edx.forum.thread.reported",
        "ForumThreadReported",
        REPORTED,
        DISCUSSION_TYPE,
        "acrossx",
        false,
        "a thread reported as inappropriate: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.thread.unreported",
        "edx.forum.thread.unreported",
        "ForumThreadUnreported",
        UNREPORTED,
        DISCUSSION_TYPE,
        "openedx",
        false,
        "a thread report withdrawn: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.response.created",
        "edx.forum.response.created",
        "ForumResponseCreated",
        POSTED,
        DISCUSSION_TYPE,
        "acrossx",
        false,
        "a response posted: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.response.edited",
        "edx.forum.response.edited",
        "ForumResponseEdited",
        EDITED,
        DISCUSSION_TYPE,
        "acrossx",
        false,
        "a response edited: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.response.deleted",
        "edx.forum.response.deleted",
        "ForumResponseDeleted",
        DELETED,
        DISCUSSION_TYPE,
        "dod-isd",
        false,
        "a response deleted: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.response.voted",
        "edx.forum.response.voted",
        "ForumResponseVoted",
        VOTED,
        DISCUSSION_TYPE,
        "openedx",
        false,
        "a vote on a response: the vote value in the type extension: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.response.reported",
        "edx.forum.response.reported",
        "ForumResponseReported",
        REPORTED,
        DISCUSSION_TYPE,
        "acrossx",
        false,
        "a response reported: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.response.unreported",
        "edx.forum.response.unreported",
        "ForumResponseUnreported",
        UNREPORTED,
        DISCUSSION_TYPE,
        "openedx",
        false,
        "a response report withdrawn: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.comment.created",
        "edx.forum.comment.created",
        "ForumCommentCreated",
        POSTED,
        DISCUSSION_TYPE,
        "acrossx",
        false,
        "a comment posted: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.comment.edited",
        "edx.forum.comment.edited",
        "ForumCommentEdited",
        EDITED,
        DISCUSSION_TYPE,
        "acrossx",
        false,
        "a comment edited: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.comment.deleted",
        "edx.forum.comment.deleted",
        "ForumCommentDeleted",
        DELETED,
        DISCUSSION_TYPE,
        "dod-isd",
        false,
        "a comment deleted: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.comment.reported",
        "edx.forum.comment.reported",
        "ForumCommentReported",
        REPORTED,
        DISCUSSION_TYPE,
        "acrossx",
        false,
        "a comment reported: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.forum.comment.unreported",
        "edx.forum.comment.unreported",
        "ForumCommentUnreported",
        UNREPORTED,
        DISCUSSION_TYPE,
        "openedx",
        false,
        "a comment report withdrawn: the object is `{platform}{context.path}/{event.id}`, titled by `event.title`, its discussion as grouping"
    ),
    conversion!(
        "edx.special_exam.timed.attempt.created",
        "edx.special_exam.timed.attempt.created",
        "ExamTimedAttemptCreated",
        INITIALIZED,
        TIMED_ASSESSMENT,
        "openedx",
        false,
        "a timed exam attempt started: the exam `{platform}/xblock/{exam_content_id}` with its time limit, the attempt (times, duration, id) as grouping"
    ),
    conversion!(
        "edx.special_exam.timed.attempt.submitted",
        "edx.special_exam.timed.attempt.submitted",
        "ExamTimedAttemptSubmitted",
        TERMINATED,
        TIMED_ASSESSMENT,
        "openedx",
        false,
        "a timed exam attempt submitted: the exam `{platform}/xblock/{exam_content_id}` with its time limit, the attempt (times, duration, id) as grouping"
    ),
    conversion!(
        "edx.special_exam.practice.attempt.created",
        "edx.special_exam.practice.attempt.created",
        "ExamPracticeAttemptCreated",
        INITIALIZED,
        PRACTICE_ASSESSMENT,
        "openedx",
        false,
        "a practice exam attempt started: the exam `{platform}/xblock/{exam_content_id}` with its time limit, the attempt (times, duration, id) as grouping"
    ),
    conversion!(
        "edx.special_exam.practice.attempt.submitted",
        "edx.special_exam.practice.attempt.submitted",
        "ExamPracticeAttemptSubmitted",
        TERMINATED,
        PRACTICE_ASSESSMENT,
        "openedx",
        false,
        "a practice exam attempt submitted: the exam `{platform}/xblock/{exam_content_id}` with its time limit, the attempt (times, duration, id) as grouping"
    ),
    conversion!(
        "edx.special_exam.proctored.attempt.created",
        "edx.special_exam.proctored.attempt.created",
        "ExamProctoredAttemptCreated",
        INITIALIZED,
        PROCTORED_ASSESSMENT,
        "openedx",
        false,
        "a proctored exam attempt started: the exam `{platform}/xblock/{exam_content_id}` with its time limit, the attempt (times, duration, id) as grouping"
    ),
    conversion!(
        "edx.special_exam.proctored.attempt.submitted",
        "edx.special_exam.proctored.attempt.submitted",
        "ExamProctoredAttemptSubmitted",
        TERMINATED,
        PROCTORED_ASSESSMENT,
        "openedx",
        false,
        "a proctored exam attempt submitted: the exam `{platform}/xblock/{exam_content_id}` with its time limit, the attempt (times, duration, id) as grouping"
    ),
    conversion!(
        "openassessmentblock.create_submission",
        "openassessmentblock.create_submission",
        "ORASubmitted",
        ANSWERED,
        QUESTION_TYPE,
        "adl",
        false,
        "a response submitted to an open response assessment: `answered` the ORA block (`context.module.usage_key`), the text in `result.response` (several parts as a JSON list), the attempt number as attempt-id. `answered` is ADL's verb for a learner's response to a question; ERB uses `question` for graded items"
    ),
    conversion!(
        "openassessmentblock.self_assess",
        "openassessmentblock.self_assess",
        "ORAAssessed",
        EVALUATED,
        QUESTION_TYPE,
        "acrossx",
        false,
        "a self assessment: `evaluated` (the acrossx verb ERB uses for graded problems) the ORA block, the rubric points in `result.score`, the feedback in `result.response`, `SE` in the type extension"
    ),
    conversion!(
        "openassessmentblock.peer_assess",
        "openassessmentblock.peer_assess",
        "ORAAssessed",
        EVALUATED,
        QUESTION_TYPE,
        "acrossx",
        false,
        "a peer assessment: as a self assessment, by the peer, `PE` in the type extension"
    ),
    conversion!(
        "openassessmentblock.staff_assess",
        "openassessmentblock.staff_assess",
        "ORAAssessed",
        EVALUATED,
        QUESTION_TYPE,
        "acrossx",
        false,
        "a staff assessment: as a self assessment, by the staff member, `ST` in the type extension"
    ),
    conversion!(
        "openassessmentblock.submit_feedback_on_assessments",
        "openassessmentblock.submit_feedback_on_assessments",
        "ORAFeedbackCommented",
        COMMENTED,
        QUESTION_TYPE,
        "adl",
        false,
        "feedback on the assessments received: ADL `commented` the ORA block, the text in `result.response`"
    ),
    conversion!(
        "openassessmentblock.get_peer_submission",
        "openassessmentblock.get_peer_submission",
        "ORASubmissionViewed",
        VIEWED,
        QUESTION_TYPE,
        "tincan",
        false,
        "a peer's submission fetched for assessment: `viewed` the ORA block"
    ),
    conversion!(
        "openassessmentblock.get_submission_for_staff_grading",
        "openassessmentblock.get_submission_for_staff_grading",
        "ORASubmissionViewed",
        VIEWED,
        QUESTION_TYPE,
        "tincan",
        false,
        "a submission fetched for staff grading: `viewed` the ORA block"
    ),
    conversion!(
        "edx.drag_and_drop_v2.loaded",
        "edx.drag_and_drop_v2.loaded",
        "DragAndDropViewed",
        VIEWED,
        INTERACTION_TYPE,
        "tincan",
        false,
        "a drag-and-drop problem shown: `viewed` the block as a `matching` cmi.interaction"
    ),
    conversion!(
        "edx.drag_and_drop_v2.item.picked_up",
        "edx.drag_and_drop_v2.item.picked_up",
        "DragAndDropInteracted",
        INTERACTED,
        INTERACTION_TYPE,
        "adl",
        false,
        "an item picked up: `interacted` with the block, the item id in `result.response`, the action in the type extension"
    ),
    conversion!(
        "edx.drag_and_drop_v2.item.dropped",
        "edx.drag_and_drop_v2.item.dropped",
        "DragAndDropAttempted",
        ATTEMPTED,
        INTERACTION_TYPE,
        "adl",
        false,
        "an item dropped on a zone: `attempted` (as ERB's browser `problem_check`; `answered` a cmi.interaction is the virtual-classroom profile's poll answer) the `matching` interaction, `result.response` `item[.]zone` (the xAPI matching format), `success` from `is_correct`"
    ),
    conversion!(
        "edx.drag_and_drop_v2.feedback.opened",
        "edx.drag_and_drop_v2.feedback.opened",
        "DragAndDropInteracted",
        INTERACTED,
        INTERACTION_TYPE,
        "adl",
        false,
        "feedback opened: `interacted` with the block, the action in the type extension"
    ),
    conversion!(
        "edx.drag_and_drop_v2.feedback.closed",
        "edx.drag_and_drop_v2.feedback.closed",
        "DragAndDropInteracted",
        INTERACTED,
        INTERACTION_TYPE,
        "adl",
        false,
        "feedback closed: `interacted` with the block, the action in the type extension"
    ),
    conversion!(
        "edx.bookmark.added",
        "edx.bookmark.added",
        "BlockBookmarked",
        BOOKMARKED,
        RESOURCE_TYPE,
        "tincan",
        false,
        "a bookmark added: Tin Can `bookmarked` the block `{platform}/xblock/{component_usage_id}` (`removed` and `listed` have no registered verb and stay unconverted)"
    ),
    conversion!(
        "edx.bookmark.accessed",
        "edx.bookmark.accessed",
        "BlockNavigated",
        NAVIGATED,
        RESOURCE_TYPE,
        "dod-isd",
        false,
        "a bookmark followed: `navigated` (as ERB's navigation events) to the block"
    ),
    conversion!(
        "edx.course.student_notes.added",
        "edx.course.student_notes.added",
        "NotePosted",
        POSTED,
        NOTE_TYPE,
        "acrossx",
        false,
        "a note added: acrossx `posted` (as ERB's forum posts) the note `{platform}/xblock/{block}/notes/{note_id}` (an Activity Streams note), its text in `result.response`, the annotated block as grouping"
    ),
    conversion!(
        "edx.course.student_notes.edited",
        "edx.course.student_notes.edited",
        "NoteEdited",
        EDITED,
        NOTE_TYPE,
        "acrossx",
        false,
        "a note edited: acrossx `edited` the note, the new text in `result.response`"
    ),
    conversion!(
        "edx.course.student_notes.deleted",
        "edx.course.student_notes.deleted",
        "NoteDeleted",
        DELETED,
        NOTE_TYPE,
        "dod-isd",
        false,
        "a note deleted: dod-isd `deleted` (as ERB's forum deletions) the note"
    ),
    conversion!(
        "edx.team.created",
        "edx.team.created",
        "TeamCreated",
        CREATED,
        GROUP_TYPE,
        "activitystreams",
        false,
        "a team created: Activity Streams `create` the team `{platform}/api/team/v0/teams/{team_id}` (an Activity Streams group)"
    ),
    conversion!(
        "edx.team.learner_added",
        "edx.team.learner_added",
        "TeamJoined",
        JOINED,
        GROUP_TYPE,
        "activitystreams",
        false,
        "a learner added to a team (`event.user_id`): Activity Streams `join` the team, the add method in the type extension"
    ),
    conversion!(
        "edx.team.learner_removed",
        "edx.team.learner_removed",
        "TeamLeft",
        LEFT,
        GROUP_TYPE,
        "activitystreams",
        false,
        "a learner removed from a team: Activity Streams `leave` the team, the remove method in the type extension"
    ),
    conversion!(
        "edx.team.page_viewed",
        "edx.team.page_viewed",
        "TeamViewed",
        VIEWED,
        GROUP_TYPE,
        "tincan",
        false,
        "a team page viewed: `viewed` the team, the page name in the type extension"
    ),
    conversion!(
        "edx.team.searched",
        "edx.team.searched",
        "TeamsSearched",
        SEARCHED,
        GROUP_TYPE,
        "acrossx",
        false,
        "a search for teams in a topic: acrossx `searched` the topic `{platform}/api/team/v0/topics/{topic_id},{course_id}`, the query in `result.response`, the number of results in total-items"
    ),
    conversion!(
        "edx.cohort.user_added",
        "edx.cohort.user_added",
        "CohortJoined",
        JOINED,
        GROUP_TYPE,
        "activitystreams",
        false,
        "a learner added to a cohort (`event.user_id`): Activity Streams `join` the cohort `{platform}/api/cohorts/v1/courses/{course_id}/cohorts/{cohort_id}`, named"
    ),
    conversion!(
        "edx.cohort.user_removed",
        "edx.cohort.user_removed",
        "CohortLeft",
        LEFT,
        GROUP_TYPE,
        "activitystreams",
        false,
        "a learner removed from a cohort: Activity Streams `leave` the cohort"
    ),
    conversion!(
        "edx.certificate.created",
        "edx.certificate.created",
        "CertificateEarned",
        EARNED,
        CERTIFICATE_TYPE,
        "tincan",
        false,
        "a certificate issued: Tin Can `earned` (as ERB's grades) the certificate at `event.certificate_url`, the enrollment mode in the type extension"
    ),
    conversion!(
        "edx.certificate.shared",
        "edx.certificate.shared",
        "CertificateShared",
        SHARED,
        CERTIFICATE_TYPE,
        "adl",
        false,
        "a certificate shared: ADL `shared` the certificate, the social network as `context.platform`"
    ),
    conversion!(
        "UISeqGoto",
        "seq_goto",
        "SequenceNavigated",
        NAVIGATED,
        RESOURCE_TYPE,
        "dod-isd",
        false,
        "a jump to a unit of a sequence: starting and ending positions from `event.old` and `event.new`"
    ),
    conversion!(
        "UISeqNext",
        "seq_next",
        "SequenceNavigated",
        NAVIGATED,
        RESOURCE_TYPE,
        "dod-isd",
        false,
        "a move to the next unit of a sequence: starting and ending positions from `event.old` and `event.new`"
    ),
    conversion!(
        "UISeqPrev",
        "seq_prev",
        "SequenceNavigated",
        NAVIGATED,
        RESOURCE_TYPE,
        "dod-isd",
        false,
        "a move to the previous unit of a sequence: starting and ending positions from `event.old` and `event.new`"
    ),
    conversion!(
        "UITextbookPdfPageNavigated",
        "textbook.pdf.page.navigated",
        "TextbookPageViewed",
        VIEWED,
        DOCUMENT_TYPE,
        "tincan",
        false,
        "a PDF textbook page viewed by page number: the object is the chapter's PDF, the page in the position extension"
    ),
    conversion!(
        "UITextbookPdfThumbnailNavigated",
        "textbook.pdf.thumbnail.navigated",
        "TextbookPageViewed",
        VIEWED,
        DOCUMENT_TYPE,
        "tincan",
        false,
        "a PDF textbook page viewed from its thumbnail"
    ),
    conversion!(
        "UIBook",
        "book",
        "TextbookPageViewed",
        VIEWED,
        DOCUMENT_TYPE,
        "tincan",
        false,
        "a PDF textbook page loaded or reached with next/previous: the page is `event.new`"
    ),
    conversion!(
        "UITextbookPdfChapterNavigated",
        "textbook.pdf.chapter.navigated",
        "TextbookChapterViewed",
        VIEWED,
        DOCUMENT_TYPE,
        "tincan",
        false,
        "a PDF textbook chapter opened from the outline: the object is the chapter's PDF, named by its title"
    ),
    conversion!(
        "UITextbookPdfZoomButtonsChanged",
        "textbook.pdf.zoom.buttons.changed",
        "TextbookZoomed",
        INTERACTED,
        DOCUMENT_TYPE,
        "adl",
        false,
        "a zoom in or out with the buttons: the direction in the zoom result extension"
    ),
    conversion!(
        "UITextbookPdfZoomMenuChanged",
        "textbook.pdf.zoom.menu.changed",
        "TextbookZoomed",
        INTERACTED,
        DOCUMENT_TYPE,
        "adl",
        false,
        "a zoom level chosen in the menu: the level in the zoom result extension"
    ),
    conversion!(
        "UITextbookPdfDisplayScaled",
        "textbook.pdf.display.scaled",
        "TextbookZoomed",
        INTERACTED,
        DOCUMENT_TYPE,
        "adl",
        false,
        "a display scale change: the scale in the zoom result extension"
    ),
    conversion!(
        "UITextbookPdfSearchExecuted",
        "textbook.pdf.search.executed",
        "TextbookSearched",
        SEARCHED,
        DOCUMENT_TYPE,
        "acrossx",
        false,
        "a search in a PDF textbook: the query in `result.response`"
    ),
];
