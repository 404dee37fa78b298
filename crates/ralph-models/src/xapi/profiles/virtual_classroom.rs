//! The virtual classroom profile (Ralph's `virtual_classroom` models).

use serde_json::{Map, Value, json};

use super::check::{Ext, Kind};
use super::params::{Params, activity, profile_activity, statement, verb};
use super::{Check, Profile, StatementType, by_type};

const PROFILE: &str = "https://w3id.org/xapi/virtual-classroom";
const CLASSROOM: &str = "https://w3id.org/xapi/virtual-classroom/activity-types/virtual-classroom";
const INTERACTION: &str = "http://adlnet.gov/expapi/activities/cmi.interaction";
const MESSAGE: &str = "https://w3id.org/xapi/acrossx/activities/message";

const SESSION_ID: &str = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
const PLANNED_DURATION: &str = "http://id.tincanapi.com/extension/planned-duration";

const INITIALIZED: &str = "http://adlnet.gov/expapi/verbs/initialized";
const JOINED: &str = "http://activitystrea.ms/join";
const LEFT: &str = "http://activitystrea.ms/leave";
const TERMINATED: &str = "http://adlnet.gov/expapi/verbs/terminated";
const MUTED: &str = "https://w3id.org/xapi/virtual-classroom/verbs/muted";
const UNMUTED: &str = "https://w3id.org/xapi/virtual-classroom/verbs/unmuted";
const STARTED_CAMERA: &str = "https://w3id.org/xapi/virtual-classroom/verbs/started-camera";
const STOPPED_CAMERA: &str = "https://w3id.org/xapi/virtual-classroom/verbs/stopped-camera";
const SHARED_SCREEN: &str = "https://w3id.org/xapi/virtual-classroom/verbs/shared-screen";
const UNSHARED_SCREEN: &str = "https://w3id.org/xapi/virtual-classroom/verbs/unshared-screen";
const RAISED_HAND: &str = "https://w3id.org/xapi/virtual-classroom/verbs/raised-hand";
const LOWERED_HAND: &str = "https://w3id.org/xapi/virtual-classroom/verbs/lowered-hand";
const ASKED: &str = "http://adlnet.gov/expapi/verbs/asked";
const ANSWERED: &str = "http://adlnet.gov/expapi/verbs/answered";
const POSTED: &str = "https://w3id.org/xapi/acrossx/verbs/posted";

/// The variations among virtual classroom statement types.
#[derive(Clone, Copy)]
enum Kind2 {
    /// Only the common rules.
    Plain,
    /// `planned-duration` context extension required (nullable).
    Planned,
    /// `contextActivities.parent` must hold the virtual classroom.
    Parent,
    /// `Parent` plus a required `result.response`.
    Answer,
}

pub(super) fn types() -> [StatementType; 15] {
    macro_rules! t {
        ($name:literal, $verb:ident, $word:literal, $at:ident, $kind:expr) => {
            by_type(
                $name,
                Profile::VirtualClassroom,
                $verb,
                $at,
                |c| check(c, $word, $kind),
                |p| example(p, $verb, $word, $at, $kind),
            )
        };
    }
    [
        t!(
            "VirtualClassroomInitialized",
            INITIALIZED,
            "initialized",
            CLASSROOM,
            Kind2::Planned
        ),
        t!(
            "VirtualClassroomJoined",
            JOINED,
            "joined",
            CLASSROOM,
            Kind2::Planned
        ),
        t!(
            "VirtualClassroomLeft",
            LEFT,
            "left",
            CLASSROOM,
            Kind2::Plain
        ),
        t!(
            "VirtualClassroomTerminated",
            TERMINATED,
            "terminated",
            CLASSROOM,
            Kind2::Planned
        ),
        t!(
            "VirtualClassroomMuted",
            MUTED,
            "muted",
            CLASSROOM,
            Kind2::Plain
        ),
        t!(
            "VirtualClassroomUnmuted",
            UNMUTED,
            "unmuted",
            CLASSROOM,
            Kind2::Plain
        ),
        t!(
            "VirtualClassroomStartedCamera",
            STARTED_CAMERA,
            "started camera",
            CLASSROOM,
            Kind2::Plain
        ),
        t!(
            "VirtualClassroomStoppedCamera",
            STOPPED_CAMERA,
            "stopped camera",
            CLASSROOM,
            Kind2::Plain
        ),
        t!(
            "VirtualClassroomSharedScreen",
            SHARED_SCREEN,
            "shared screen",
            CLASSROOM,
            Kind2::Plain
        ),
        t!(
            "VirtualClassroomUnsharedScreen",
            UNSHARED_SCREEN,
            "unshared screen",
            CLASSROOM,
            Kind2::Plain
        ),
        t!(
            "VirtualClassroomRaisedHand",
            RAISED_HAND,
            "raised hand",
            CLASSROOM,
            Kind2::Plain
        ),
        t!(
            "VirtualClassroomLoweredHand",
            LOWERED_HAND,
            "lowered hand",
            CLASSROOM,
            Kind2::Plain
        ),
        t!(
            "VirtualClassroomStartedPoll",
            ASKED,
            "asked",
            INTERACTION,
            Kind2::Parent
        ),
        t!(
            "VirtualClassroomAnsweredPoll",
            ANSWERED,
            "answered",
            INTERACTION,
            Kind2::Answer
        ),
        t!(
            "VirtualClassroomPostedPublicMessage",
            POSTED,
            "posted",
            MESSAGE,
            Kind2::Parent
        ),
    ]
}

fn check(c: &mut Check<'_>, word: &str, kind: Kind2) {
    c.verb_display(word);
    c.require_timestamp();
    c.require_context();
    c.require_registration();
    c.require_profile_category(PROFILE);
    c.require_extensions(Ext::Context);
    c.ext_opt(Ext::Context, SESSION_ID, Kind::Str);
    match kind {
        Kind2::Plain => {}
        Kind2::Planned => c.ext_req(Ext::Context, PLANNED_DURATION, Kind::DateTimeOrNull),
        Kind2::Parent | Kind2::Answer => c.require_context_activities("parent", CLASSROOM),
    }
    if let Kind2::Answer = kind
        && c.require_result().is_some_and(|r| r.response.is_none())
    {
        c.fail(
            &["result", "response"],
            crate::xapi::Rule::ProfileRequired,
            "required",
        );
    }
}

fn example(p: &Params, verb_id: &str, word: &str, at: &str, kind: Kind2) -> Value {
    let mut activities = Map::new();
    if matches!(kind, Kind2::Parent | Kind2::Answer) {
        let parent =
            json!({"id": "https://example.org/classrooms/1", "definition": {"type": CLASSROOM}});
        activities.insert(
            "parent".into(),
            if p.flag { json!([parent]) } else { parent },
        );
    }
    activities.insert("category".into(), json!([profile_activity(PROFILE)]));
    let mut ext = Map::new();
    ext.insert(SESSION_ID.into(), p.session.to_string().into());
    if let Kind2::Planned = kind {
        let planned = if p.flag {
            Value::from(p.timestamp.clone())
        } else {
            Value::Null
        };
        ext.insert(PLANNED_DURATION.into(), planned);
    }
    let context = json!({
        "registration": p.registration.to_string(),
        "contextActivities": activities,
        "extensions": ext,
    });
    let result = matches!(kind, Kind2::Answer).then(|| json!({"response": p.text}));
    statement(
        p,
        p.actor.clone(),
        verb(p, verb_id, word),
        activity(p, at),
        result,
        Some(context),
    )
}
