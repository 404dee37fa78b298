//! The LMS profile (Ralph's `lms` models).

use serde_json::{Map, Value, json};

use super::check::{Ext, Kind};
use super::params::{Params, activity, activity_with, profile_activity, statement, verb};
use super::video::{LENGTH, QUALITY};
use super::{Check, Profile, StatementType, by_type};

const PROFILE: &str = "https://w3id.org/xapi/lms";

const REGISTERED: &str = "http://adlnet.gov/expapi/verbs/registered";
const UNREGISTERED: &str = "http://id.tincanapi.com/verb/unregistered";
const ACCESSED: &str = "https://w3id.org/xapi/netc/verbs/accessed";
const UPLOADED: &str = "https://w3id.org/xapi/netc/verbs/uploaded";
const DOWNLOADED: &str = "http://id.tincanapi.com/verb/downloaded";

const COURSE: &str = "http://adlnet.gov/expapi/activities/course";
const WEBPAGE: &str = "https://w3id.org/xapi/acrossx/activities/webpage";
const FILE: &str = "http://activitystrea.ms/file";
const VIDEO: &str = "https://w3id.org/xapi/video/activity-type/video";
const DOCUMENT: &str = "http://id.tincanapi.com/activitytype/document";
const AUDIO: &str = "https://w3id.org/xapi/audio/activity-type/audio";

const STARTING_DATE: &str = "https://w3id.org/xapi/lms/extensions/starting-date";
const ENDING_DATE: &str = "https://w3id.org/xapi/lms/extensions/ending-date";
const ROLE: &str = "https://w3id.org/xapi/lms/extensions/role";
const SESSION_ID: &str = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
const ACTIVITY_TYPE_EXT: &str = "https://w3id.org/xapi/acrossx/extensions/type";

/// What the context extensions of a type look like.
#[derive(Clone, Copy)]
enum Ctx {
    /// No specific extension.
    Plain,
    /// Registration: role (required when extensions are given), starting and ending dates.
    Registration,
    /// Session id.
    Common,
    /// Session id, video length and quality.
    Video,
    /// Session id, audio length.
    Audio,
}

/// What the object definition extensions of a type look like.
#[derive(Clone, Copy)]
enum Obj {
    Plain,
    Page,
    File,
}

pub(super) fn types() -> [StatementType; 12] {
    macro_rules! t {
        ($name:literal, $verb:ident, $word:literal, $at:ident, $ctx:expr, $obj:expr) => {
            by_type(
                $name,
                Profile::Lms,
                $verb,
                $at,
                |c| check(c, $word, $ctx, $obj),
                |p| example(p, $verb, $word, $at, $ctx, $obj),
            )
        };
    }
    [
        t!(
            "LMSRegisteredCourse",
            REGISTERED,
            "registered",
            COURSE,
            Ctx::Registration,
            Obj::Plain
        ),
        t!(
            "LMSUnregisteredCourse",
            UNREGISTERED,
            "unregistered",
            COURSE,
            Ctx::Registration,
            Obj::Plain
        ),
        t!(
            "LMSAccessedPage",
            ACCESSED,
            "accessed",
            WEBPAGE,
            Ctx::Plain,
            Obj::Page
        ),
        t!(
            "LMSAccessedFile",
            ACCESSED,
            "accessed",
            FILE,
            Ctx::Plain,
            Obj::File
        ),
        t!(
            "LMSUploadedFile",
            UPLOADED,
            "uploaded",
            FILE,
            Ctx::Common,
            Obj::File
        ),
        t!(
            "LMSDownloadedFile",
            DOWNLOADED,
            "downloaded",
            FILE,
            Ctx::Common,
            Obj::File
        ),
        t!(
            "LMSUploadedVideo",
            UPLOADED,
            "uploaded",
            VIDEO,
            Ctx::Common,
            Obj::Plain
        ),
        t!(
            "LMSDownloadedVideo",
            DOWNLOADED,
            "downloaded",
            VIDEO,
            Ctx::Video,
            Obj::Plain
        ),
        t!(
            "LMSUploadedDocument",
            UPLOADED,
            "uploaded",
            DOCUMENT,
            Ctx::Common,
            Obj::Plain
        ),
        t!(
            "LMSDownloadedDocument",
            DOWNLOADED,
            "downloaded",
            DOCUMENT,
            Ctx::Common,
            Obj::Plain
        ),
        t!(
            "LMSUploadedAudio",
            UPLOADED,
            "uploaded",
            AUDIO,
            Ctx::Common,
            Obj::Plain
        ),
        t!(
            "LMSDownloadedAudio",
            DOWNLOADED,
            "downloaded",
            AUDIO,
            Ctx::Audio,
            Obj::Plain
        ),
    ]
}

