//! Conversions of events event-routing-backends does not map: open response assessment,
//! drag-and-drop, bookmarks, notes, teams, cohorts and certificates. One statement shape per
//! event, from registered vocabularies (ADL, Tin Can, Activity Streams, acrossx, dod-isd), read
//! like the ERB events (see [`crate::erb`]); each choice is documented in the conversion table.

use ralph_models::json::{Node, Object};

use crate::erb::{Common, Convert, Ev, response_text, xblock};
use crate::statement::{Ctx, Draft, Fail, fail};
use crate::tree::{node, present, text};
use crate::vocab::*;

pub(crate) static CONVERTERS: &[(&str, Convert)] = &[
    // Open response assessment.
    ("openassessmentblock.create_submission", ora_submitted),
    ("openassessmentblock.self_assess", ora_assessed),
    ("openassessmentblock.peer_assess", ora_assessed),
    ("openassessmentblock.staff_assess", ora_assessed),
    (
        "openassessmentblock.submit_feedback_on_assessments",
        ora_feedback,
    ),
    ("openassessmentblock.get_peer_submission", ora_viewed),
    (
        "openassessmentblock.get_submission_for_staff_grading",
        ora_viewed,
    ),
    // Drag and drop.
    ("edx.drag_and_drop_v2.loaded", dnd_loaded),
    ("edx.drag_and_drop_v2.item.picked_up", dnd_interacted),
    ("edx.drag_and_drop_v2.item.dropped", dnd_dropped),
    ("edx.drag_and_drop_v2.feedback.opened", dnd_interacted),
    ("edx.drag_and_drop_v2.feedback.closed", dnd_interacted),
    // Bookmarks.
    ("edx.bookmark.added", bookmark_added),
    ("edx.bookmark.accessed", bookmark_accessed),
    // Notes.
    ("edx.course.student_notes.added", note),
    ("edx.course.student_notes.edited", note),
    ("edx.course.student_notes.deleted", note),
    // Teams.
    ("edx.team.created", team),
    ("edx.team.learner_added", team),
    ("edx.team.learner_removed", team),
    ("edx.team.page_viewed", team),
    ("edx.team.searched", team_searched),
    // Cohorts.
    ("edx.cohort.user_added", cohort),
    ("edx.cohort.user_removed", cohort),
    // Certificates.
    ("edx.certificate.created", certificate),
    ("edx.certificate.shared", certificate),
];

/// `context.module.usage_key`: the XBlock an event of an XBlock's own (ORA, drag and drop) is
/// about.
fn module_usage_key<'e>(ev: &'e Ev<'_>) -> Result<std::borrow::Cow<'e, str>, Fail> {
    ev.context("module")
        .and_then(|m| present(m.get("usage_key")))
        .and_then(text)
        .ok_or_else(|| {
            (
                "context.module.usage_key".to_owned(),
                "field required".to_owned(),
            )
        })
}

/// The block of `context.module`, named by its display name.
fn module<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>, activity_type: &'static str) -> Result<Node<'a>, Fail> {
    let usage_key = module_usage_key(ev)?;
    let mut definition = Object::new();
    definition.insert("type", node!(activity_type));
    if let Some(name) = ev
        .context("module")
        .and_then(|m| present(m.get("display_name")))
        .and_then(text)
    {
        definition.insert("name", node!({"en": name}));
    }
    Ok(node!({"id": xblock(ctx, &usage_key), "definition": definition}))
}

// ----- open response assessment --------------------------------------------------------------

fn ora_submitted<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let object = module(ctx, ev, QUESTION_TYPE)?;
    let parts: Vec<Node<'a>> = ev
        .data("answer")
        .and_then(|a| a.get("parts"))
        .and_then(Node::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p.get("text").cloned())
                .collect()
        })
        .unwrap_or_default();
    let mut common = Common::new(ctx, ev, true)?;
    common.extension(ATTEMPT_ID, ev.data("attempt_number"));
    let result = match parts.as_slice() {
        [] => None,
        [one] => Some(node!({"response": response_text(one)})),
        many => Some(node!({"response": response_text(&Node::Array(many.to_vec()))})),
    };
    common.finish(ANSWERED, object, result)
}

