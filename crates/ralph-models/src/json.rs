//! A read-only JSON tree for validating and converting one event at a time.
//!
//! [`serde_json::Value`] (with the `preserve_order` feature this workspace needs for its
//! outputs) stores every object in a hashed `IndexMap` and copies every string. A tracking event
//! is small: its objects have a handful of keys, and most of its strings hold no escape. [`Node`]
//! keeps an object's members in a vector (looked up by a linear scan, in input order) and
//! borrows every string it can from the input text, so parsing a line costs few allocations and
//! no hashing.
//!
//! Duplicate keys behave as in `serde_json::Value`: the last value wins, at the position of the
//! first occurrence.
//!
//! ```
//! use ralph_models::json::Node;
//!
//! let node = Node::from_str(r#"{"verb": {"id": "https://example.org/v"}, "n": 1.5}"#)?;
//! assert_eq!(node.get("verb").and_then(|v| v.get("id")).and_then(Node::as_str),
//!            Some("https://example.org/v"));
//! assert_eq!(node.to_value(), serde_json::json!({"verb": {"id": "https://example.org/v"}, "n": 1.5}));
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Number;

/// Objects with more members than this detect duplicate keys with a hash map instead of a scan.
const SCAN_LIMIT: usize = 16;

/// A JSON value whose strings borrow from the parsed text where they hold no escape.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as `serde_json` reads it.
    Number(Number),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Node<'a>>),
    /// An object, its members in input order.
    Object(Object<'a>),
}

/// The members of a JSON object, in input order, keys unique.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object<'a>(Vec<(Cow<'a, str>, Node<'a>)>);

impl<'a> Node<'a> {
    /// Parses one JSON document, borrowing its unescaped strings.
    ///
    /// # Errors
    /// The `serde_json` error when `text` is not one JSON document.
    #[allow(clippy::should_implement_trait)] // borrows from `text`, which `FromStr` cannot
    pub fn from_str(text: &'a str) -> Result<Node<'a>, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// A tree borrowing the strings of `value`.
    #[must_use]
    pub fn from_value(value: &'a serde_json::Value) -> Node<'a> {
        match value {
            serde_json::Value::Null => Node::Null,
            serde_json::Value::Bool(b) => Node::Bool(*b),
            serde_json::Value::Number(n) => Node::Number(n.clone()),
            serde_json::Value::String(s) => Node::String(Cow::Borrowed(s)),
            serde_json::Value::Array(list) => {
                Node::Array(list.iter().map(Node::from_value).collect())
            }
            serde_json::Value::Object(map) => Node::Object(Object(
                map.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::from_value(v)))
                    .collect(),
            )),
        }
    }

    /// The same tree owning all its strings, free of the text it was read from.
    #[must_use]
    pub fn into_owned(self) -> Node<'static> {
        match self {
            Node::Null => Node::Null,
            Node::Bool(b) => Node::Bool(b),
            Node::Number(n) => Node::Number(n),
            Node::String(s) => Node::String(Cow::Owned(s.into_owned())),
            Node::Array(list) => Node::Array(list.into_iter().map(Node::into_owned).collect()),
            Node::Object(Object(members)) => Node::Object(Object(
                members
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            )),
        }
    }

    /// The same JSON as a `serde_json::Value`.
    #[must_use]
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            Node::Null => serde_json::Value::Null,
            Node::Bool(b) => serde_json::Value::Bool(*b),
            Node::Number(n) => serde_json::Value::Number(n.clone()),
            Node::String(s) => serde_json::Value::String(s.as_ref().to_owned()),
            Node::Array(list) => {
                serde_json::Value::Array(list.iter().map(Node::to_value).collect())
            }
            Node::Object(object) => serde_json::Value::Object(object.to_map()),
        }
    }

    /// The member `key` of an object; `None` for a missing key or a value that is no object.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(object) => object.get(key),
            _ => None,
        }
    }

    /// The member `key` of an object, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node<'a>> {
        match self {
            Node::Object(object) => object.get_mut(key),
            _ => None,
        }
    }

    /// The text of a string.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a number as a float.
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Node::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// Whether the value is a number.
    #[must_use]
    pub fn is_number(&self) -> bool {
        matches!(self, Node::Number(_))
    }

    /// The value of a boolean.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value of a number that is an integer in `i64`'s range.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Node::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The value of a number that is a non-negative integer.
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Node::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The members of an object.
    #[must_use]
    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Node::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The items of an array.
    #[must_use]
    pub fn as_array(&self) -> Option<&[Node<'a>]> {
        match self {
            Node::Array(list) => Some(list),
            _ => None,
        }
    }
}

