//! Conversions beyond Ralph, with the vocabulary of Open edX's event-routing-backends where it
//! has one. They validate the source event first and read its normalised form.

use ralph_models::json::Node;
use serde_json::{Map, Value, json};

use crate::statement::{
    COURSE_TYPE, Ctx, DOCUMENT_TYPE, Draft, Fail, INTERACTED, NAVIGATED, RESOURCE_TYPE, SEARCHED,
    VIEWED,
};

const STARTING_POSITION: &str = "http://id.tincanapi.com/extension/starting-position";
const ENDING_POSITION: &str = "http://id.tincanapi.com/extension/ending-point";
const POSITION: &str = "http://id.tincanapi.com/extension/position";
const ZOOM: &str = "https://w3id.org/xapi/openedx/extension/zoom";

type Convert = fn(&Ctx<'_>, &Value) -> Result<Draft<'static>, Fail>;

/// The conversion of `model` beyond Ralph's, if there is one.
pub(crate) fn converter(model: &str) -> Option<Convert> {
    Some(match model {
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

/// Whether `event_type` names an event of a model [`converter`] converts: such a line skips
/// the slim decoding of Ralph's conversions (a wrong answer only costs time).
pub(crate) fn handles_event_type(event_type: &str) -> bool {
    matches!(
        event_type,
        "seq_goto"
            | "seq_next"
            | "seq_prev"
            | "book"
            | "textbook.pdf.page.navigated"
            | "textbook.pdf.thumbnail.navigated"
            | "textbook.pdf.chapter.navigated"
            | "textbook.pdf.zoom.buttons.changed"
            | "textbook.pdf.zoom.menu.changed"
            | "textbook.pdf.display.scaled"
            | "textbook.pdf.search.executed"
    )
}

/// A statement part built here as a `Value`, as a tree of its own.
fn owned(value: &Value) -> Node<'static> {
    Node::from_value(value).into_owned()
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
) -> Result<Draft<'static>, Fail> {
    let mut context = Map::new();
    let course_id = text(source, "/context/course_id");
    if !course_id.is_empty() {
        context.insert(
            "contextActivities".to_owned(),
            json!({"parent": [{
                "id": format!("{}/course/{course_id}", ctx.platform_base),
                "definition": {"type": COURSE_TYPE},
            }]}),
        );
    }
    if let Some(extensions) = extensions.filter(|e| !e.is_empty()) {
        context.insert("extensions".to_owned(), Value::Object(extensions));
    }
    Ok(Draft {
        actor_name: ctx.actor_name(
            source
                .pointer("/context/user_id")
                .map(Node::from_value)
                .as_ref(),
            source.get("username").map(Node::from_value).as_ref(),
        )?,
        verb,
        object: owned(&object),
        result: result.as_ref().map(owned),
        context: (!context.is_empty()).then(|| owned(&Value::Object(context))),
        // The source is validated: `time` is already a normalised datetime.
        timestamp: source
            .get("time")
            .and_then(Value::as_str)
            .map(str::to_owned),
        children: Vec::new(),
    })
}

fn sequence(ctx: &Ctx<'_>, source: &Value) -> Result<Draft<'static>, Fail> {
    let event = &source["event"];
    let block = text(event, "/id");
    let mut extensions = Map::new();
    extensions.insert(STARTING_POSITION.to_owned(), event["old"].clone());
    extensions.insert(ENDING_POSITION.to_owned(), event["new"].clone());
    draft(
        source,
        ctx,
        NAVIGATED,
        json!({
            "id": format!("{}/xblock/{block}", ctx.platform_base),
            "definition": {"type": RESOURCE_TYPE},
        }),
        None,
        Some(extensions),
    )
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

fn textbook_page(ctx: &Ctx<'_>, source: &Value) -> Result<Draft<'static>, Fail> {
    let event = &source["event"];
    let object = document(ctx, event, None);
    draft(source, ctx, VIEWED, object, None, position(&event["page"]))
}

fn book(ctx: &Ctx<'_>, source: &Value) -> Result<Draft<'static>, Fail> {
    let event = &source["event"];
    let object = document(ctx, event, None);
    draft(source, ctx, VIEWED, object, None, position(&event["new"]))
}

fn textbook_chapter(ctx: &Ctx<'_>, source: &Value) -> Result<Draft<'static>, Fail> {
    let event = &source["event"];
    let object = document(
        ctx,
        event,
        event.get("chapter_title").and_then(Value::as_str),
    );
    draft(source, ctx, VIEWED, object, None, None)
}

fn textbook_zoom(ctx: &Ctx<'_>, source: &Value) -> Result<Draft<'static>, Fail> {
    let event = &source["event"];
    // Always text (`"1.5"`, `"page-fit"`, `"in"`): one extension with one JSON type, so stores
    // that type fields on first sight (Elasticsearch's dynamic mapping) take every zoom.
    let zoom = match event.get("amount").unwrap_or(&event["direction"]) {
        Value::Number(amount) => Value::String(amount.to_string()),
        other => other.clone(),
    };
    let object = document(ctx, event, None);
    draft(
        source,
        ctx,
        INTERACTED,
        object,
        Some(json!({"extensions": {ZOOM: zoom}})),
        position(&event["page"]),
    )
}

fn textbook_search(ctx: &Ctx<'_>, source: &Value) -> Result<Draft<'static>, Fail> {
    let event = &source["event"];
    let object = document(ctx, event, None);
    let query = text(event, "/query");
    let result = (!query.is_empty()).then(|| json!({"response": query}));
    draft(
        source,
        ctx,
        SEARCHED,
        object,
        result,
        position(&event["page"]),
    )
}
