//! The cmi5 defined statements (cmi5 specification §9), selected by their verb and the cmi5
//! category activity, since their object (the AU) has no fixed activity type.

use serde_json::{Map, Value, json};

use super::check::{Ext, Kind};
use super::params::{Params, statement, verb};
use super::{Check, Discriminant, Profile, StatementType};
use crate::xapi::Rule;
use crate::xapi::model::StatementObject;

/// The category activity that marks cmi5 defined statements.
pub(crate) const CMI5_CATEGORY: &str = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
/// The category activity of statements that count for `moveOn`.
const MOVEON_CATEGORY: &str = "https://w3id.org/xapi/cmi5/context/categories/moveon";

const SESSION_ID: &str = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
const MASTERY_SCORE: &str = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
const LAUNCH_MODE: &str = "https://w3id.org/xapi/cmi5/context/extensions/launchmode";
const LAUNCH_URL: &str = "https://w3id.org/xapi/cmi5/context/extensions/launchurl";
const MOVE_ON: &str = "https://w3id.org/xapi/cmi5/context/extensions/moveon";
const LAUNCH_PARAMETERS: &str = "https://w3id.org/xapi/cmi5/context/extensions/launchparameters";
const PROGRESS: &str = "https://w3id.org/xapi/cmi5/result/extensions/progress";
const REASON: &str = "https://w3id.org/xapi/cmi5/result/extensions/reason";

const BLOCK: &str = "https://w3id.org/xapi/cmi5/activitytype/block";
const COURSE: &str = "https://w3id.org/xapi/cmi5/activitytype/course";

const LAUNCH_MODES: &[&str] = &["Normal", "Browse", "Review"];
const MOVE_ON_VALUES: &[&str] = &[
    "Passed",
    "Completed",
    "CompletedAndPassed",
    "CompletedOrPassed",
    "NotApplicable",
];

/// What one cmi5 verb requires of `result`.
#[derive(Clone, Copy)]
struct Verb {
    name: &'static str,
    id: &'static str,
    word: &'static str,
    /// Required value of `result.success`; `None`: must be absent.
    success: Option<bool>,
    /// Required value of `result.completion`; `None`: must be absent.
    completion: Option<bool>,
    /// `result.score` allowed.
    score: bool,
    /// `result.duration` required.
    duration: bool,
}

const fn v(
    name: &'static str,
    id: &'static str,
    word: &'static str,
    success: Option<bool>,
    completion: Option<bool>,
    score: bool,
    duration: bool,
) -> Verb {
    Verb {
        name,
        id,
        word,
        success,
        completion,
        score,
        duration,
    }
}

const VERBS: [Verb; 9] = [
    v(
        "Cmi5Launched",
        "http://adlnet.gov/expapi/verbs/launched",
        "launched",
        None,
        None,
        false,
        false,
    ),
    v(
        "Cmi5Initialized",
        "http://adlnet.gov/expapi/verbs/initialized",
        "initialized",
        None,
        None,
        false,
        false,
    ),
    v(
        "Cmi5Completed",
        "http://adlnet.gov/expapi/verbs/completed",
        "completed",
        None,
        Some(true),
        false,
        true,
    ),
    v(
        "Cmi5Passed",
        "http://adlnet.gov/expapi/verbs/passed",
        "passed",
        Some(true),
        None,
        true,
        true,
    ),
    v(
        "Cmi5Failed",
        "http://adlnet.gov/expapi/verbs/failed",
        "failed",
        Some(false),
        None,
        true,
        true,
    ),
    v(
        "Cmi5Abandoned",
        "https://w3id.org/xapi/adl/verbs/abandoned",
        "abandoned",
        None,
        None,
        false,
        true,
    ),
    v(
        "Cmi5Waived",
        "https://w3id.org/xapi/adl/verbs/waived",
        "waived",
        Some(true),
        Some(true),
        false,
        false,
    ),
    v(
        "Cmi5Terminated",
        "http://adlnet.gov/expapi/verbs/terminated",
        "terminated",
        None,
        None,
        false,
        true,
    ),
    v(
        "Cmi5Satisfied",
        "https://w3id.org/xapi/adl/verbs/satisfied",
        "satisfied",
        None,
        None,
        false,
        false,
    ),
];

