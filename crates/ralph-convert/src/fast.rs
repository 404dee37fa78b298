//! Ralph's nine conversions written straight to JSON text.
//!
//! The general path decodes the whole event into a borrowed [`Node`] tree, builds the statement
//! as another tree, checks all of it and serialises it. For Ralph's nine conversions, the bulk
//! of real tracking logs, this module decodes only the fields they read and writes the
//! statement's text directly, checking only the parts taken from the event (the rest is
//! constant and valid).
//!
//! It handles the events that convert; for anything else (an error to report, a value of an
//! unexpected type) it returns `None` and the caller takes the general path, which gives the
//! answer. So both paths always agree: the tests compare them on every fixture and on many
//! variations of each.

use std::borrow::Cow;

use ralph_models::edx::{self, formats};
use ralph_models::json::Node;

use crate::ralph::{
    LENGTH, LMS_PROFILE, PROGRESS, SESSION_ID, TIME, TIME_FROM, TIME_TO, USER_AGENT, VIDEO_PROFILE,
    Video,
};
use crate::statement::{
    self, COURSE_TYPE, PAGE_TYPE, REGISTERED, TERMINATED, UNREGISTERED, VIDEO_TYPE, VIEWED,
};
use crate::tree::kept;
use crate::{Converter, Slim, iri, uuid_v5};

/// The statement of `raw_line` (decoded as `slim`) when it is one of Ralph's nine conversions
/// and converts; `None` sends the line to the general path.
pub(crate) fn convert(converter: &Converter, slim: &Slim<'_>, raw_line: &str) -> Option<String> {
    if converter.platform_error.is_some() {
        return None;
    }
    let source: &str = serde_json::from_str(slim.event_source?.get()).ok()?;
    let event_type: &str = serde_json::from_str(slim.event_type?.get()).ok()?;
    // The model of a declared event type is known without `context`, which is parsed only for
    // the events this path converts (and for a server page request, selected by its path).
    let declared = edx::select_strs(source, event_type, None);
    if declared.is_some_and(|model| !crate::ralph::has_conversion(model.name())) {
        return None;
    }
    let context = parse(slim.context)?;
    let model = match declared {
        Some(model) => model,
        None => {
            let path = match context.as_ref().and_then(|c| c.get("path")) {
                None | Some(Node::Null) => None,
                Some(Node::String(path)) => Some(path.as_ref()),
                Some(_) => return None,
            };
            edx::select_strs(source, event_type, path)?
        }
    };
    if !crate::ralph::has_conversion(model.name()) {
        return None;
    }
    // The `event` field, a JSON string holding an object read as that object.
    let event_text: Cow<'_, str>;
    let event = match parse(slim.event)? {
        Some(Node::String(text)) => {
            event_text = text;
            match Node::from_str(&event_text) {
                Ok(parsed @ Node::Object(_)) => Some(parsed),
                _ => Some(Node::String(Cow::Borrowed(event_text.as_ref()))),
            }
        }
        other => other,
    };
    let input = Input {
        context: context.as_ref(),
        event: event.as_ref(),
        slim,
    };
    let mut out = Out::start(converter, raw_line, &input)?;
    match model.name() {
        "Server" => out.server(event_type)?,
        "UIPageClose" => out.page_close(&input)?,
        "UILoadVideo" => out.video(&input, Video::Load)?,
        "UIPlayVideo" => out.video(&input, Video::Play)?,
        "UIPauseVideo" => out.video(&input, Video::Pause)?,
        "UISeekVideo" => out.video(&input, Video::Seek)?,
        "UIStopVideo" => out.video(&input, Video::Stop)?,
        "EdxCourseEnrollmentActivated" => out.enrollment(&input, REGISTERED)?,
        "EdxCourseEnrollmentDeactivated" => out.enrollment(&input, UNREGISTERED)?,
        _ => return None,
    }
    out.finish()
}

/// A top-level field as a tree; `Some(None)` when absent, `None` when it does not parse.
fn parse<'a>(raw: Option<&'a serde_json::value::RawValue>) -> Option<Option<Node<'a>>> {
    match raw {
        None => Some(None),
        Some(raw) => Node::from_str(raw.get()).ok().map(Some),
    }
}

/// The parts of the event the conversions read.
struct Input<'i, 'a> {
    context: Option<&'i Node<'a>>,
    event: Option<&'i Node<'a>>,
    slim: &'i Slim<'a>,
}

impl<'a> Input<'_, 'a> {
    fn context(&self, key: &str) -> Option<&Node<'a>> {
        self.context?.get(key)
    }

    fn event(&self, key: &str) -> Option<&Node<'a>> {
        self.event?.get(key)
    }
}

