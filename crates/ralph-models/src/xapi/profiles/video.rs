//! The xAPI video profile (Ralph's `video` models).

use serde_json::{Map, Value, json};

use super::check::{Ext, Kind};
use super::params::{Params, activity, profile_activity, statement, verb};
use super::{Check, Profile, StatementType, by_type};

const VIDEO: &str = "https://w3id.org/xapi/video/activity-type/video";
const PROFILE: &str = "https://w3id.org/xapi/video";

const INITIALIZED: &str = "http://adlnet.gov/expapi/verbs/initialized";
const PLAYED: &str = "https://w3id.org/xapi/video/verbs/played";
const PAUSED: &str = "https://w3id.org/xapi/video/verbs/paused";
const SEEKED: &str = "https://w3id.org/xapi/video/verbs/seeked";
const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
const TERMINATED: &str = "http://adlnet.gov/expapi/verbs/terminated";
const INTERACTED: &str = "http://adlnet.gov/expapi/verbs/interacted";

pub(crate) const CC_SUBTITLE_LANG: &str = "https://w3id.org/xapi/video/extensions/cc-subtitle-lang";
const CC_ENABLED: &str = "https://w3id.org/xapi/video/extensions/cc-enabled";
const COMPLETION_THRESHOLD: &str = "https://w3id.org/xapi/video/extensions/completion-threshold";
const FULL_SCREEN: &str = "https://w3id.org/xapi/video/extensions/full-screen";
pub(crate) const LENGTH: &str = "https://w3id.org/xapi/video/extensions/length";
const PLAYED_SEGMENTS: &str = "https://w3id.org/xapi/video/extensions/played-segments";
pub(crate) const QUALITY: &str = "https://w3id.org/xapi/video/extensions/quality";
const SCREEN_SIZE: &str = "https://w3id.org/xapi/video/extensions/screen-size";
const SESSION_ID: &str = "https://w3id.org/xapi/video/extensions/session-id";
const SPEED: &str = "https://w3id.org/xapi/video/extensions/speed";
const USER_AGENT: &str = "https://w3id.org/xapi/video/extensions/user-agent";
const VIDEO_PLAYBACK_SIZE: &str = "https://w3id.org/xapi/video/extensions/video-playback-size";
const VOLUME: &str = "https://w3id.org/xapi/video/extensions/volume";
const TIME: &str = "https://w3id.org/xapi/video/extensions/time";
const TIME_FROM: &str = "https://w3id.org/xapi/video/extensions/time-from";
const TIME_TO: &str = "https://w3id.org/xapi/video/extensions/time-to";
const PROGRESS: &str = "https://w3id.org/xapi/video/extensions/progress";