pub(super) fn types() -> [StatementType; 9] {
    macro_rules! t {
        ($i:literal) => {
            StatementType {
                name: VERBS[$i].name,
                profile: Profile::Cmi5,
                verb_id: VERBS[$i].id,
                discriminant: Discriminant::Category(CMI5_CATEGORY),
                check: |c| check(c, &VERBS[$i]),
                example: |p| example(p, &VERBS[$i]),
            }
        };
    }
    [
        t!(0),
        t!(1),
        t!(2),
        t!(3),
        t!(4),
        t!(5),
        t!(6),
        t!(7),
        t!(8),
    ]
}

fn check(c: &mut Check<'_>, verb: &Verb) {
    // §9.2 actor, §9.7 timestamp in UTC, §9.6 context, registration, session id.
    c.verb_display(verb.word);
    c.require_account_agent();
    c.require_timestamp();
    if let Some(ts) = &c.st.timestamp
        && ts.value.offset().local_minus_utc() != 0
    {
        c.fail(&["timestamp"], Rule::ProfileValue, "must be in UTC");
    }
    c.require_context();
    c.require_registration();
    c.require_extensions(Ext::Context);
    c.ext_req(Ext::Context, SESSION_ID, Kind::Str);
    // §9.5 result.
    let result = c.result();
    let success = result.and_then(|r| r.success);
    let completion = result.and_then(|r| r.completion);
    flag(c, "success", verb.success, success);
    flag(c, "completion", verb.completion, completion);
    if !verb.score && result.is_some_and(|r| r.score.is_some()) {
        c.fail(&["result", "score"], Rule::ProfileForbidden, "not allowed");
    }
    if verb.duration && result.is_none_or(|r| r.duration.is_none()) {
        c.fail(&["result", "duration"], Rule::ProfileRequired, "required");
    }
    c.ext_opt(Ext::Result, PROGRESS, Kind::Percent);
    // §9.6.2.2 the moveOn category goes with `success` or `completion`, and only then.
    let moveon = c.st.categories().any(|a| a.id == MOVEON_CATEGORY);
    let path = ["context", "contextActivities", "category"];
    match (success.is_some() || completion.is_some(), moveon) {
        (true, false) => {
            let reason = format!(
                "must contain `{MOVEON_CATEGORY}` when `result` has `success` or `completion`"
            );
            c.fail(&path, Rule::ProfileCategory, reason);
        }
        (false, true) => {
            let reason = format!(
                "must not contain `{MOVEON_CATEGORY}` without `result.success` or `result.completion`"
            );
            c.fail(&path, Rule::ProfileForbidden, reason);
        }
        _ => {}
    }
    c.ext_opt(Ext::Context, MASTERY_SCORE, Kind::UnitInterval);
    match verb.word {
        "launched" => {
            c.ext_req(Ext::Context, LAUNCH_MODE, Kind::OneOf(LAUNCH_MODES));
            c.ext_req(Ext::Context, LAUNCH_URL, Kind::Url);
            c.ext_req(Ext::Context, MOVE_ON, Kind::OneOf(MOVE_ON_VALUES));
            c.ext_opt(Ext::Context, LAUNCH_PARAMETERS, Kind::Str);
        }
        "waived" => {
            c.require_extensions(Ext::Result);
            c.ext_req(Ext::Result, REASON, Kind::Str);
        }
        "satisfied" => {
            let ty = match &c.st.object {
                StatementObject::Activity(a) => a
                    .definition
                    .as_ref()
                    .and_then(|d| d.activity_type.as_deref()),
                _ => None,
            };
            if ty != Some(BLOCK) && ty != Some(COURSE) {
                let reason = format!("must be `{BLOCK}` or `{COURSE}`");
                c.fail(
                    &["object", "definition", "type"],
                    Rule::ProfileValue,
                    reason,
                );
            }
        }
        "passed" | "failed" => mastery(c, verb.word == "passed"),
        _ => {}
    }
}

