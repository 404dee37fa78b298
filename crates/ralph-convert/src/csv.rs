//! xAPI statements flattened to CSV rows, for BI tools and spreadsheets.
//!
//! One row per statement, the columns of [`COLUMNS`] in that order, fields quoted as RFC 4180
//! says (a field holding a comma, a double quote, a CR or a LF is enclosed in double quotes, its
//! double quotes doubled). A missing value is an empty field.
//!
//! | column | value |
//! |---|---|
//! | `id`, `timestamp`, `stored` | as in the statement |
//! | `actor_ifi` | the actor's identifier: `mbox:mailto:…`, `mbox_sha1sum:…`, `openid:…` or `account:{homePage} {name}` |
//! | `actor_name` | `actor.name` |
//! | `verb_id`, `verb_display` | `verb.id`, and its display in English (`en-US`, else `en`, else another `en-*`) |
//! | `object_id` | the activity or statement id, or the agent's identifier as in `actor_ifi` |
//! | `object_type` | the activity type (`definition.type`) for an activity, else `objectType` |
//! | `object_name` | the activity's English name |
//! | `score_scaled`, `score_raw`, `score_min`, `score_max` | `result.score` |
//! | `success`, `completion` | `true`, `false` or empty |
//! | `duration_seconds` | `result.duration` in seconds (a year is 365 days, a month 30) |
//! | `registration`, `platform`, `language` | from `context` |
//! | `parent_ids`, `grouping_ids`, `category_ids` | the context activity ids, joined with spaces |
//!
//! ```
//! let statement = serde_json::json!({
//!     "id": "6f1cbd4e-0000-4000-8000-000000000001",
//!     "actor": {"mbox": "mailto:a@example.org", "name": "Ann, B."},
//!     "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
//!     "object": {"id": "http://example.org/course"},
//! });
//! let row = ralph_convert::csv::row(&statement).unwrap();
//! assert!(row.starts_with("6f1cbd4e-0000-4000-8000-000000000001,,,mbox:mailto:a@example.org,\"Ann, B.\","));
//! ```

use serde_json::Value;

/// The columns, in order.
pub const COLUMNS: [&str; 23] = [
    "id",
    "timestamp",
    "stored",
    "actor_ifi",
    "actor_name",
    "verb_id",
    "verb_display",
    "object_id",
    "object_type",
    "object_name",
    "score_scaled",
    "score_raw",
    "score_min",
    "score_max",
    "success",
    "completion",
    "duration_seconds",
    "registration",
    "platform",
    "language",
    "parent_ids",
    "grouping_ids",
    "category_ids",
];

/// The header row (without line break).
pub fn header() -> String {
    COLUMNS.join(",")
}

/// Why a statement cannot be flattened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CsvError {
    /// The value is not a JSON object.
    #[error("a statement must be a JSON object")]
    NotAnObject,
    /// `result.duration` is not an ISO 8601 duration.
    #[error("result.duration: `{0}` is not an ISO 8601 duration")]
    Duration(String),
}