impl<'a> Object<'a> {
    /// The value of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether `key` is a member.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// The number of members.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the object has no member.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys, in input order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_ref())
    }

    /// The values, in input order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Node<'a>> {
        self.0.iter().map(|(_, v)| v)
    }

    /// The members, in input order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Node<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// The same members as a `serde_json` map.
    #[must_use]
    pub fn to_map(&self) -> serde_json::Map<String, serde_json::Value> {
        self.0
            .iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.to_value()))
            .collect()
    }

    /// An object without members, to build one.
    #[must_use]
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Sets `key` to `value`: a new key is added last, an existing one keeps its position and
    /// gets the new value (the earlier value is returned), as in a `serde_json` map.
    pub fn insert(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: impl Into<Node<'a>>,
    ) -> Option<Node<'a>> {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(member) => Some(std::mem::replace(&mut member.1, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    /// The value of `key`, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node<'a>> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, added last as `default()` when the key is missing.
    pub fn get_or_insert_with(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        default: impl FnOnce() -> Node<'a>,
    ) -> &mut Node<'a> {
        let key = key.into();
        let at = match self.0.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                self.0.push((key, default()));
                self.0.len() - 1
            }
        };
        &mut self.0[at].1
    }

    /// Adds a member read from the input; a repeated key replaces the earlier value in place.
    fn insert_read(
        &mut self,
        key: Cow<'a, str>,
        value: Node<'a>,
        index: &mut Option<HashMap<String, usize>>,
    ) {
        let members = &mut self.0;
        if let Some(index) = index {
            if let Some(&at) = index.get(key.as_ref()) {
                members[at].1 = value;
            } else {
                index.insert(key.as_ref().to_owned(), members.len());
                members.push((key, value));
            }
            return;
        }
        if let Some(member) = members.iter_mut().find(|(k, _)| *k == key) {
            member.1 = value;
            return;
        }
        members.push((key, value));
        if members.len() > SCAN_LIMIT {
            *index = Some(
                members
                    .iter()
                    .enumerate()
                    .map(|(at, (k, _))| (k.as_ref().to_owned(), at))
                    .collect(),
            );
        }
    }
}

impl<'a, 'o> IntoIterator for &'o Object<'a> {
    type Item = (&'o str, &'o Node<'a>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'o, (Cow<'a, str>, Node<'a>)>,
        fn(&'o (Cow<'a, str>, Node<'a>)) -> (&'o str, &'o Node<'a>),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> From<&'a str> for Node<'a> {
    fn from(s: &'a str) -> Self {
        Node::String(Cow::Borrowed(s))
    }
}

impl<'a> From<String> for Node<'a> {
    fn from(s: String) -> Self {
        Node::String(Cow::Owned(s))
    }
}

impl<'a> From<Cow<'a, str>> for Node<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        Node::String(s)
    }
}

impl<'a> From<bool> for Node<'a> {
    fn from(b: bool) -> Self {
        Node::Bool(b)
    }
}

/// A float; `null` for infinities and NaN, as `serde_json` makes them.
impl<'a> From<f64> for Node<'a> {
    fn from(f: f64) -> Self {
        Number::from_f64(f).map_or(Node::Null, Node::Number)
    }
}

impl<'a> From<i64> for Node<'a> {
    fn from(n: i64) -> Self {
        Node::Number(n.into())
    }
}

impl<'a> From<i32> for Node<'a> {
    fn from(n: i32) -> Self {
        Node::Number(n.into())
    }
}

/// A copy (strings borrowed from the input stay borrowed).
impl<'a> From<&Node<'a>> for Node<'a> {
    fn from(node: &Node<'a>) -> Self {
        node.clone()
    }
}

impl<'a> From<u64> for Node<'a> {
    fn from(n: u64) -> Self {
        Node::Number(n.into())
    }
}

impl<'a> From<Number> for Node<'a> {
    fn from(n: Number) -> Self {
        Node::Number(n)
    }
}

impl<'a> From<Object<'a>> for Node<'a> {
    fn from(object: Object<'a>) -> Self {
        Node::Object(object)
    }
}

impl<'a> From<Vec<Node<'a>>> for Node<'a> {
    fn from(items: Vec<Node<'a>>) -> Self {
        Node::Array(items)
    }
}

/// Compact JSON, as `serde_json::Value` displays it.
impl fmt::Display for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

/// Written as the same JSON as [`Node::to_value`]'s, members in order.
impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => n.serialize(serializer),
            Node::String(s) => serializer.serialize_str(s),
            Node::Array(items) => serializer.collect_seq(items),
            Node::Object(object) => object.serialize(serializer),
        }
    }
}

