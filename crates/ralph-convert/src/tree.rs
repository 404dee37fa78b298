//! Building statements as [`Node`] trees: the `node!` macro and the value tests the conversions
//! share.
//!
//! A statement is small and written once, so it is built as a [`Node`] (members in a vector,
//! strings borrowed from the event where they are copied as is) rather than a
//! `serde_json::Value` (a hashed map per object, every string copied).

use std::borrow::Cow;

use ralph_models::edx::formats;
use ralph_models::json::Node;

/// A [`Node`] written like `serde_json::json!`: `{KEY: VALUE, ...}` with a string literal or a
/// string constant as each key, `[VALUE, ...]`, `null`, or any expression that converts into a
/// `Node` (`&str`, `String`, `f64`, `bool`, a `Node`, ...).
macro_rules! node {
    (@members $object:ident) => {};
    (@members $object:ident $key:tt : $($rest:tt)+) => {
        $crate::tree::node!(@member $object $key () $($rest)+)
    };
    (@member $object:ident $key:tt ($($value:tt)+) , $($rest:tt)*) => {
        $object.insert($key, $crate::tree::node!($($value)+));
        $crate::tree::node!(@members $object $($rest)*);
    };
    (@member $object:ident $key:tt ($($value:tt)+)) => {
        $object.insert($key, $crate::tree::node!($($value)+));
    };
    (@member $object:ident $key:tt ($($value:tt)*) $next:tt $($rest:tt)*) => {
        $crate::tree::node!(@member $object $key ($($value)* $next) $($rest)*)
    };
    (@items [$($done:expr,)*] ()) => {
        ::std::vec![$($done),*]
    };
    (@items [$($done:expr,)*] ($($value:tt)+) , $($rest:tt)*) => {
        $crate::tree::node!(@items [$($done,)* $crate::tree::node!($($value)+),] () $($rest)*)
    };
    (@items [$($done:expr,)*] ($($value:tt)+)) => {
        $crate::tree::node!(@items [$($done,)* $crate::tree::node!($($value)+),] ())
    };
    (@items [$($done:expr,)*] ($($value:tt)*) $next:tt $($rest:tt)*) => {
        $crate::tree::node!(@items [$($done,)*] ($($value)* $next) $($rest)*)
    };
    (null) => {
        ::ralph_models::json::Node::Null
    };
    ({ $($body:tt)* }) => {{
        #[allow(unused_mut)]
        let mut object = ::ralph_models::json::Object::new();
        $crate::tree::node!(@members object $($body)*);
        ::ralph_models::json::Node::Object(object)
    }};
    ([ $($body:tt)* ]) => {
        ::ralph_models::json::Node::Array($crate::tree::node!(@items [] () $($body)*))
    };
    ($value:expr) => {
        ::ralph_models::json::Node::from($value)
    };
}

pub(crate) use node;

/// A value event-routing-backends treats as present: not `null`, `""`, `false`, `[]` or `{}`
/// (0 is present).
pub(crate) fn present<'n, 'a>(value: Option<&'n Node<'a>>) -> Option<&'n Node<'a>> {
    value.filter(|v| match v {
        Node::Null | Node::Bool(false) => false,
        Node::String(s) => !s.is_empty(),
        Node::Array(a) => !a.is_empty(),
        Node::Object(o) => !o.is_empty(),
        Node::Number(_) | Node::Bool(true) => true,
    })
}

/// Ralph drops a converted value that is `None`, `""` or `{}`.
pub(crate) fn is_dropped(value: &Node<'_>) -> bool {
    match value {
        Node::Null => true,
        Node::String(s) => s.is_empty(),
        Node::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// `value` unless Ralph would drop it.
pub(crate) fn kept<'n, 'a>(value: Option<&'n Node<'a>>) -> Option<&'n Node<'a>> {
    value.filter(|v| !is_dropped(v))
}

/// A string as is, a number as JSON text.
pub(crate) fn text<'n>(value: &'n Node<'_>) -> Option<Cow<'n, str>> {
    match value {
        Node::String(s) => Some(Cow::Borrowed(s)),
        Node::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// Python's truthiness: `null`, `false`, `0`, `0.0`, `""`, `[]` and `{}` are false.
pub(crate) fn is_truthy(value: &Node<'_>) -> bool {
    match value {
        Node::Null => false,
        Node::Bool(b) => *b,
        Node::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Node::String(s) => !s.is_empty(),
        Node::Array(a) => !a.is_empty(),
        Node::Object(o) => !o.is_empty(),
    }
}

/// Python's `str()` of a JSON value ([`formats::python_str`]).
pub(crate) fn python_str(value: &Node<'_>) -> String {
    match value {
        Node::String(s) => s.as_ref().to_owned(),
        other => formats::python_str(&other.to_value()),
    }
}

/// A float from a number, a numeric string or a boolean ([`formats::float`]).
pub(crate) fn float(value: &Node<'_>) -> Result<f64, String> {
    match value {
        Node::Number(n) => Ok(n.as_f64().unwrap_or(f64::NAN)),
        other => formats::float(&other.to_value()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const KEY: &str = "https://example.org/k";

    #[test]
    fn node_builds_what_json_builds() {
        let owned = String::from("owned");
        let built = node!({
            "id": format!("{}/x", "https://example.org"),
            "definition": {"type": "t", "name": {"en": owned.as_str()}},
            KEY: [1.0, {"a": null}, true, -2_i64],
            "empty": {},
            "none": [],
        });
        let expected = json!({
            "id": "https://example.org/x",
            "definition": {"type": "t", "name": {"en": "owned"}},
            KEY: [1.0, {"a": null}, true, -2],
            "empty": {},
            "none": [],
        });
        assert_eq!(built.to_value(), expected);
        assert_eq!(
            ralph_models::edx::json::to_string(&built),
            ralph_models::edx::json::to_string(&expected)
        );
    }

    #[test]
    fn float_reads_numbers_and_what_pydantic_accepts() {
        assert_eq!(float(&Node::from(2_u64)), Ok(2.0));
        assert_eq!(float(&Node::from("2.5")), Ok(2.5));
        assert!(float(&Node::from("x")).is_err());
    }
}