/// Quotes `field` as RFC 4180 asks when it holds a comma, a double quote, a CR or a LF.
pub fn quote(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The agent's identifier, as in the `actor_ifi` column.
fn ifi(agent: &Value) -> String {
    let field = |key: &str| agent.get(key).and_then(Value::as_str);
    if let Some(v) = field("mbox") {
        return format!("mbox:{v}");
    }
    if let Some(v) = field("mbox_sha1sum") {
        return format!("mbox_sha1sum:{v}");
    }
    if let Some(v) = field("openid") {
        return format!("openid:{v}");
    }
    match agent.get("account") {
        Some(account) => format!(
            "account:{} {}",
            text(account.get("homePage")),
            text(account.get("name"))
        ),
        None => String::new(),
    }
}

/// The English entry of a language map: `en-US`, else `en`, else the first `en-*`.
fn english(map: Option<&Value>) -> String {
    let Some(map) = map.and_then(Value::as_object) else {
        return String::new();
    };
    map.get("en-US")
        .or_else(|| map.get("en"))
        .or_else(|| {
            map.iter()
                .find(|(k, _)| k.to_ascii_lowercase().starts_with("en-"))
                .map(|(_, v)| v)
        })
        .map(|v| text(Some(v)))
        .unwrap_or_default()
}

/// The seconds of an ISO 8601 duration (`P1DT2H3M4.5S`, `PT90S`, `P2W`).
pub fn duration_seconds(duration: &str) -> Option<f64> {
    let rest = duration.strip_prefix('P')?;
    if rest.is_empty() {
        return None;
    }
    let mut seconds = 0.0;
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for c in rest.chars() {
        match c {
            'T' if !in_time && number.is_empty() => in_time = true,
            '0'..='9' | '.' | ',' => number.push(if c == ',' { '.' } else { c }),
            unit => {
                let value: f64 = number.parse().ok()?;
                number.clear();
                let factor = match (in_time, unit) {
                    (false, 'Y') => 365.0 * 86_400.0,
                    (false, 'M') => 30.0 * 86_400.0,
                    (false, 'W') => 7.0 * 86_400.0,
                    (false, 'D') => 86_400.0,
                    (true, 'H') => 3_600.0,
                    (true, 'M') => 60.0,
                    (true, 'S') => 1.0,
                    _ => return None,
                };
                seconds += value * factor;
                any = true;
            }
        }
    }
    (number.is_empty() && any).then_some(seconds)
}

fn ids(list: Option<&Value>) -> String {
    let items: Vec<&Value> = match list {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    items
        .iter()
        .filter_map(|a| a.get("id").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The CSV row of `statement` (fields quoted, without line break).
pub fn row(statement: &Value) -> Result<String, CsvError> {
    let map = statement.as_object().ok_or(CsvError::NotAnObject)?;
    let get = |pointer: &str| statement.pointer(pointer);
    let actor = map.get("actor").cloned().unwrap_or(Value::Null);
    let object = map.get("object").cloned().unwrap_or(Value::Null);
    let object_type = object.get("objectType").and_then(Value::as_str);
    let (object_id, kind, name) = match object_type {
        None | Some("Activity") => (
            text(object.get("id")),
            text(object.pointer("/definition/type")),
            english(object.pointer("/definition/name")),
        ),
        Some(t @ ("Agent" | "Group")) => (ifi(&object), t.to_owned(), text(object.get("name"))),
        Some(t) => (text(object.get("id")), t.to_owned(), String::new()),
    };
    let duration = match get("/result/duration").and_then(Value::as_str) {
        None => String::new(),
        Some(d) => {
            let seconds = duration_seconds(d).ok_or_else(|| CsvError::Duration(d.to_owned()))?;
            // Shortest text that reads back as the same number.
            let mut buffer = ryu::Buffer::new();
            let text = buffer.format(seconds);
            text.strip_suffix(".0").unwrap_or(text).to_owned()
        }
    };
    let activities = "/context/contextActivities";
    let fields = [
        text(map.get("id")),
        text(map.get("timestamp")),
        text(map.get("stored")),
        ifi(&actor),
        text(actor.get("name")),
        text(get("/verb/id")),
        english(get("/verb/display")),
        object_id,
        kind,
        name,
        text(get("/result/score/scaled")),
        text(get("/result/score/raw")),
        text(get("/result/score/min")),
        text(get("/result/score/max")),
        text(get("/result/success")),
        text(get("/result/completion")),
        duration,
        text(get("/context/registration")),
        text(get("/context/platform")),
        text(get("/context/language")),
        ids(get(&format!("{activities}/parent"))),
        ids(get(&format!("{activities}/grouping"))),
        ids(get(&format!("{activities}/category"))),
    ];
    Ok(fields
        .iter()
        .map(|f| quote(f))
        .collect::<Vec<_>>()
        .join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_column_is_filled_from_its_property() {
        let statement = json!({
            "id": "6f1cbd4e-0000-4000-8000-000000000001",
            "timestamp": "2024-01-15T10:00:00+00:00",
            "stored": "2024-01-15T10:00:01+00:00",
            "actor": {"account": {"homePage": "https://lms.example.org", "name": "42"}, "name": "Ann"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/scored", "display": {"fr": "noté", "en-GB": "scored"}},
            "object": {"id": "http://example.org/q1", "definition": {
                "type": "http://adlnet.gov/expapi/activities/question",
                "name": {"en-US": "Question \"one\""}}},
            "result": {"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
                       "success": true, "completion": false, "duration": "PT1M30.5S"},
            "context": {"registration": "6f1cbd4e-0000-4000-8000-0000000000aa",
                        "platform": "Open edX", "language": "en",
                        "contextActivities": {"parent": [{"id": "http://p/1"}, {"id": "http://p/2"}],
                                              "grouping": {"id": "http://g"}}},
        });
        let row = row(&statement).expect("row");
        assert_eq!(
            row,
            "6f1cbd4e-0000-4000-8000-000000000001,2024-01-15T10:00:00+00:00,\
             2024-01-15T10:00:01+00:00,account:https://lms.example.org 42,Ann,\
             http://adlnet.gov/expapi/verbs/scored,scored,http://example.org/q1,\
             http://adlnet.gov/expapi/activities/question,\"Question \"\"one\"\"\",0.5,5,0,10,\
             true,false,90.5,6f1cbd4e-0000-4000-8000-0000000000aa,Open edX,en,\
             http://p/1 http://p/2,http://g,"
        );
        assert_eq!(row.split(',').count(), COLUMNS.len());
    }

    #[test]
    fn durations_are_read_in_seconds() {
        assert_eq!(duration_seconds("PT90S"), Some(90.0));
        assert_eq!(duration_seconds("P1DT1H"), Some(90_000.0));
        assert_eq!(duration_seconds("P2W"), Some(1_209_600.0));
        assert_eq!(duration_seconds("PT0,5S"), Some(0.5));
        for bad in ["", "P", "PT", "P1H", "PT1D", "1S", "PT1"] {
            assert_eq!(duration_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(row(&json!([1])), Err(CsvError::NotAnObject));
    }
}
