//! JSON ⇄ BSON as Ralph (pymongo) stores statements, and the `_id` Ralph derives for them.
//!
//! The conversion is done by hand rather than through `bson`'s extended-JSON support, so that a
//! statement key such as `$date` stays a key and integers get the BSON type pymongo gives them:
//! `int32` when they fit, else `int64`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use mongodb::bson::oid::ObjectId;
use mongodb::bson::raw::{CString, RawArray, RawArrayBuf, RawBsonRef, RawDocument, RawDocumentBuf};
use mongodb::bson::spec::BinarySubtype;
use ralph_core::{Error, Result};
use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};

/// A JSON object as a BSON document (keys in order).
pub fn to_document(object: &Map<String, Value>) -> Result<RawDocumentBuf> {
    let mut doc = RawDocumentBuf::new();
    for (key, value) in object {
        append(&mut doc, key, value)?;
    }
    Ok(doc)
}

fn key(key: &str) -> Result<CString> {
    CString::try_from(key).map_err(|_| {
        Error::invalid_input(format!(
            "key `{}` contains a NUL character, which BSON cannot store",
            key.escape_debug()
        ))
    })
}

/// Appends `value` under `name` to `doc`.
pub fn append(doc: &mut RawDocumentBuf, name: &str, value: &Value) -> Result<()> {
    let name = key(name)?;
    match value {
        Value::Null => doc.append(name, RawBsonRef::Null),
        Value::Bool(b) => doc.append(name, *b),
        Value::Number(n) => doc.append(name, number(n)?),
        Value::String(s) => doc.append(name, s.as_str()),
        Value::Array(items) => doc.append(name, to_array(items)?),
        Value::Object(object) => doc.append(name, to_document(object)?),
    }
    Ok(())
}

fn to_array(items: &[Value]) -> Result<RawArrayBuf> {
    let mut array = RawArrayBuf::new();
    for value in items {
        match value {
            Value::Null => array.push(RawBsonRef::Null),
            Value::Bool(b) => array.push(*b),
            Value::Number(n) => array.push(number(n)?),
            Value::String(s) => array.push(s.as_str()),
            Value::Array(inner) => array.push(to_array(inner)?),
            Value::Object(object) => array.push(to_document(object)?),
        }
    }
    Ok(array)
}

/// A JSON number as pymongo encodes a Python number: `int32`, `int64` or `double`.
fn number(n: &Number) -> Result<RawBsonRef<'static>> {
    if let Some(i) = n.as_i64() {
        return Ok(match i32::try_from(i) {
            Ok(small) => RawBsonRef::Int32(small),
            Err(_) => RawBsonRef::Int64(i),
        });
    }
    if n.is_u64() {
        return Err(Error::invalid_input(format!(
            "integer {n} does not fit in 8 bytes, the largest integer MongoDB stores"
        )));
    }
    Ok(RawBsonRef::Double(n.as_f64().unwrap_or(f64::NAN)))
}

/// A BSON document as JSON: numbers stay numbers, ObjectIds become their hex string (as Ralph's
/// `str(_id)`), dates RFC 3339 strings, UUID binaries UUID strings, other binaries base64.
pub fn to_json(doc: &RawDocument) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for item in doc {
        let (name, value) = item.map_err(corrupt)?;
        out.insert(name.as_str().to_owned(), value_to_json(value)?);
    }
    Ok(out)
}

fn array_to_json(array: &RawArray) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for item in array {
        out.push(value_to_json(item.map_err(corrupt)?)?);
    }
    Ok(out)
}

fn corrupt(err: mongodb::bson::error::Error) -> Error {
    Error::invalid_input(format!("mongo returned an unreadable document: {err}"))
}

