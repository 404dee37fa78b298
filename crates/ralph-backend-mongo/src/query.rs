//! The read query of the `mongo` backend: Ralph's `MongoQuery`.

use mongodb::bson::oid::ObjectId;
use mongodb::bson::raw::RawDocumentBuf;
use ralph_core::{Error, Result};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::convert::{append, to_document};

/// What to read from a collection, as Ralph 5.1's `MongoQuery`.
///
/// ```json
/// {"filter": {"_source.verb.id": "http://adlnet.gov/expapi/verbs/played"},
///  "projection": {"_source.id": 1, "_source.timestamp": 1},
///  "sort": [["_source.timestamp", -1]], "limit": 100}
/// ```
///
/// Filters address the stored documents, `{"_id": ..., "_source": statement}`: statement fields
/// are under `_source.`. `{"$oid": "<24 hex digits>"}` in a filter is an ObjectId, so `_id`
/// ranges can be written in JSON.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MongoQuery {
    /// Documents matching this MongoDB filter.
    pub filter: Option<Map<String, Value>>,
    /// At most this many documents.
    pub limit: Option<i64>,
    /// Fields to include (`1`) or exclude (`0`).
    pub projection: Option<Map<String, Value>>,
    /// `[key, direction]` pairs, direction `1` (ascending) or `-1` (descending); natural
    /// (insertion) order when unset.
    pub sort: Option<Vec<(String, Value)>>,
    /// Yield Ralph 5.1's read output, the stored document `{"_id": "<hex>", "_source": ...}`,
    /// instead of the record (`_source`) alone.
    #[serde(default)]
    pub envelope: bool,
}

impl MongoQuery {
    /// Parses a query given on the command line; `None` or blank is the default query.
    pub fn parse(query: Option<&str>) -> Result<Self> {
        let Some(text) = query.map(str::trim).filter(|q| !q.is_empty()) else {
            return Ok(Self::default());
        };
        let query: Self = serde_json::from_str(text).map_err(|err| {
            Error::invalid_input(format!(
                "invalid mongo query `{text}`: {err}; expected JSON with `filter`, `projection`, `sort`, `limit`"
            ))
        })?;
        if query.limit.is_some_and(|l| l < 0) {
            return Err(Error::invalid_input(
                "mongo query: `limit` must not be negative",
            ));
        }
        Ok(query)
    }

    /// The filter as BSON (`{"$oid": hex}` objects become ObjectIds).
    pub fn filter_document(&self) -> Result<RawDocumentBuf> {
        match &self.filter {
            Some(filter) => filter_document(filter),
            None => Ok(RawDocumentBuf::new()),
        }
    }

    /// The projection as BSON.
    pub fn projection_document(&self) -> Result<Option<RawDocumentBuf>> {
        self.projection.as_ref().map(to_document).transpose()
    }

    /// The sort as BSON, in the given key order.
    pub fn sort_document(&self) -> Result<Option<RawDocumentBuf>> {
        let Some(sort) = &self.sort else {
            return Ok(None);
        };
        let mut doc = RawDocumentBuf::new();
        for (key, direction) in sort {
            let valid = matches!(direction.as_i64(), Some(1 | -1))
                || matches!(
                    direction.as_str(),
                    Some("text" | "2d" | "2dsphere" | "hashed")
                );
            if !valid {
                return Err(Error::invalid_input(format!(
                    "mongo query: sort direction of `{key}` must be 1 or -1, found {direction}"
                )));
            }
            append(&mut doc, key, direction)?;
        }
        Ok(Some(doc))
    }
}

fn filter_document(filter: &Map<String, Value>) -> Result<RawDocumentBuf> {
    let mut doc = RawDocumentBuf::new();
    for (key, value) in filter {
        append_filter(&mut doc, key, value)?;
    }
    Ok(doc)
}

fn object_id_of(value: &Value) -> Option<ObjectId> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    ObjectId::parse_str(object.get("$oid")?.as_str()?).ok()
}

fn append_filter(doc: &mut RawDocumentBuf, key: &str, value: &Value) -> Result<()> {
    if let Some(oid) = object_id_of(value) {
        let key = mongodb::bson::raw::CString::try_from(key)
            .map_err(|_| Error::invalid_input("a filter key contains a NUL character"))?;
        doc.append(key, oid);
        return Ok(());
    }
    match value {
        Value::Object(inner) => {
            let key = mongodb::bson::raw::CString::try_from(key)
                .map_err(|_| Error::invalid_input("a filter key contains a NUL character"))?;
            doc.append(key, filter_document(inner)?);
            Ok(())
        }
        Value::Array(items) => {
            let mut array = mongodb::bson::raw::RawArrayBuf::new();
            for item in items {
                match (object_id_of(item), item) {
                    (Some(oid), _) => array.push(oid),
                    (None, Value::Object(inner)) => array.push(filter_document(inner)?),
                    (None, other) => {
                        let mut one = RawDocumentBuf::new();
                        append(&mut one, "v", other)?;
                        if let Ok(Some(v)) = one.get("v") {
                            array.push(v);
                        }
                    }
                }
            }
            let key = mongodb::bson::raw::CString::try_from(key)
                .map_err(|_| Error::invalid_input("a filter key contains a NUL character"))?;
            doc.append(key, array);
            Ok(())
        }
        other => append(doc, key, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::raw::RawBsonRef;

    #[test]
    fn ralph_queries_parse_and_object_ids_are_understood() {
        let q = MongoQuery::parse(Some(
            r#"{"filter": {"_id": {"$gt": {"$oid": "65a50220621b35e79568506a"}}, "_source.n": {"$in": [1, {"$oid": "65a50220621b35e79568506a"}]}},
                "projection": {"_source": 1}, "sort": [["_source.timestamp", -1], ["_id", 1]], "limit": 3}"#,
        ))
        .expect("query");
        let filter = q.filter_document().expect("filter");
        let gt = filter
            .get_document("_id")
            .expect("_id")
            .get("$gt")
            .expect("$gt");
        assert!(matches!(gt, Some(RawBsonRef::ObjectId(_))));
        let sort = q.sort_document().expect("sort").expect("some");
        let keys: Vec<_> = sort
            .iter()
            .map(|e| e.expect("key").0.as_str().to_owned())
            .collect();
        assert_eq!(keys, ["_source.timestamp", "_id"]);
        assert_eq!(q.limit, Some(3));
        assert!(
            MongoQuery::parse(Some(r#"{"sort": [["a", 2]]}"#))
                .expect("json")
                .sort_document()
                .is_err()
        );
        assert!(MongoQuery::parse(Some(r#"{"where": 1}"#)).is_err());
        assert!(MongoQuery::parse(Some("*.gz")).is_err());
        assert_eq!(
            MongoQuery::parse(Some("  ")).expect("blank"),
            MongoQuery::default()
        );
    }
}