pub(super) fn types() -> [StatementType; 10] {
    let t = |name, verb_id, check, example| {
        by_type(name, Profile::Video, verb_id, VIDEO, check, example)
    };
    [
        t("VideoInitialized", INITIALIZED, initialized, |p| {
            let mut ext = session(p);
            ext.insert(LENGTH.into(), p.length.into());
            if p.flag {
                ext.insert(CC_SUBTITLE_LANG.into(), "en-US".into());
                ext.insert(FULL_SCREEN.into(), p.flag.into());
                ext.insert(SPEED.into(), "1x".into());
                ext.insert(VOLUME.into(), p.percent.into());
                ext.insert(COMPLETION_THRESHOLD.into(), p.ratio.into());
            }
            example(p, INITIALIZED, "initialized", None, Some(ext))
        }),
        t("VideoPlayed", PLAYED, played, |p| {
            let ctx = p.flag.then(|| session(p));
            example(p, PLAYED, "played", Some(time(p)), ctx)
        }),
        t("VideoPaused", PAUSED, paused, |p| {
            let mut result = time(p);
            if p.flag {
                result.insert(PROGRESS.into(), p.ratio.into());
            }
            example(p, PAUSED, "paused", Some(result), Some(browsing(p)))
        }),
        t("VideoSeeked", SEEKED, seeked, |p| {
            let mut result = Map::new();
            result.insert(TIME_FROM.into(), p.time.into());
            result.insert(TIME_TO.into(), p.time_to.into());
            let ctx = p.flag.then(|| session(p));
            example(p, SEEKED, "seeked", Some(result), ctx)
        }),
        t("VideoCompleted", COMPLETED, completed, |p| {
            let mut result = time(p);
            result.insert(PROGRESS.into(), p.ratio.into());
            example(p, COMPLETED, "completed", Some(result), Some(browsing(p)))
        }),
        t("VideoTerminated", TERMINATED, terminated, |p| {
            let mut result = time(p);
            result.insert(PROGRESS.into(), p.ratio.into());
            example(p, TERMINATED, "terminated", Some(result), Some(browsing(p)))
        }),
        t(
            "VideoEnableClosedCaptioning",
            INTERACTED,
            enable_closed_captioning,
            |p| {
                let mut result = time(p);
                result.insert(CC_ENABLED.into(), p.flag.into());
                let mut ctx = session(p);
                ctx.insert(CC_SUBTITLE_LANG.into(), "fr-FR".into());
                example(p, INTERACTED, "interacted", Some(result), Some(ctx))
            },
        ),
        t(
            "VideoVolumeChangeInteraction",
            INTERACTED,
            volume_change,
            |p| {
                let mut ctx = session(p);
                ctx.insert(VOLUME.into(), p.percent.into());
                example(p, INTERACTED, "interacted", Some(time(p)), Some(ctx))
            },
        ),
        t(
            "VideoScreenChangeInteraction",
            INTERACTED,
            screen_change,
            |p| {
                let mut ctx = session(p);
                ctx.insert(FULL_SCREEN.into(), p.flag.into());
                ctx.insert(SCREEN_SIZE.into(), "1080x960".into());
                ctx.insert(VIDEO_PLAYBACK_SIZE.into(), "800x600".into());
                example(p, INTERACTED, "interacted", Some(time(p)), Some(ctx))
            },
        ),
        t("VideoInteracted", INTERACTED, interacted, |p| {
            let mut result = time(p);
            let mut ctx = session(p);
            if p.flag {
                result.insert(CC_ENABLED.into(), p.flag.into());
            } else {
                ctx.insert(SPEED.into(), "1.5x".into());
            }
            example(p, INTERACTED, "interacted", Some(result), Some(ctx))
        }),
    ]
}

fn session(p: &Params) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(SESSION_ID.into(), p.session.to_string().into());
    m
}

fn time(p: &Params) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(TIME.into(), p.time.into());
    m
}

fn browsing(p: &Params) -> Map<String, Value> {
    let mut m = session(p);
    m.insert(LENGTH.into(), p.length.into());
    m
}

fn example(
    p: &Params,
    verb_id: &str,
    word: &str,
    result_extensions: Option<Map<String, Value>>,
    context_extensions: Option<Map<String, Value>>,
) -> Value {
    let result = result_extensions.map(|ext| json!({"extensions": ext}));
    let mut ctx = Map::new();
    ctx.insert(
        "contextActivities".into(),
        json!({"category": [profile_activity(PROFILE)]}),
    );
    if let Some(ext) = context_extensions {
        ctx.insert("extensions".into(), Value::Object(ext));
    }
    statement(
        p,
        p.actor.clone(),
        verb(p, verb_id, word),
        activity(p, VIDEO),
        result,
        Some(Value::Object(ctx)),
    )
}

/// Rules shared by every video statement: verb display, context with the profile category.
fn common(c: &mut Check<'_>, word: &str) {
    c.verb_display(word);
    c.require_context();
    c.require_profile_category(PROFILE);
}

/// Context extensions: the session id is required (nullable) whenever extensions are given.
fn context_extensions(c: &mut Check<'_>, required: bool) {
    if required {
        c.require_extensions(Ext::Context);
    }
    c.ext_req(Ext::Context, SESSION_ID, Kind::UuidOrNull);
}

/// Result extensions `time` (required) and `played-segments`.
fn result_time(c: &mut Check<'_>) {
    c.require_result();
    c.require_extensions(Ext::Result);
    c.ext_req(Ext::Result, TIME, Kind::NonNegative);
    c.ext_opt(Ext::Result, PLAYED_SEGMENTS, Kind::Str);
}

fn browsing_context(c: &mut Check<'_>) {
    context_extensions(c, true);
    c.ext_req(Ext::Context, LENGTH, Kind::NonNegative);
    c.ext_opt(Ext::Context, COMPLETION_THRESHOLD, Kind::Number);
}