/// One BSON value as JSON.
pub fn value_to_json(value: RawBsonRef<'_>) -> Result<Value> {
    Ok(match value {
        RawBsonRef::Double(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        RawBsonRef::String(s) | RawBsonRef::Symbol(s) | RawBsonRef::JavaScriptCode(s) => {
            Value::String(s.to_owned())
        }
        RawBsonRef::Array(a) => Value::Array(array_to_json(a)?),
        RawBsonRef::Document(d) => Value::Object(to_json(d)?),
        RawBsonRef::Boolean(b) => Value::Bool(b),
        RawBsonRef::Null | RawBsonRef::Undefined | RawBsonRef::MaxKey | RawBsonRef::MinKey => {
            Value::Null
        }
        RawBsonRef::Int32(i) => Value::from(i),
        RawBsonRef::Int64(i) => Value::from(i),
        RawBsonRef::ObjectId(oid) => Value::String(oid.to_hex()),
        RawBsonRef::DateTime(at) => Value::String(
            at.try_to_rfc3339_string()
                .unwrap_or_else(|_| at.timestamp_millis().to_string()),
        ),
        RawBsonRef::Binary(bin) => {
            if matches!(bin.subtype, BinarySubtype::Uuid | BinarySubtype::UuidOld)
                && let Ok(uuid) = uuid::Uuid::from_slice(bin.bytes)
            {
                Value::String(uuid.to_string())
            } else {
                Value::String(base64(bin.bytes))
            }
        }
        RawBsonRef::Decimal128(d) => Value::String(d.to_string()),
        RawBsonRef::Timestamp(ts) => {
            serde_json::json!({"t": ts.time, "i": ts.increment})
        }
        RawBsonRef::RegularExpression(re) => {
            Value::String(format!("/{}/{}", re.pattern.as_str(), re.options.as_str()))
        }
        RawBsonRef::JavaScriptCodeWithScope(code) => Value::String(code.code.to_owned()),
        RawBsonRef::DbPointer(_) => Value::Null,
    })
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Parses an ISO 8601 time as Ralph's `dateutil.parser.isoparse` reads statement timestamps:
/// RFC 3339, with `T` or a space, with or without seconds fraction and offset, or a date alone.
/// A time without offset is taken as UTC (Ralph takes it in the machine's local time zone).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let with_t = text.replacen(' ', "T", 1);
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&with_t, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    if let Some(naive) = with_t.strip_suffix('Z').or(Some(&with_t)) {
        for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(naive, format) {
                return Some(t.and_utc());
            }
        }
        if let Ok(d) = NaiveDate::parse_from_str(naive, "%Y-%m-%d") {
            return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        }
    }
    None
}

/// The `_id` Ralph gives a statement: the 4-byte big-endian Unix time of its `timestamp`
/// (seconds, truncated) followed by the first 8 bytes of the SHA-256 of its `id`.
pub fn statement_object_id(timestamp: &DateTime<Utc>, id: &str) -> Result<ObjectId> {
    let seconds = u32::try_from(timestamp.timestamp()).map_err(|_| {
        Error::invalid_input(format!(
            "`timestamp` `{}` is outside 1970-2106, the range of a MongoDB ObjectId",
            timestamp.to_rfc3339()
        ))
    })?;
    let digest = Sha256::digest(id.as_bytes());
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&seconds.to_be_bytes());
    bytes[4..].copy_from_slice(&digest[..8]);
    Ok(ObjectId::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_with_pymongo_number_types() {
        let value = json!({"a": 1, "big": 4_000_000_000_i64, "f": 1.5, "w": 2.0, "s": "é\u{0}",
                           "n": null, "l": [1, {"$date": "x"}, []], "o": {"b": true}});
        let doc = to_document(value.as_object().expect("object")).expect("bson");
        assert!(matches!(doc.get("a"), Ok(Some(RawBsonRef::Int32(1)))));
        assert!(matches!(doc.get("big"), Ok(Some(RawBsonRef::Int64(_)))));
        assert!(matches!(doc.get("w"), Ok(Some(RawBsonRef::Double(_)))));
        assert_eq!(Value::Object(to_json(&doc).expect("json")), value);
        assert!(to_document(json!({"a\u{0}": 1}).as_object().expect("object")).is_err());
        assert!(to_document(json!({"u": u64::MAX}).as_object().expect("object")).is_err());
    }

    #[test]
    fn object_ids_are_ralphs() {
        // Computed with ralph-malph 5.1.0's `MongoDataBackend.to_documents`.
        let at = parse_timestamp("2024-01-15T10:00:00.5+00:00").expect("time");
        let oid = statement_object_id(&at, "9e1f2b1c-0000-4000-8000-000000000001").expect("oid");
        assert_eq!(oid.to_hex(), "65a50220621b35e79568506a");
        assert!(statement_object_id(&parse_timestamp("1969-12-31").expect("t"), "x").is_err());
    }

    #[test]
    fn timestamps_parse_like_isoparse() {
        let utc = |s: &str| parse_timestamp(s).map(|t| t.to_rfc3339());
        assert_eq!(
            utc("2024-01-15T10:00:00Z").as_deref(),
            Some("2024-01-15T10:00:00+00:00")
        );
        assert_eq!(
            utc("2024-01-15T11:00:00+01:00").as_deref(),
            Some("2024-01-15T10:00:00+00:00")
        );
        assert_eq!(
            utc("2024-01-15 10:00:00.123").as_deref(),
            Some("2024-01-15T10:00:00.123+00:00")
        );
        assert_eq!(
            utc("2024-01-15").as_deref(),
            Some("2024-01-15T00:00:00+00:00")
        );
        assert_eq!(utc("yesterday"), None);
        assert_eq!(base64(b"hello"), "aGVsbG8=");
    }
}