fn ora_assessed<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let object = module(ctx, ev, QUESTION_TYPE)?;
    // The rubric score: the points of the selected options out of the criteria's.
    let mut raw = 0i64;
    let mut max = 0i64;
    let parts = ev.data("parts").and_then(Node::as_array);
    for part in parts.into_iter().flatten() {
        raw += part
            .get("option")
            .and_then(|o| o.get("points"))
            .and_then(Node::as_i64)
            .unwrap_or(0);
        max += part
            .get("criterion")
            .and_then(|c| c.get("points_possible"))
            .and_then(Node::as_i64)
            .unwrap_or(0);
    }
    let mut result = Object::new();
    if parts.is_some_and(|p| !p.is_empty()) {
        if raw < 0 || raw > max {
            return fail(
                "result.score.raw",
                format!("{raw} points is outside [0, {max}]"),
            );
        }
        let scaled = if max > 0 {
            raw as f64 / max as f64
        } else {
            0.0
        };
        result.insert(
            "score",
            node!({"min": 0, "max": max, "raw": raw, "scaled": crate::erb::float(scaled)}),
        );
    }
    if let Some(feedback) = ev.data("feedback").and_then(text) {
        result.insert("response", node!(feedback));
    }
    let mut common = Common::new(ctx, ev, true)?;
    // Self (SE), peer (PE) or staff (ST) assessment.
    common.extension(ACROSSX_TYPE, ev.data("score_type"));
    let result = (!result.is_empty()).then_some(Node::Object(result));
    common.finish(EVALUATED, object, result)
}

fn ora_feedback<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let object = module(ctx, ev, QUESTION_TYPE)?;
    let common = Common::new(ctx, ev, true)?;
    let result = ev
        .data("feedback_text")
        .and_then(text)
        .map(|t| node!({"response": t}));
    common.finish(COMMENTED, object, result)
}

fn ora_viewed<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let object = module(ctx, ev, QUESTION_TYPE)?;
    Common::new(ctx, ev, true)?.finish(VIEWED, object, None)
}

// ----- drag and drop -------------------------------------------------------------------------

fn dnd_object<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Node<'a>, Fail> {
    let mut object = module(ctx, ev, INTERACTION_TYPE)?;
    if let Some(Node::Object(definition)) = object.get_mut("definition") {
        definition.insert("interactionType", node!("matching"));
    }
    Ok(object)
}

fn dnd_loaded<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let object = dnd_object(ctx, ev)?;
    Common::new(ctx, ev, true)?.finish(VIEWED, object, None)
}

fn dnd_interacted<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let object = dnd_object(ctx, ev)?;
    let mut common = Common::new(ctx, ev, true)?;
    // What was done: `item.picked_up`, `feedback.opened`, ...
    let action = ev.name.trim_start_matches("edx.drag_and_drop_v2.");
    common.extension(ACROSSX_TYPE, Some(&node!(action)));
    // The item picked up, as the response.
    let result = ev
        .data("item_id")
        .and_then(text)
        .map(|item| node!({"response": item}));
    common.finish(INTERACTED, object, result)
}

fn dnd_dropped<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let object = dnd_object(ctx, ev)?;
    let item = ev.data_text("item_id")?;
    // The xAPI `matching` response: `source[.]target`.
    let zone = match ev
        .data("location_id")
        .or_else(|| ev.data("location"))
        .and_then(text)
    {
        Some(zone) => zone,
        None => return fail("event.location", "field required"),
    };
    let mut result = Object::new();
    if let Some(correct) = ev.data_raw("is_correct").and_then(Node::as_bool) {
        result.insert("success", node!(correct));
    }
    result.insert("response", node!(format!("{item}[.]{zone}")));
    Common::new(ctx, ev, true)?.finish(ATTEMPTED, object, Some(Node::Object(result)))
}

// ----- bookmarks -----------------------------------------------------------------------------

fn bookmarked_block<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Node<'a>, Fail> {
    let usage = ev.data_text("component_usage_id")?;
    Ok(node!({"id": xblock(ctx, &usage), "definition": {"type": RESOURCE_TYPE}}))
}

fn bookmark_added<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let object = bookmarked_block(ctx, ev)?;
    Common::new(ctx, ev, true)?.finish(BOOKMARKED, object, None)
}

