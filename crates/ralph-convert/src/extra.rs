//! Conversions beyond Ralph, with the vocabulary of Open edX's event-routing-backends where it
//! has one. They validate the source event first and read its normalised form.

use serde_json::{Map, Value, json};

use crate::statement::{
    self, ASKED, COURSE_TYPE, Ctx, DOCUMENT_TYPE, Draft, EVALUATED, Fail, INTERACTED,
    INTERACTION_TYPE, NAVIGATED, RESOURCE_TYPE, SEARCHED, SOLUTION_TYPE, SUPPLEMENTAL_INFO_TYPE,
    VIEWED, fail,
};

const ATTEMPT_ID: &str = "http://id.tincanapi.com/extension/attempt-id";
const STARTING_POSITION: &str = "http://id.tincanapi.com/extension/starting-position";
const ENDING_POSITION: &str = "http://id.tincanapi.com/extension/ending-point";
const POSITION: &str = "http://id.tincanapi.com/extension/position";
const ZOOM: &str = "https://w3id.org/xapi/openedx/extension/zoom";

type Convert = fn(&Ctx<'_>, &Value) -> Result<Draft, Fail>;

/// The conversion of `model` beyond Ralph's, if there is one.
pub(crate) fn converter(model: &str) -> Option<Convert> {
    Some(match model {
        "ProblemCheck" => problem_check,
        "ShowAnswer" => show_answer,
        "EdxProblemHintDemandhintDisplayed" => demand_hint,
        "UISeqGoto" | "UISeqNext" | "UISeqPrev" => sequence,
        "UITextbookPdfPageNavigated" | "UITextbookPdfThumbnailNavigated" => textbook_page,
        "UIBook" => book,
        "UITextbookPdfChapterNavigated" => textbook_chapter,
        "UITextbookPdfZoomButtonsChanged" | "UITextbookPdfZoomMenuChanged" => textbook_zoom,
        "UITextbookPdfDisplayScaled" => textbook_zoom,
        "UITextbookPdfSearchExecuted" => textbook_search,
        _ => return None,
    })
}

fn text<'a>(source: &'a Value, pointer: &str) -> &'a str {
    source
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The statement parts every extra conversion shares, and the course as parent activity.
fn draft(
    source: &Value,
    ctx: &Ctx<'_>,
    verb: &'static str,
    object: Value,
    result: Option<Value>,
    extensions: Option<Map<String, Value>>,
) -> Draft {
    let mut context = Map::new();
    let course_id = text(source, "/context/course_id");
    if !course_id.is_empty() {
        context.insert(
            "contextActivities".to_owned(),
            json!({"parent": [{
                "id": format!("{}/courses/{course_id}/info", ctx.platform_base),
                "definition": {"type": COURSE_TYPE},
            }]}),
        );
    }
    if let Some(extensions) = extensions.filter(|e| !e.is_empty()) {
        context.insert("extensions".to_owned(), Value::Object(extensions));
    }
    Draft {
        actor_name: statement::actor_name(source.pointer("/context/user_id")),
        verb,
        object,
        result,
        context: (!context.is_empty()).then_some(Value::Object(context)),
        // The source is validated: `time` is already a normalised datetime.
        timestamp: source
            .get("time")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

/// The xAPI interaction type of an edX response type (event-routing-backends' mapping).
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

/// An answer as an xAPI response: a list joins with `[,]`, the delimiter of the xAPI spec.
fn response_text(answer: &Value) -> String {
    match answer {
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join("[,]"),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn problem_check(ctx: &Ctx<'_>, source: &Value) -> Result<Draft, Fail> {
    let event = &source["event"];
    let problem_id = text(event, "/problem_id");
    let submissions = event["submission"].as_object();
    let single = submissions
        .filter(|s| s.len() == 1)
        .and_then(|s| s.values().next());

    let mut definition = Map::new();
    if let Some(question) = single
        .map(|s| text(s, "/question"))
        .filter(|q| !q.is_empty())
    {
        definition.insert("description".to_owned(), json!({"en-US": question}));
    }
    definition.insert("type".to_owned(), json!(INTERACTION_TYPE));
    if let Some(attempts) = event.get("attempts").filter(|a| a.as_i64() != Some(0)) {
        definition.insert("extensions".to_owned(), json!({ATTEMPT_ID: attempts}));
    }
    let response_type = submissions
        .and_then(|s| {
            s.values()
                .map(|v| text(v, "/response_type"))
                .find(|t| !t.is_empty())
        })
        .unwrap_or("");
    definition.insert(
        "interactionType".to_owned(),
        json!(interaction_type(response_type)),
    );

    let grade = event["grade"].as_i64().unwrap_or(0);
    let max_grade = event["max_grade"].as_i64().unwrap_or(0);
    if grade < 0 || grade > max_grade.max(0) {
        return fail(
            "result.score.raw",
            format!("grade {grade} is outside [0, {max_grade}]"),
        );
    }
    let scaled = if max_grade > 0 {
        grade as f64 / max_grade as f64
    } else {
        0.0
    };
    let (success, response) = match single {
        Some(submission) => (
            submission["correct"].as_bool().unwrap_or(false),
            response_text(&submission["answer"]),
        ),
        None => (
            event["success"] == "correct",
            ralph_models::edx::json::to_string(&event["answers"]),
        ),
    };
    let mut result = Map::new();
    result.insert(
        "score".to_owned(),
        json!({"scaled": scaled, "raw": grade, "min": 0, "max": max_grade}),
    );
    result.insert("success".to_owned(), Value::Bool(success));
    if !response.is_empty() {
        result.insert("response".to_owned(), Value::String(response));
    }
    Ok(draft(
        source,
        ctx,
        EVALUATED,
        json!({
            "id": format!("{}/xblock/{problem_id}", ctx.platform_base),
            "definition": definition,
        }),
        Some(Value::Object(result)),
        None,
    ))
}

fn show_answer(ctx: &Ctx<'_>, source: &Value) -> Result<Draft, Fail> {
    let problem_id = text(source, "/event/problem_id");
    Ok(draft(
        source,
        ctx,
        ASKED,
        json!({
            "id": format!("{}/xblock/{problem_id}/answer", ctx.platform_base),
            "definition": {"type": SOLUTION_TYPE},
        }),
        None,
        None,
    ))
}

fn demand_hint(ctx: &Ctx<'_>, source: &Value) -> Result<Draft, Fail> {
    let event = &source["event"];
    let module_id = text(event, "/module_id");
    let index = &event["hint_index"];
    let mut definition = Map::new();
    let hint = text(event, "/hint_text");
    if !hint.is_empty() {
        definition.insert("description".to_owned(), json!({"en-US": hint}));
    }
    definition.insert("type".to_owned(), json!(SUPPLEMENTAL_INFO_TYPE));
    Ok(draft(
        source,
        ctx,
        ASKED,
        json!({
            "id": format!("{}/xblock/{module_id}/hint/{index}", ctx.platform_base),
            "definition": definition,
        }),
        None,
        None,
    ))
}

fn sequence(ctx: &Ctx<'_>, source: &Value) -> Result<Draft, Fail> {
    let event = &source["event"];
    let block = text(event, "/id");
    let mut extensions = Map::new();
    extensions.insert(STARTING_POSITION.to_owned(), event["old"].clone());
    extensions.insert(ENDING_POSITION.to_owned(), event["new"].clone());
    Ok(draft(
        source,
        ctx,
        NAVIGATED,
        json!({
            "id": format!("{}/xblock/{block}", ctx.platform_base),
            "definition": {"type": RESOURCE_TYPE},
        }),
        None,
        Some(extensions),
    ))
}

/// The chapter's PDF as the object, optionally named.
fn document(ctx: &Ctx<'_>, event: &Value, name: Option<&str>) -> Value {
    let chapter = text(event, "/chapter");
    let mut definition = Map::new();
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        definition.insert("name".to_owned(), json!({"en-US": name}));
    }
    definition.insert("type".to_owned(), json!(DOCUMENT_TYPE));
    json!({"id": format!("{}{chapter}", ctx.platform_base), "definition": definition})
}

fn position(page: &Value) -> Option<Map<String, Value>> {
    let mut extensions = Map::new();
    if !page.is_null() {
        extensions.insert(POSITION.to_owned(), page.clone());
    }
    Some(extensions)
}

fn textbook_page(ctx: &Ctx<'_>, source: &Value) -> Result<Draft, Fail> {
    let event = &source["event"];
    let object = document(ctx, event, None);
    Ok(draft(
        source,
        ctx,
        VIEWED,
        object,
        None,
        position(&event["page"]),
    ))
}

fn book(ctx: &Ctx<'_>, source: &Value) -> Result<Draft, Fail> {
    let event = &source["event"];
    let object = document(ctx, event, None);
    Ok(draft(
        source,
        ctx,
        VIEWED,
        object,
        None,
        position(&event["new"]),
    ))
}

fn textbook_chapter(ctx: &Ctx<'_>, source: &Value) -> Result<Draft, Fail> {
    let event = &source["event"];
    let object = document(
        ctx,
        event,
        event.get("chapter_title").and_then(Value::as_str),
    );
    Ok(draft(source, ctx, VIEWED, object, None, None))
}

fn textbook_zoom(ctx: &Ctx<'_>, source: &Value) -> Result<Draft, Fail> {
    let event = &source["event"];
    let zoom = match event.get("amount") {
        Some(amount) => amount.clone(),
        None => event["direction"].clone(),
    };
    let object = document(ctx, event, None);
    Ok(draft(
        source,
        ctx,
        INTERACTED,
        object,
        Some(json!({"extensions": {ZOOM: zoom}})),
        position(&event["page"]),
    ))
}

fn textbook_search(ctx: &Ctx<'_>, source: &Value) -> Result<Draft, Fail> {
    let event = &source["event"];
    let object = document(ctx, event, None);
    let query = text(event, "/query");
    let result = (!query.is_empty()).then(|| json!({"response": query}));
    Ok(draft(
        source,
        ctx,
        SEARCHED,
        object,
        result,
        position(&event["page"]),
    ))
}