/// A required string; `None` (the general path reports it) for anything else.
fn string<'n>(value: Option<&'n Node<'_>>) -> Option<&'n str> {
    match value? {
        Node::String(s) => Some(s),
        _ => None,
    }
}

/// A non-negative float of a video extension, as the general path reads it; `Some(None)` when
/// absent or dropped.
fn non_negative(value: Option<&Node<'_>>) -> Option<Option<f64>> {
    let Some(value) = kept(value) else {
        return Some(None);
    };
    let f = crate::tree::float(value).ok()?;
    (f >= 0.0).then_some(Some(f))
}

/// The statement text being written.
struct Out<'c> {
    converter: &'c Converter,
    buf: Vec<u8>,
    timestamp: Option<String>,
}

impl<'c> Out<'c> {
    /// The statement's `id` and `actor`, up to the verb id; the timestamp is kept for the end.
    fn start(converter: &'c Converter, raw_line: &str, input: &Input<'_, '_>) -> Option<Self> {
        let name = statement::actor_name(input.context("user_id"));
        let time = parse(input.slim.time)?;
        let timestamp = statement::timestamp(time.as_ref()).ok()?;
        let mut buf = Vec::with_capacity(1024);
        buf.extend_from_slice(br#"{"id":""#);
        let id = uuid_v5(&converter.namespace, &[raw_line.as_bytes()]);
        buf.extend_from_slice(
            id.hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer())
                .as_bytes(),
        );
        buf.extend_from_slice(br#"","actor":{"account":{"homePage":"#);
        push_str(&mut buf, &converter.platform_url);
        buf.extend_from_slice(br#","name":"#);
        push_str(&mut buf, &name);
        buf.extend_from_slice(br#"},"objectType":"Agent"},"verb":{"id":"#);
        Some(Self {
            converter,
            buf,
            timestamp,
        })
    }

    /// The verb and the object up to its definition's members; the object `id` must be an IRI.
    fn object(&mut self, verb: &'static str, id: &str) -> Option<()> {
        if !iri::is_iri(id) {
            return None;
        }
        push_str(&mut self.buf, verb);
        self.buf.extend_from_slice(br#"},"object":{"id":"#);
        push_str(&mut self.buf, id);
        self.buf.extend_from_slice(br#","definition":{"#);
        Some(())
    }

    /// The object's activity type, closing the object.
    fn object_type(&mut self, activity_type: &str) {
        self.buf.extend_from_slice(br#""type":"#);
        push_str(&mut self.buf, activity_type);
        self.buf.extend_from_slice(b"}}");
    }

    /// `"context":{"contextActivities":{"category":[<profile>]}`, left open for extensions.
    fn context_with_profile(&mut self, profile: &str) {
        self.buf
            .extend_from_slice(br#","context":{"contextActivities":{"category":[{"id":"#);
        push_str(&mut self.buf, profile);
        self.buf.extend_from_slice(
            br#","definition":{"type":"http://adlnet.gov/expapi/activities/profile"}}]}"#,
        );
    }

    fn server(&mut self, event_type: &str) -> Option<()> {
        let id = format!("{}{event_type}", self.converter.platform_base);
        self.object(VIEWED, &id)?;
        self.object_type(PAGE_TYPE);
        Some(())
    }

    fn page_close(&mut self, input: &Input<'_, '_>) -> Option<()> {
        let page = parse(input.slim.page)?;
        let page = string(kept(page.as_ref()))?;
        self.object(TERMINATED, page)?;
        self.object_type(PAGE_TYPE);
        Some(())
    }

    fn video(&mut self, input: &Input<'_, '_>, kind: Video) -> Option<()> {
        let course_id = string(input.context("course_id"))?;
        let block = string(input.event("id"))?;
        if block.is_empty() {
            return None; // an empty activity name: the general path reports it
        }
        let session = match kept(parse(input.slim.session)?.as_ref()) {
            Some(session) => Some(formats::uuid(&session.to_value()).ok()?),
            None => None,
        };
        if session.is_none() && matches!(kind, Video::Load | Video::Pause | Video::Stop) {
            return None;
        }
        let agent = match kind {
            Video::Load => match kept(parse(input.slim.agent)?.as_ref()) {
                Some(agent) => Some(formats::string(&agent.to_value()).ok()?),
                None => None,
            },
            _ => None,
        };
        let result = match kind {
            Video::Load => None,
            Video::Play | Video::Pause | Video::Stop => {
                Some((TIME, non_negative(input.event("currentTime"))??, None))
            }
            Video::Seek => {
                let from = non_negative(input.event("old_time"))??;
                let to = non_negative(input.event("new_time"))??;
                Some((TIME_FROM, from, Some(to)))
            }
        };
        let verb = kind.verb();
        let id = format!(
            "{}/xblock/block-v1:{course_id}-course-v1:+type@video+block@{block}",
            self.converter.platform_base
        );
        self.object(verb, &id)?;
        self.buf.extend_from_slice(br#""name":{"en-US":"#);
        push_str(&mut self.buf, block);
        self.buf.extend_from_slice(b"},");
        self.object_type(VIDEO_TYPE);
        if let Some((key, value, to)) = result {
            self.buf.extend_from_slice(br#","result":{"extensions":{"#);
            push_str(&mut self.buf, key);
            self.buf.push(b':');
            push_float(&mut self.buf, value);
            if let Some(to) = to {
                self.buf.push(b',');
                push_str(&mut self.buf, TIME_TO);
                self.buf.push(b':');
                push_float(&mut self.buf, to);
            }
            if kind == Video::Stop {
                self.buf.push(b',');
                push_str(&mut self.buf, PROGRESS);
                self.buf.extend_from_slice(b":0.0");
            }
            self.buf.extend_from_slice(b"}}");
        }
        self.context_with_profile(VIDEO_PROFILE);
        let length = matches!(kind, Video::Load | Video::Pause | Video::Stop);
        if session.is_some() || length || agent.is_some() {
            self.buf.extend_from_slice(br#","extensions":{"#);
            let mut first = true;
            let mut member = |buf: &mut Vec<u8>, key: &str| {
                if !std::mem::take(&mut first) {
                    buf.push(b',');
                }
                push_str(buf, key);
                buf.push(b':');
            };
            if let Some(session) = &session {
                member(&mut self.buf, SESSION_ID);
                push_str(&mut self.buf, session);
            }
            if length {
                member(&mut self.buf, LENGTH);
                self.buf.extend_from_slice(b"0.0");
            }
            if let Some(agent) = &agent {
                member(&mut self.buf, USER_AGENT);
                push_str(&mut self.buf, agent);
            }
            self.buf.push(b'}');
        }
        self.buf.push(b'}');
        Some(())
    }

    fn enrollment(&mut self, input: &Input<'_, '_>, verb: &'static str) -> Option<()> {
        let course_id = string(input.event("course_id"))?;
        self.timestamp.as_ref()?;
        let id = format!(
            "{}/courses/{}/info",
            self.converter.platform_base,
            course_id.trim_matches('/')
        );
        self.object(verb, &id)?;
        self.object_type(COURSE_TYPE);
        self.context_with_profile(LMS_PROFILE);
        self.buf.push(b'}');
        Some(())
    }

    /// The timestamp and the version, closing the statement.
    fn finish(mut self) -> Option<String> {
        if let Some(timestamp) = &self.timestamp {
            self.buf.extend_from_slice(br#","timestamp":"#);
            push_str(&mut self.buf, timestamp);
        }
        self.buf.extend_from_slice(br#","version":"1.0.0"}"#);
        String::from_utf8(self.buf).ok()
    }
}

/// A float as the general path writes it (pydantic's text; `null` for a non-finite one).
fn push_float(buf: &mut Vec<u8>, value: f64) {
    if value.is_finite() {
        buf.extend_from_slice(edx::json::pydantic_float(value).as_bytes());
    } else {
        buf.extend_from_slice(b"null");
    }
}

/// `s` as a JSON string, escaped as `serde_json` escapes it.
fn push_str(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        // Writing into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *buf, s);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use uuid::Uuid;

    use super::*;
    use crate::{Slim, conversions};

    fn converter() -> Converter {
        let namespace = Uuid::parse_str("ee241f8b-174f-5bdb-bae9-c09de5fe017f").expect("a UUID");
        Converter::new(namespace, "https://lms.example.org/")
    }

    /// The general path's answer: the whole event decoded, the statement built as a tree.
    fn general(converter: &Converter, line: &str) -> Result<String, crate::ConvertError> {
        let event: Value = serde_json::from_str(line).expect("JSON");
        converter
            .convert_value(&event, line)
            .map(|statement| edx::json::to_string(&statement))
    }

    /// The fast path's answer, `None` when it leaves the line to the general path.
    fn fast(converter: &Converter, line: &str) -> Option<String> {
        let slim: Slim<'_> = serde_json::from_str(line).expect("a slim event");
        convert(converter, &slim, line)
    }

    /// The fixture input of each of Ralph's nine conversions, decoded.
    fn ralph_fixtures() -> Vec<Value> {
        conversions()
            .iter()
            .filter(|c| c.ralph)
            .map(|c| serde_json::from_str(c.example).expect("fixture"))
            .collect()
    }

    fn line(event: &Value) -> String {
        format!("{event}\n")
    }

    /// Sets `path` (`None`: removes it) in `event`, inside a JSON-string `event` too.
    fn set(event: &Value, path: &[&str], value: Option<&Value>) -> Value {
        let mut event = event.clone();
        let string_event = path.len() > 1 && path[0] == "event" && event["event"].is_string();
        let mut target = if string_event {
            serde_json::from_str(event["event"].as_str().expect("string")).expect("JSON event")
        } else {
            std::mem::take(&mut event)
        };
        let skip = usize::from(string_event);
        let mut node = &mut target;
        for key in &path[skip..path.len() - 1] {
            if !node.get(*key).is_some_and(Value::is_object) {
                node[*key] = json!({});
            }
            node = &mut node[*key];
        }
        let last = path[path.len() - 1];
        if let Value::Object(map) = node {
            match value {
                Some(value) => {
                    map.insert(last.to_owned(), value.clone());
                }
                None => {
                    map.shift_remove(last);
                }
            }
        }
        if string_event {
            event["event"] = Value::String(target.to_string());
            event
        } else {
            target
        }
    }

    #[test]
    fn every_fixture_of_ralphs_nine_takes_the_fast_path_and_agrees() {
        let converter = converter();
        let fixtures = ralph_fixtures();
        assert_eq!(fixtures.len(), 9);
        for event in &fixtures {
            let line = line(event);
            let fast = fast(&converter, &line).unwrap_or_else(|| panic!("not fast: {line}"));
            assert_eq!(Ok(fast), general(&converter, &line), "{line}");
        }
    }

    #[test]
    fn the_fast_path_agrees_with_the_general_path_on_variations() {
        let converter = converter();
        let values: Vec<Value> = vec![
            json!(null),
            json!(""),
            json!({}),
            json!([1]),
            json!({"a": 1}),
            json!(true),
            json!(false),
            json!(0),
            json!(42),
            json!(-1),
            json!(12.5),
            json!(1e20),
            json!("42"),
            json!("12.5"),
            json!("abc"),
            json!("a \"quoted\" \\ é \u{1} line\nbreak"),
            json!("a b"),
            json!("/x/"),
            json!("https://lms.example.org/page"),
            json!("course-v1:FUN+101+2024"),
            json!("0123456789abcdef0123456789abcdef"),
            json!("01234567-89ab-cdef-0123-456789abcdef"),
            json!("2024-01-15T10:00:00+00:00"),
            json!("2024-01-15T10:00:00.123456Z"),
            json!("2024-01-15 10:00:00"),
            json!("1e999"),
            json!(1_700_000_000),
        ];
        let paths: [&[&str]; 16] = [
            &["context", "user_id"],
            &["context", "course_id"],
            &["context", "path"],
            &["context"],
            &["time"],
            &["session"],
            &["agent"],
            &["page"],
            &["event"],
            &["event", "id"],
            &["event", "currentTime"],
            &["event", "old_time"],
            &["event", "new_time"],
            &["event", "course_id"],
            &["event_type"],
            &["username"],
        ];
        let (mut compared, mut fast_count) = (0, 0);
        for event in ralph_fixtures() {
            let mut variants = Vec::new();
            // The `event` field as an object and as a JSON string.
            if let Some(inner) = event.get("event") {
                let mut other = event.clone();
                other["event"] = match inner {
                    Value::String(s) => serde_json::from_str(s).expect("JSON event"),
                    object => Value::String(object.to_string()),
                };
                variants.push(other);
            }
            for path in paths {
                variants.push(set(&event, path, None));
                for value in &values {
                    variants.push(set(&event, path, Some(value)));
                }
            }
            for variant in variants {
                let line = line(&variant);
                if serde_json::from_str::<Slim<'_>>(&line).is_err() {
                    continue;
                }
                compared += 1;
                if let Some(fast) = fast(&converter, &line) {
                    fast_count += 1;
                    assert_eq!(Ok(fast), general(&converter, &line), "{line}");
                }
            }
        }
        // Both paths are exercised: many variations convert, many are left to the general path.
        assert!(compared > 3_000, "{compared}");
        assert!(fast_count > compared / 4, "{fast_count} of {compared}");
        assert!(fast_count < compared, "{fast_count} of {compared}");
    }

    #[test]
    fn a_platform_url_that_is_no_iri_is_left_to_the_general_path() {
        let namespace = Uuid::nil();
        let converter = Converter::new(namespace, "not a url");
        let line = line(&ralph_fixtures()[0]);
        assert_eq!(fast(&converter, &line), None);
        assert!(general(&converter, &line).is_err());
    }
}