fn bookmark_accessed<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let object = bookmarked_block(ctx, ev)?;
    Common::new(ctx, ev, true)?.finish(NAVIGATED, object, None)
}

// ----- notes ---------------------------------------------------------------------------------

fn note<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let verb = match ev.name {
        "edx.course.student_notes.added" => POSTED,
        "edx.course.student_notes.edited" => EDITED,
        _ => DELETED,
    };
    let usage = ev.data_text("component_usage_id")?;
    let id = ev.data_text("note_id")?;
    let block = xblock(ctx, &usage);
    let object = node!({
        "id": format!("{block}/notes/{id}"),
        "definition": {"type": NOTE_TYPE},
    });
    let mut common = Common::new(ctx, ev, true)?;
    // The annotated block beside the course.
    if let Some(Node::Object(activities)) = common.context.get_mut("contextActivities") {
        activities.insert(
            "grouping",
            node!([{"id": block, "definition": {"type": RESOURCE_TYPE}}]),
        );
    }
    let result = match verb {
        DELETED => None,
        _ => ev
            .data("note_text")
            .and_then(text)
            .map(|t| node!({"response": t})),
    };
    common.finish(verb, object, result)
}

// ----- teams and cohorts ---------------------------------------------------------------------

fn team<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let verb = match ev.name {
        "edx.team.created" => CREATED,
        "edx.team.learner_added" => JOINED,
        "edx.team.learner_removed" => LEFT,
        _ => VIEWED,
    };
    let team_id = ev.data_text("team_id")?;
    let object = node!({
        "id": format!("{}/api/team/v0/teams/{team_id}", ctx.platform_base),
        "definition": {"type": GROUP_TYPE},
    });
    let mut common = Common::new(ctx, ev, true)?;
    let how = ev
        .data("add_method")
        .or_else(|| ev.data("remove_method"))
        .or_else(|| ev.data("page_name"));
    common.extension(ACROSSX_TYPE, how);
    common.finish(verb, object, None)
}

fn team_searched<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let course_id = ev.course_id()?;
    let topic = ev.data_text("topic_id")?;
    let object = node!({
        "id": format!("{}/api/team/v0/topics/{topic},{course_id}", ctx.platform_base),
        "definition": {"type": GROUP_TYPE},
    });
    let mut result = Object::new();
    if let Some(query) = ev.data("search_text").and_then(text) {
        result.insert("response", node!(query));
    }
    if let Some(count) = ev.data_raw("number_of_results").filter(|c| c.is_number()) {
        result.insert("extensions", node!({TOTAL_ITEMS: count}));
    }
    let result = (!result.is_empty()).then_some(Node::Object(result));
    Common::new(ctx, ev, true)?.finish(SEARCHED, object, result)
}

fn cohort<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let verb = if ev.name.ends_with("user_added") {
        JOINED
    } else {
        LEFT
    };
    let course_id = ev.course_id()?;
    let cohort_id = ev.data_text("cohort_id")?;
    let mut definition = Object::new();
    definition.insert("type", node!(GROUP_TYPE));
    if let Some(name) = ev.data("name").and_then(text) {
        definition.insert("name", node!({"en": name}));
    }
    let object = node!({
        "id": format!(
            "{}/api/cohorts/v1/courses/{course_id}/cohorts/{cohort_id}",
            ctx.platform_base
        ),
        "definition": definition,
    });
    Common::new(ctx, ev, true)?.finish(verb, object, None)
}

// ----- certificates --------------------------------------------------------------------------

fn certificate<'a>(ctx: &Ctx<'_>, ev: &Ev<'a>) -> Result<Draft<'a>, Fail> {
    let verb = if ev.name == "edx.certificate.created" {
        EARNED
    } else {
        SHARED
    };
    let url = ev.data_text("certificate_url")?;
    let object = node!({"id": url, "definition": {"type": CERTIFICATE_TYPE}});
    let mut common = Common::new(ctx, ev, true)?;
    common.extension(ACROSSX_TYPE, ev.data("enrollment_mode"));
    // Where it was shared: the social network as the context platform.
    if let Some(network) = ev.data("social_network").and_then(text) {
        common.context.insert("platform", node!(network));
    }
    common.finish(verb, object, None)
}
