//! The read query of the `es` backend, as in Ralph 5.1 (`ESQuery`).

use ralph_core::{Error, Result};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// A point in time to read from.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsPit {
    /// The id of an open point in time; unset opens a new one on the target index.
    pub id: Option<String>,
    /// How long it stays open between pages; unset uses the `point_in_time_keep_alive` setting.
    pub keep_alive: Option<String>,
}

/// What to read from an index, as Ralph's `ESQuery`.
///
/// Given on the command line as JSON (`{"query": {"term": {"verb.id": "…"}}, "size": 10}`) or,
/// when the text is not JSON, as a Lucene query string (`q`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EsQuery {
    /// A Lucene query string, sent as the `q` parameter instead of `query`.
    pub q: Option<String>,
    /// The query DSL object; `{"match_all": {}}` by default.
    pub query: Value,
    /// The point in time to read from.
    pub pit: EsPit,
    /// Read at most this many hits.
    pub size: Option<u64>,
    /// The sort, a field name or a list of sort objects; `_shard_doc` (index order) by default.
    pub sort: Value,
    /// Start after the hit with these sort values.
    pub search_after: Option<Vec<Value>>,
    /// Whether to count the total hits (`true`, `false` or a number).
    pub track_total_hits: Value,
    /// Yield each hit's `_source` alone instead of the whole hit (`_index`, `_id`, `_source`,
    /// `sort`, …). A ralph extension; Ralph yields whole hits.
    pub source_only: bool,
}

impl Default for EsQuery {
    fn default() -> Self {
        Self {
            q: None,
            query: json!({"match_all": {}}),
            pit: EsPit::default(),
            size: None,
            sort: json!("_shard_doc"),
            search_after: None,
            track_total_hits: json!(false),
            source_only: false,
        }
    }
}

const FIELDS: &str =
    "`q`, `query`, `pit`, `size`, `sort`, `search_after`, `track_total_hits`, `source_only`";

impl EsQuery {
    /// Parses a query given on the command line: `None` or blank is the default query, JSON is
    /// an [`EsQuery`], anything else a Lucene query string.
    pub fn parse(query: Option<&str>) -> Result<Self> {
        let Some(text) = query.map(str::trim).filter(|q| !q.is_empty()) else {
            return Ok(Self::default());
        };
        match serde_json::from_str::<Value>(text) {
            Ok(value) => serde_json::from_value(value).map_err(|err| {
                Error::invalid_input(format!(
                    "invalid es query `{text}`: {err}; expected a JSON object with {FIELDS}, or a Lucene query string"
                ))
            }),
            Err(_) => Ok(Self {
                q: Some(text.to_owned()),
                ..Self::default()
            }),
        }
    }

    /// The body of one search request on point in time `pit_id`.
    pub(crate) fn body(
        &self,
        pit_id: &str,
        keep_alive: &str,
        size: u64,
        search_after: Option<&[Value]>,
    ) -> Value {
        let mut body = Map::new();
        if self.q.is_none() {
            body.insert("query".into(), self.query.clone());
        }
        body.insert(
            "pit".into(),
            json!({"id": pit_id, "keep_alive": keep_alive}),
        );
        body.insert("size".into(), json!(size));
        body.insert("sort".into(), self.sort.clone());
        if let Some(after) = search_after {
            body.insert("search_after".into(), Value::Array(after.to_vec()));
        }
        body.insert("track_total_hits".into(), self.track_total_hits.clone());
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_a_query_and_other_text_a_lucene_string() {
        assert_eq!(EsQuery::parse(None).expect("default"), EsQuery::default());
        let q = EsQuery::parse(Some(
            r#"{"query": {"term": {"a": 1}}, "size": 3, "source_only": true}"#,
        ))
        .expect("json");
        assert_eq!(q.query, json!({"term": {"a": 1}}));
        assert_eq!(q.size, Some(3));
        assert!(q.source_only);
        assert_eq!(q.sort, json!("_shard_doc"));
        let lucene = EsQuery::parse(Some("verb.id:played AND x")).expect("lucene");
        assert_eq!(lucene.q.as_deref(), Some("verb.id:played AND x"));
        let err = EsQuery::parse(Some(r#"{"nope": 1}"#)).expect_err("unknown field");
        assert!(err.to_string().contains("`search_after`"), "{err}");
    }

    #[test]
    fn bodies_carry_the_pit_and_the_position() {
        let q = EsQuery::default();
        let body = q.body("P", "1m", 10, Some(&[json!(5)]));
        assert_eq!(
            body,
            json!({"query": {"match_all": {}}, "pit": {"id": "P", "keep_alive": "1m"}, "size": 10,
                   "sort": "_shard_doc", "search_after": [5], "track_total_hits": false})
        );
        let lucene = EsQuery::parse(Some("hello")).expect("q");
        assert!(lucene.body("P", "1m", 1, None).get("query").is_none());
    }
}
