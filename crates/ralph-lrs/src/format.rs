//! The `format` parameter of `GET /xAPI/statements`: `exact`, `ids` and `canonical`.

use serde_json::{Map, Value};

/// How statements are returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// As stored.
    #[default]
    Exact,
    /// Agents, groups, activities and verbs reduced to what identifies them.
    Ids,
    /// Language maps reduced to the best language of `Accept-Language`.
    Canonical,
}

impl Format {
    /// The format named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "exact" => Some(Self::Exact),
            "ids" => Some(Self::Ids),
            "canonical" => Some(Self::Canonical),
            _ => None,
        }
    }
}

/// Applies `format` to a statement; `languages` are the `Accept-Language` tags, best first.
pub fn apply(format: Format, statement: Value, languages: &[String]) -> Value {
    match format {
        Format::Exact => statement,
        Format::Ids => ids_statement(statement),
        Format::Canonical => {
            let mut statement = statement;
            canonical(&mut statement, languages);
            statement
        }
    }
}

const IFIS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];

fn ids_agent(agent: Value) -> Value {
    let Value::Object(map) = agent else {
        return agent;
    };
    let mut out = Map::new();
    if let Some(t) = map.get("objectType") {
        out.insert("objectType".into(), t.clone());
    }
    let mut identified = false;
    for key in IFIS {
        if let Some(v) = map.get(key) {
            out.insert(key.into(), v.clone());
            identified = true;
        }
    }
    // An anonymous group is identified by its members.
    if !identified && let Some(Value::Array(members)) = map.get("member") {
        out.insert(
            "member".into(),
            Value::Array(members.iter().cloned().map(ids_agent).collect()),
        );
    }
    Value::Object(out)
}

fn ids_activity(activity: Value) -> Value {
    let Value::Object(map) = activity else {
        return activity;
    };
    // An activity is identified by its id alone (`objectType` is implied).
    let mut out = Map::new();
    if let Some(id) = map.get("id") {
        out.insert("id".into(), id.clone());
    }
    Value::Object(out)
}

fn ids_object(object: Value) -> Value {
    match object.get("objectType").and_then(Value::as_str) {
        None | Some("Activity") => ids_activity(object),
        Some("Agent" | "Group") => ids_agent(object),
        Some("SubStatement") => ids_statement(object),
        _ => object,
    }
}

fn ids_statement(statement: Value) -> Value {
    let Value::Object(mut map) = statement else {
        return statement;
    };
    for key in ["actor", "authority"] {
        if let Some(agent) = map.remove(key) {
            map.insert(key.into(), ids_agent(agent));
        }
    }
    if let Some(Value::Object(verb)) = map.remove("verb") {
        let mut out = Map::new();
        if let Some(id) = verb.get("id") {
            out.insert("id".into(), id.clone());
        }
        map.insert("verb".into(), Value::Object(out));
    }
    if let Some(object) = map.remove("object") {
        map.insert("object".into(), ids_object(object));
    }
    if let Some(Value::Object(mut context)) = map.remove("context") {
        for key in ["instructor", "team"] {
            if let Some(agent) = context.remove(key) {
                context.insert(key.into(), ids_agent(agent));
            }
        }
        if let Some(Value::Object(activities)) = context.remove("contextActivities") {
            let reduced = activities
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::Array(items) => {
                            Value::Array(items.into_iter().map(ids_activity).collect())
                        }
                        other => ids_activity(other),
                    };
                    (k, v)
                })
                .collect();
            context.insert("contextActivities".into(), Value::Object(reduced));
        }
        map.insert("context".into(), Value::Object(context));
    }
    Value::Object(map)
}

fn is_language_map(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|m| !m.is_empty() && m.values().all(Value::is_string))
}

fn best_language(map: &Map<String, Value>, languages: &[String]) -> Option<String> {
    for wanted in languages {
        if wanted == "*" {
            break;
        }
        let wanted_lower = wanted.to_ascii_lowercase();
        if let Some(k) = map.keys().find(|k| k.to_ascii_lowercase() == wanted_lower) {
            return Some(k.clone());
        }
        // `en` matches `en-US` and the other way round.
        let primary = wanted_lower.split('-').next().unwrap_or_default();
        if let Some(k) = map
            .keys()
            .find(|k| k.to_ascii_lowercase().split('-').next().unwrap_or_default() == primary)
        {
            return Some(k.clone());
        }
    }
    map.keys().next().cloned()
}

fn canonical(value: &mut Value, languages: &[String]) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if matches!(key.as_str(), "display" | "name" | "description")
                    && is_language_map(child)
                    && let Value::Object(lang) = child
                {
                    if let Some(best) = best_language(lang, languages) {
                        lang.retain(|k, _| *k == best);
                    }
                    continue;
                }
                if key == "extensions" {
                    continue;
                }
                canonical(child, languages);
            }
        }
        Value::Array(items) => {
            for item in items {
                canonical(item, languages);
            }
        }
        _ => {}
    }
}

/// The language tags of an `Accept-Language` header, best first.
pub fn accept_languages(header: Option<&str>) -> Vec<String> {
    let Some(header) = header else {
        return Vec::new();
    };
    let mut tags: Vec<(f32, usize, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            if tag.is_empty() {
                return None;
            }
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
                .unwrap_or(1.0);
            Some((q, i, tag.to_owned()))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    tags.into_iter().map(|(_, _, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn statement() -> Value {
        json!({
            "id": "x",
            "actor": {"objectType": "Agent", "name": "Alice", "mbox": "mailto:a@example.org"},
            "verb": {"id": "http://v", "display": {"en-US": "completed", "fr-FR": "a terminé"}},
            "object": {"id": "http://a", "definition": {"name": {"en-US": "Course", "fr-FR": "Cours"}}},
        })
    }

    #[test]
    fn ids_keep_only_identifiers() {
        let out = apply(Format::Ids, statement(), &[]);
        assert_eq!(
            out["actor"],
            json!({"objectType": "Agent", "mbox": "mailto:a@example.org"})
        );
        assert_eq!(out["verb"], json!({"id": "http://v"}));
        assert_eq!(out["object"], json!({"id": "http://a"}));
    }

    #[test]
    fn canonical_keeps_the_best_language() {
        let langs = accept_languages(Some("de;q=0.9, fr;q=0.95"));
        assert_eq!(langs, vec!["fr", "de"]);
        let out = apply(Format::Canonical, statement(), &langs);
        assert_eq!(out["verb"]["display"], json!({"fr-FR": "a terminé"}));
        assert_eq!(
            out["object"]["definition"]["name"],
            json!({"fr-FR": "Cours"})
        );
        assert_eq!(out["actor"]["name"], "Alice");
        let out = apply(Format::Canonical, statement(), &[]);
        assert_eq!(out["verb"]["display"], json!({"en-US": "completed"}));
    }
}