fn initialized(c: &mut Check<'_>) {
    common(c, "initialized");
    context_extensions(c, true);
    c.ext_req(Ext::Context, LENGTH, Kind::NonNegative);
    c.ext_opt(Ext::Context, CC_ENABLED, Kind::Bool);
    c.ext_opt(Ext::Context, CC_SUBTITLE_LANG, Kind::Str);
    c.ext_opt(Ext::Context, FULL_SCREEN, Kind::Bool);
    c.ext_opt(Ext::Context, SCREEN_SIZE, Kind::Str);
    c.ext_opt(Ext::Context, VIDEO_PLAYBACK_SIZE, Kind::Str);
    c.ext_opt(Ext::Context, SPEED, Kind::Str);
    c.ext_opt(Ext::Context, USER_AGENT, Kind::Str);
    c.ext_opt(Ext::Context, VOLUME, Kind::Integer);
    c.ext_opt(Ext::Context, COMPLETION_THRESHOLD, Kind::Number);
}

fn played(c: &mut Check<'_>) {
    common(c, "played");
    result_time(c);
    context_extensions(c, false);
}

fn paused(c: &mut Check<'_>) {
    common(c, "paused");
    result_time(c);
    c.ext_opt(Ext::Result, PROGRESS, Kind::NonNegative);
    browsing_context(c);
}

fn seeked(c: &mut Check<'_>) {
    common(c, "seeked");
    c.require_result();
    c.require_extensions(Ext::Result);
    c.ext_req(Ext::Result, TIME_FROM, Kind::NonNegative);
    c.ext_req(Ext::Result, TIME_TO, Kind::NonNegative);
    context_extensions(c, false);
}

fn completed(c: &mut Check<'_>) {
    common(c, "completed");
    result_time(c);
    c.ext_req(Ext::Result, PROGRESS, Kind::NonNegative);
    if c.result().and_then(|r| r.completion) == Some(false) {
        c.fail(
            &["result", "completion"],
            crate::xapi::Rule::ProfileValue,
            "must be `true`",
        );
    }
    browsing_context(c);
}

fn terminated(c: &mut Check<'_>) {
    common(c, "terminated");
    result_time(c);
    c.ext_req(Ext::Result, PROGRESS, Kind::NonNegative);
    browsing_context(c);
}

fn enable_closed_captioning(c: &mut Check<'_>) {
    common(c, "interacted");
    result_time(c);
    c.ext_req(Ext::Result, CC_ENABLED, Kind::Bool);
    context_extensions(c, true);
    c.ext_req(Ext::Context, CC_SUBTITLE_LANG, Kind::Str);
}

fn volume_change(c: &mut Check<'_>) {
    common(c, "interacted");
    result_time(c);
    context_extensions(c, true);
    c.ext_req(Ext::Context, VOLUME, Kind::Integer);
}

/// A video `interacted` statement that none of the profile's three templates describes: a
/// transcript shown or hidden (`cc-enabled` without a caption language), a speed change
/// (`speed`), as Open edX emits them. It follows the rules the three templates share (`time`,
/// the session id). The extensions that only those templates define are refused here, so a
/// statement that carries one is held to its template.
fn interacted(c: &mut Check<'_>) {
    common(c, "interacted");
    result_time(c);
    c.ext_opt(Ext::Result, CC_ENABLED, Kind::Bool);
    context_extensions(c, true);
    c.ext_opt(Ext::Context, SPEED, Kind::Str);
    c.ext_opt(Ext::Context, LENGTH, Kind::NonNegative);
    for (key, owner) in [
        (CC_SUBTITLE_LANG, "VideoEnableClosedCaptioning"),
        (VOLUME, "VideoVolumeChangeInteraction"),
        (FULL_SCREEN, "VideoScreenChangeInteraction"),
        (SCREEN_SIZE, "VideoScreenChangeInteraction"),
        (VIDEO_PLAYBACK_SIZE, "VideoScreenChangeInteraction"),
    ] {
        c.forbid_ext(Ext::Context, key, owner);
    }
}

fn screen_change(c: &mut Check<'_>) {
    common(c, "interacted");
    result_time(c);
    context_extensions(c, true);
    c.ext_req(Ext::Context, FULL_SCREEN, Kind::Bool);
    c.ext_req(Ext::Context, SCREEN_SIZE, Kind::Str);
    c.ext_req(Ext::Context, VIDEO_PLAYBACK_SIZE, Kind::Str);
}