/// `result.<key>` must be `expected`, or absent when `expected` is `None`.
fn flag(c: &mut Check<'_>, key: &str, expected: Option<bool>, actual: Option<bool>) {
    match (expected, actual) {
        (Some(_), None) => c.fail(&["result", key], Rule::ProfileRequired, "required"),
        (Some(e), Some(a)) if e != a => {
            c.fail(
                &["result", key],
                Rule::ProfileValue,
                format!("must be `{e}`"),
            );
        }
        (None, Some(_)) => c.fail(&["result", key], Rule::ProfileForbidden, "not allowed"),
        _ => {}
    }
}

/// §9.3.4–5: a scaled score is at least the mastery score when passed, below it when failed.
fn mastery(c: &mut Check<'_>, passed: bool) {
    let scaled = c
        .result()
        .and_then(|r| r.score.as_ref())
        .and_then(|s| s.scaled.as_ref())
        .and_then(serde_json::Number::as_f64);
    let mastery = c
        .context()
        .and_then(|ctx| ctx.extensions.as_ref())
        .and_then(|e| e.get(MASTERY_SCORE))
        .and_then(Value::as_f64);
    if let (Some(scaled), Some(mastery)) = (scaled, mastery)
        && (scaled >= mastery) != passed
    {
        let reason = if passed {
            "must be at least the mastery score"
        } else {
            "must be lower than the mastery score"
        };
        c.fail(&["result", "score", "scaled"], Rule::ProfileValue, reason);
    }
}

fn example(p: &Params, verb: &Verb) -> Value {
    let actor = json!({
        "account": {"homePage": p.home_page, "name": p.account_name},
        "objectType": "Agent"
    });
    let object = if verb.word == "satisfied" {
        let ty = if p.flag { COURSE } else { BLOCK };
        json!({"id": p.object_id, "definition": {"type": ty}})
    } else {
        json!({"id": p.object_id})
    };
    let mut result = Map::new();
    if verb.score && p.flag {
        let scaled = if verb.success == Some(true) {
            0.5 + p.ratio / 2.0
        } else {
            p.ratio * 0.49
        };
        result.insert("score".into(), json!({"scaled": scaled}));
    }
    if let Some(s) = verb.success {
        result.insert("success".into(), s.into());
    }
    if let Some(comp) = verb.completion {
        result.insert("completion".into(), comp.into());
    }
    if verb.duration {
        result.insert("duration".into(), p.duration.clone().into());
    }
    if verb.word == "waived" {
        result.insert("extensions".into(), json!({REASON: "Tested Out"}));
    } else if verb.word == "initialized" && p.flag {
        result.insert("extensions".into(), json!({PROGRESS: p.percent}));
    }
    let mut category = vec![json!({"id": CMI5_CATEGORY})];
    if verb.success.is_some() || verb.completion.is_some() {
        category.push(json!({"id": MOVEON_CATEGORY}));
    }
    let mut ext = Map::new();
    ext.insert(SESSION_ID.into(), p.session.to_string().into());
    match verb.word {
        "launched" => {
            ext.insert(LAUNCH_MODE.into(), "Normal".into());
            ext.insert(
                LAUNCH_URL.into(),
                "https://example.org/au/index.html".into(),
            );
            ext.insert(MOVE_ON.into(), "CompletedOrPassed".into());
            if p.flag {
                ext.insert(MASTERY_SCORE.into(), 0.5.into());
            }
        }
        "passed" | "failed" if p.flag => {
            ext.insert(MASTERY_SCORE.into(), 0.5.into());
        }
        _ => {}
    }
    let context = json!({
        "registration": p.registration.to_string(),
        "contextActivities": {"category": category},
        "extensions": ext,
    });
    let result = (!result.is_empty()).then_some(Value::Object(result));
    statement(p, actor, verb_json(p, verb), object, result, Some(context))
}

fn verb_json(p: &Params, v: &Verb) -> Value {
    verb(p, v.id, v.word)
}
