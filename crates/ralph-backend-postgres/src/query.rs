//! The read query of the `postgres` backend, turned into SQL with bound parameters only.

use std::collections::BTreeMap;

use ralph_core::{Error, Result};
use serde::Deserialize;
use serde_json::Value;

/// What to read from a table.
///
/// ```json
/// {"filter": {"verb": {"id": "http://adlnet.gov/expapi/verbs/played"}},
///  "where": "(doc->>'score')::int > $min", "parameters": {"min": 50},
///  "sort": "-stored", "limit": 100}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresQuery {
    /// Documents containing this JSON (`doc @> filter`).
    pub filter: Option<Value>,
    /// An SQL condition on the columns `id`, `doc`, `stored`; `$name` placeholders are bound
    /// from `parameters`, typed as the server infers them.
    #[serde(rename = "where")]
    pub where_clause: Option<String>,
    /// Values of the `$name` placeholders of `where`.
    #[serde(default)]
    pub parameters: BTreeMap<String, Value>,
    /// Order: `stored` (the default), `id`, or a document path such as `timestamp` or
    /// `actor.account.name`; a leading `-` sorts descending.
    pub sort: Option<String>,
    /// At most this many documents.
    pub limit: Option<u64>,
}

/// SQL and its parameters, in `$1..$n` order.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    /// The statement text.
    pub text: String,
    /// The parameters.
    pub params: Vec<Value>,
}

impl PostgresQuery {
    /// Parses a query given on the command line; `None` or blank is the default query.
    pub fn parse(query: Option<&str>) -> Result<Self> {
        let Some(text) = query.map(str::trim).filter(|q| !q.is_empty()) else {
            return Ok(Self::default());
        };
        serde_json::from_str(text).map_err(|err| {
            Error::invalid_input(format!(
                "invalid postgres query `{text}`: {err}; expected JSON with `filter`, `where`, `parameters`, `sort`, `limit`"
            ))
        })
    }

    /// The `SELECT` of this query on `table` (an already quoted identifier).
    pub fn select(&self, table: &str) -> Result<Sql> {
        let mut params = Vec::new();
        let mut conditions = Vec::new();
        if let Some(filter) = &self.filter {
            params.push(filter.clone());
            conditions.push(format!("doc @> ${}::jsonb", params.len()));
        }
        if let Some(clause) = &self.where_clause {
            conditions.push(format!(
                "({})",
                self.bind_placeholders(clause, &mut params)?
            ));
        } else if !self.parameters.is_empty() {
            return Err(Error::invalid_input(
                "`parameters` are only used by `where`",
            ));
        }
        let mut text = format!("SELECT doc FROM {table}");
        if !conditions.is_empty() {
            text.push_str(" WHERE ");
            text.push_str(&conditions.join(" AND "));
        }
        text.push_str(" ORDER BY ");
        text.push_str(&self.order_by(&mut params)?);
        if let Some(limit) = self.limit {
            text.push_str(&format!(" LIMIT {limit}"));
        }
        Ok(Sql { text, params })
    }

    /// Replaces `$name` by `$n`, binding `parameters[name]`; a name used twice binds once.
    fn bind_placeholders(&self, clause: &str, params: &mut Vec<Value>) -> Result<String> {
        let mut out = String::with_capacity(clause.len());
        let mut bound: BTreeMap<&str, usize> = BTreeMap::new();
        let mut rest = clause;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos + 1..];
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..len];
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(Error::invalid_input(format!(
                    "`where`: use named placeholders such as `$min`, bound from `parameters` (found `${name}`)"
                )));
            }
            let index = match bound.get(name) {
                Some(&i) => i,
                None => {
                    let value = self.parameters.get(name).ok_or_else(|| {
                        Error::invalid_input(format!(
                            "`where` uses `${name}`, which is not in `parameters`"
                        ))
                    })?;
                    params.push(value.clone());
                    bound.insert(name, params.len());
                    params.len()
                }
            };
            out.push_str(&format!("${index}"));
            rest = &after[len..];
        }
        out.push_str(rest);
        if let Some(unused) = self
            .parameters
            .keys()
            .find(|k| !bound.contains_key(k.as_str()))
        {
            return Err(Error::invalid_input(format!(
                "parameter `{unused}` is not used by `where`"
            )));
        }
        Ok(out)
    }

    fn order_by(&self, params: &mut Vec<Value>) -> Result<String> {
        let sort = self.sort.as_deref().unwrap_or("stored");
        let (key, direction) = match sort.strip_prefix('-') {
            Some(key) => (key, "DESC"),
            None => (sort, "ASC"),
        };
        let expr = match key {
            "stored" | "id" => key.to_owned(),
            "" => return Err(Error::invalid_input("`sort` is empty")),
            path => {
                let parts: Vec<Value> = path.split('.').map(Value::from).collect();
                if parts.iter().any(|p| p.as_str() == Some("")) {
                    return Err(Error::invalid_input(format!(
                        "`sort`: invalid path `{path}`"
                    )));
                }
                params.push(Value::Array(parts));
                format!("doc #> ${}::text[]", params.len())
            }
        };
        // `id` breaks ties so that the order is total and stable between runs.
        Ok(if expr == "id" {
            format!("id {direction}")
        } else {
            format!("{expr} {direction}, id {direction}")
        })
    }
}

/// A table name checked and quoted; only letters, digits and `_` are allowed.
pub fn quote_table(name: &str) -> Result<String> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(Error::invalid_input(format!(
            "invalid table name `{name}`: use 1 to 63 letters, digits and `_`, not starting with a digit"
        )));
    }
    Ok(format!("\"{name}\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_conditions_and_sorts_are_bound_not_spliced() {
        let query = PostgresQuery::parse(Some(
            r#"{"filter":{"verb":{"id":"v"}},"where":"(doc->>'n')::int > $min AND (doc->>'n')::int < $max OR $min = 0","parameters":{"min":1,"max":9},"sort":"-actor.name","limit":5}"#,
        ))
        .expect("query");
        let sql = query.select("\"events\"").expect("sql");
        assert_eq!(
            sql.text,
            "SELECT doc FROM \"events\" WHERE doc @> $1::jsonb AND ((doc->>'n')::int > $2 AND (doc->>'n')::int < $3 OR $2 = 0) ORDER BY doc #> $4::text[] DESC, id DESC LIMIT 5"
        );
        assert_eq!(
            sql.params,
            vec![
                json!({"verb":{"id":"v"}}),
                json!(1),
                json!(9),
                json!(["actor", "name"])
            ]
        );
    }

    #[test]
    fn the_default_query_reads_everything_in_storage_order() {
        let sql = PostgresQuery::parse(None)
            .expect("default")
            .select("\"t\"")
            .expect("sql");
        assert_eq!(
            sql.text,
            "SELECT doc FROM \"t\" ORDER BY stored ASC, id ASC"
        );
        assert!(sql.params.is_empty());
    }

    #[test]
    fn placeholder_and_name_mistakes_are_reported() {
        let q = |text: &str| {
            PostgresQuery::parse(Some(text))
                .expect("json")
                .select("\"t\"")
        };
        assert!(q(r#"{"where":"x = $1"}"#).is_err());
        assert!(q(r#"{"where":"x = $a"}"#).is_err());
        assert!(q(r#"{"where":"x = 1","parameters":{"a":1}}"#).is_err());
        assert!(q(r#"{"sort":"a..b"}"#).is_err());
        assert!(PostgresQuery::parse(Some("*.gz")).is_err());
        assert!(quote_table("events; drop").is_err());
        assert_eq!(quote_table("events_2024").expect("ok"), "\"events_2024\"");
    }
}