fn check(c: &mut Check<'_>, word: &str, ctx: Ctx, obj: Obj) {
    c.verb_display(word);
    c.require_timestamp();
    c.require_context();
    c.require_profile_category(PROFILE);
    match ctx {
        Ctx::Plain => {}
        Ctx::Registration => {
            if c.has_extensions(Ext::Context) {
                c.ext_req(Ext::Context, ROLE, Kind::StrOrNull);
            }
            c.ext_opt(Ext::Context, STARTING_DATE, Kind::DateTimeOrNull);
            c.ext_opt(Ext::Context, ENDING_DATE, Kind::DateTimeOrNull);
        }
        Ctx::Common | Ctx::Video | Ctx::Audio => {
            c.ext_opt(Ext::Context, SESSION_ID, Kind::UuidOrNull);
        }
    }
    match ctx {
        Ctx::Video => {
            c.ext_opt(Ext::Context, LENGTH, Kind::NonNegative);
            c.ext_opt(Ext::Context, QUALITY, Kind::Positive);
        }
        Ctx::Audio => c.ext_opt(Ext::Context, LENGTH, Kind::NonNegative),
        _ => {}
    }
    match obj {
        Obj::Plain => {}
        Obj::Page => c.ext_opt(
            Ext::Object,
            ACTIVITY_TYPE_EXT,
            Kind::OneOf(&["course", "course_list", "user_space"]),
        ),
        Obj::File => {
            if c.has_extensions(Ext::Object) {
                c.ext_req(Ext::Object, ACTIVITY_TYPE_EXT, Kind::Str);
            }
        }
    }
}

fn example(p: &Params, verb_id: &str, word: &str, at: &str, ctx: Ctx, obj: Obj) -> Value {
    let object = match obj {
        Obj::Plain => activity(p, at),
        Obj::Page => activity_with(p, at, p.flag.then(|| json!({ACTIVITY_TYPE_EXT: "course"}))),
        Obj::File => activity_with(p, at, p.flag.then(|| json!({ACTIVITY_TYPE_EXT: "pdf"}))),
    };
    let mut ext = Map::new();
    if p.flag {
        match ctx {
            Ctx::Plain => {}
            Ctx::Registration => {
                ext.insert(ROLE.into(), "learner".into());
                ext.insert(STARTING_DATE.into(), p.timestamp.clone().into());
            }
            Ctx::Common => {
                ext.insert(SESSION_ID.into(), p.session.to_string().into());
            }
            Ctx::Video => {
                ext.insert(SESSION_ID.into(), p.session.to_string().into());
                ext.insert(LENGTH.into(), p.length.into());
                ext.insert(QUALITY.into(), 720.into());
            }
            Ctx::Audio => {
                ext.insert(LENGTH.into(), p.length.into());
            }
        }
    }
    let mut context = Map::new();
    context.insert(
        "contextActivities".into(),
        json!({"category": [profile_activity(PROFILE)]}),
    );
    if !ext.is_empty() {
        context.insert("extensions".into(), Value::Object(ext));
    }
    statement(
        p,
        p.actor.clone(),
        verb(p, verb_id, word),
        object,
        None,
        Some(Value::Object(context)),
    )
}