impl Serialize for Object<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key.as_ref(), value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Node<'de>, E> {
        // JSON text has no NaN or infinity; `serde_json::Value` reads those as null too.
        Ok(Number::from_f64(n).map_or(Node::Null, Node::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            list.push(item);
        }
        Ok(Node::Array(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut object = Object(Vec::with_capacity(map.size_hint().unwrap_or(0).min(16)));
        let mut index = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value()?;
            object.insert_read(key, value, &mut index);
        }
        Ok(Node::Object(object))
    }
}

/// Reads an object key, borrowing it when the input allows (serde's own `Cow<str>` never does).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_serde(text: &str) {
        let node = Node::from_str(text).expect("valid JSON");
        let value: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        assert_eq!(node.to_value(), value, "{text}");
        // Same key order too.
        assert_eq!(
            serde_json::to_string(&node.to_value()).expect("serialisable"),
            serde_json::to_string(&value).expect("serialisable")
        );
        assert_eq!(Node::from_value(&value), node);
        assert_eq!(node.clone().into_owned(), node);
        // Written and displayed as serde_json writes the value.
        assert_eq!(node.to_string(), value.to_string());
        assert_eq!(
            serde_json::to_string(&node).expect("serialisable"),
            serde_json::to_string(&value).expect("serialisable")
        );
    }

    #[test]
    fn reads_the_same_json_as_serde_json() {
        same_as_serde(r#"{"b": 1, "a": [true, false, null, -3, 2.5], "c": {"x": "y"}}"#);
        same_as_serde(r#"{"esc\"aped": "line\nbreak \u00e9", "plain": "text"}"#);
        same_as_serde(
            r#"[18446744073709551615, -9223372036854775808, 0.1, 1.7976931348623157e308]"#,
        );
        same_as_serde(r#""just a string""#);
    }

    #[test]
    fn a_repeated_key_keeps_the_first_position_and_the_last_value() {
        same_as_serde(r#"{"a": 1, "b": 2, "a": 3}"#);
        let node = Node::from_str(r#"{"a": 1, "b": 2, "a": 3}"#).expect("valid JSON");
        let keys: Vec<_> = node.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(node.get("a"), Some(&Node::Number(3.into())));
    }

    #[test]
    fn a_built_object_behaves_as_a_serde_json_map() {
        let mut object = Object::new();
        let mut map = serde_json::Map::new();
        for (key, value) in [("a", 1.5), ("b", 2.0), ("a", 3.0), ("c", f64::NAN)] {
            assert_eq!(
                object.insert(key, value).map(|old| old.to_value()),
                map.insert(key.to_owned(), Node::from(value).to_value())
            );
        }
        *object.get_or_insert_with("d", || Node::from("x")) = Node::from(true);
        object.get_or_insert_with("a", || Node::Null);
        map.insert("d".to_owned(), serde_json::Value::Bool(true));
        if let Some(b) = object.get_mut("b") {
            *b = Node::from(vec![Node::from(7_u64), Node::from(-1_i64)]);
        }
        map.insert("b".to_owned(), serde_json::json!([7, -1]));
        let node = Node::from(object);
        assert_eq!(node.to_value(), serde_json::Value::Object(map.clone()));
        assert_eq!(
            serde_json::to_string(&node).expect("serialisable"),
            serde_json::to_string(&map).expect("serialisable")
        );
    }

    #[test]
    fn a_large_object_with_repeated_keys_matches_serde_json() {
        let mut text = String::from("{");
        for i in 0..100 {
            text.push_str(&format!("\"k{}\": {i},", i % 40));
        }
        text.push_str("\"last\": 0}");
        same_as_serde(&text);
        let node = Node::from_str(&text).expect("valid JSON");
        assert_eq!(node.as_object().expect("an object").len(), 41);
        assert_eq!(node.get("k1"), Some(&Node::Number(81.into())));
    }

    #[test]
    fn unescaped_strings_and_keys_are_borrowed() {
        let node = Node::from_str(r#"{"key": "value", "k\"2": "v\"2"}"#).expect("valid JSON");
        let Node::Object(object) = &node else {
            panic!("not an object")
        };
        assert!(matches!(object.0[0].0, Cow::Borrowed(_)));
        assert!(matches!(object.0[0].1, Node::String(Cow::Borrowed(_))));
        assert!(matches!(object.0[1].0, Cow::Owned(_)));
        assert!(matches!(object.0[1].1, Node::String(Cow::Owned(_))));
    }

    #[test]
    fn invalid_json_is_an_error() {
        for text in ["", "{", r#"{"a": }"#, "[1,]", "nul", r#"{"a": 1} x"#] {
            assert!(Node::from_str(text).is_err(), "{text}");
        }
        // Nesting deeper than serde_json's limit is refused, not a stack overflow.
        let deep = "[".repeat(100_000);
        assert!(Node::from_str(&deep).is_err());
    }
}
