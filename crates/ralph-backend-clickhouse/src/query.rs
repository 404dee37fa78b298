//! The read query of the `clickhouse` backend (Ralph's `ClickHouseQuery`).

use std::collections::BTreeMap;

use ralph_core::{Error, Result};
use serde::Deserialize;
use serde_json::Value;

/// One SQL expression or several.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single expression.
    One(String),
    /// Several expressions.
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> Vec<&str> {
        match self {
            Self::One(s) => vec![s.as_str()],
            Self::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// What to read from a table, as Ralph's `ClickHouseQuery`.
///
/// ```json
/// {"where": "JSONExtractString(event, 'verb', 'id') = {verb:String}",
///  "parameters": {"verb": "http://adlnet.gov/expapi/verbs/played"},
///  "sort": "emission_time DESC", "limit": 100}
/// ```
///
/// `select`, `where` and `sort` are SQL written by the user; values belong in `parameters`,
/// which the server binds to the `{name:Type}` placeholders, typed: they are never spliced into
/// the SQL text.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClickHouseQuery {
    /// Columns or expressions to read, default `event`. With `event` alone each record is the
    /// event itself; otherwise a record is an object of the selected columns, the `event`
    /// column decoded from JSON.
    pub select: Option<OneOrMany>,
    /// Conditions, joined with `AND`.
    #[serde(rename = "where")]
    pub where_clause: Option<OneOrMany>,
    /// Values of the `{name:Type}` placeholders of `where` (and `select`, `sort`).
    #[serde(default)]
    pub parameters: BTreeMap<String, Value>,
    /// At most this many rows.
    pub limit: Option<u64>,
    /// `ORDER BY` expression; default `emission_time, event_id` (the storage order).
    pub sort: Option<String>,
    /// Accepted for compatibility with Ralph; rows are always read row by row.
    #[serde(default)]
    pub column_oriented: bool,
}

impl ClickHouseQuery {
    /// Parses a query given on the command line; `None` or blank is the default query.
    pub fn parse(query: Option<&str>) -> Result<Self> {
        let Some(text) = query.map(str::trim).filter(|q| !q.is_empty()) else {
            return Ok(Self::default());
        };
        let query: Self = serde_json::from_str(text).map_err(|err| {
            Error::invalid_input(format!(
                "invalid clickhouse query `{text}`: {err}; expected JSON with `select`, `where`, `parameters`, `limit`, `sort`"
            ))
        })?;
        for name in query.parameters.keys() {
            let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(Error::invalid_input(format!(
                    "invalid query parameter name `{name}`: use letters, digits and `_`"
                )));
            }
        }
        Ok(query)
    }

    /// Whether the query reads the `event` column alone (records are then the events).
    pub fn selects_event_only(&self) -> bool {
        match &self.select {
            None => true,
            Some(select) => matches!(select.items().as_slice(), [one] if one.trim() == "event"),
        }
    }

    /// The `SELECT` of this query on `table` (an already quoted name), at most `max` rows.
    pub fn sql(&self, table: &str, max: Option<u64>) -> String {
        let select = match &self.select {
            None => "event".to_owned(),
            Some(select) => select.items().join(", "),
        };
        let mut sql = format!("SELECT {select} FROM {table}");
        if let Some(conditions) = &self.where_clause {
            let items = conditions.items();
            if !items.is_empty() {
                let joined: Vec<String> = items.iter().map(|c| format!("({c})")).collect();
                sql.push_str(" WHERE ");
                sql.push_str(&joined.join(" AND "));
            }
        }
        sql.push_str(" ORDER BY ");
        sql.push_str(
            self.sort
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or("emission_time, event_id"),
        );
        let limit = match (self.limit.filter(|&l| l > 0), max) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(limit) = limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        sql
    }
}

/// A JSON parameter value as the client sends it (`param_<name>`): text for scalars, a
/// ClickHouse literal list for arrays.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
    Null,
    List(Vec<Param>),
}

impl Param {
    pub(crate) fn of(value: &Value) -> Result<Self> {
        Ok(match value {
            Value::String(s) => Self::Text(s.clone()),
            Value::Number(n) => Self::Number(n.clone()),
            Value::Bool(b) => Self::Bool(*b),
            Value::Null => Self::Null,
            Value::Array(items) => Self::List(items.iter().map(Self::of).collect::<Result<_>>()?),
            Value::Object(_) => {
                return Err(Error::invalid_input(format!(
                    "query parameter {value}: objects are not supported; pass a JSON string and parse it in SQL"
                )));
            }
        })
    }
}

impl serde::Serialize for Param {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(s) => serializer.serialize_str(s),
            Self::Number(n) => n.serialize(serializer),
            Self::Bool(b) => serializer.serialize_bool(*b),
            Self::Null => serializer.serialize_none(),
            Self::List(items) => items.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_query_reads_events_in_storage_order() {
        let q = ClickHouseQuery::parse(None).expect("default");
        assert!(q.selects_event_only());
        assert_eq!(
            q.sql("`t`", None),
            "SELECT event FROM `t` ORDER BY emission_time, event_id"
        );
        assert_eq!(
            q.sql("`t`", Some(3)),
            "SELECT event FROM `t` ORDER BY emission_time, event_id LIMIT 3"
        );
    }

    #[test]
    fn clauses_are_joined_and_values_stay_parameters() {
        let q = ClickHouseQuery::parse(Some(
            r#"{"select": ["event_id", "event"], "where": ["a = {x:String}", "b > 1 OR c"], "parameters": {"x": "'; DROP TABLE t; --"}, "limit": 10, "sort": "emission_time DESC"}"#,
        ))
        .expect("query");
        assert!(!q.selects_event_only());
        let sql = q.sql("`t`", Some(5));
        assert_eq!(
            sql,
            "SELECT event_id, event FROM `t` WHERE (a = {x:String}) AND (b > 1 OR c) ORDER BY emission_time DESC LIMIT 5"
        );
        assert!(!sql.contains("DROP"));
    }

    #[test]
    fn bad_queries_are_refused() {
        assert!(ClickHouseQuery::parse(Some("*.gz")).is_err());
        assert!(ClickHouseQuery::parse(Some(r#"{"nope": 1}"#)).is_err());
        assert!(ClickHouseQuery::parse(Some(r#"{"parameters": {"a-b": 1}}"#)).is_err());
        assert!(Param::of(&serde_json::json!({"a": 1})).is_err());
        assert!(Param::of(&serde_json::json!(["a", 1, null])).is_ok());
    }
}
