//! `proptest` strategies generating valid xAPI statements (feature `proptest`).
//!
//! Every generated statement is valid and already in normalised form: validating it and
//! serialising the result gives back the same JSON text. Use them to test code that consumes
//! statements:
//!
//! ```
//! use proptest::prelude::*;
//! use ralph_models::xapi::{self, strategies};
//!
//! proptest!(ProptestConfig::with_cases(16), |(statement in strategies::statement())| {
//!     prop_assert!(xapi::validate(&statement).is_ok());
//! });
//! ```

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::profiles::{Params, StatementType, statement_types};

const TAGS: &[&str] = &["en-US", "fr-FR", "en", "de-CH-1996", "zh-Hant-TW", "es-419"];

/// A random UUID.
pub fn uuid() -> BoxedStrategy<Uuid> {
    any::<u128>().prop_map(Uuid::from_u128).boxed()
}

/// A short word (`[a-z][a-z0-9]{0,7}`).
pub fn word() -> BoxedStrategy<String> {
    "[a-z][a-z0-9]{0,7}".boxed()
}

/// A non-empty text, possibly with spaces and non-ASCII letters.
pub fn text() -> BoxedStrategy<String> {
    "[a-zA-Zé0-9][a-zA-Zé0-9 .,'-]{0,15}".boxed()
}

/// An absolute IRI under `https://example.org/` (never one of a profile's).
pub fn iri() -> BoxedStrategy<String> {
    (
        select(vec![
            "https://example.org",
            "http://example.com:8080",
            "urn:example",
        ]),
        vec(word(), 1..4),
    )
        .prop_map(|(base, segs)| {
            if base.starts_with("urn") {
                format!("{base}:{}", segs.join(":"))
            } else {
                format!("{base}/{}", segs.join("/"))
            }
        })
        .boxed()
}

/// An IRL (`https://...`).
pub fn irl() -> BoxedStrategy<String> {
    vec(word(), 1..4)
        .prop_map(|segs| format!("https://example.org/{}", segs.join("/")))
        .boxed()
}

/// A language map with 1 to 3 entries.
pub fn language_map() -> BoxedStrategy<Value> {
    subsequence(TAGS.to_vec(), 1..=3)
        .prop_flat_map(|tags| {
            let n = tags.len();
            (Just(tags), vec(text(), n))
        })
        .prop_map(|(tags, texts)| {
            let map: Map<String, Value> = tags
                .into_iter()
                .zip(texts)
                .map(|(t, s)| (t.to_owned(), Value::String(s)))
                .collect();
            Value::Object(map)
        })
        .boxed()
}

/// An ISO 8601 timestamp in normalised form (`Z` or a non-zero offset).
pub fn timestamp() -> BoxedStrategy<String> {
    (
        (2000u32..2030, 1u32..=12, 1u32..=28),
        (0u32..24, 0u32..60, 0u32..60),
        option::of(0u32..1000),
        prop_oneof![
            Just(String::from("Z")),
            (1i32..=14, select(vec![0, 30])).prop_map(|(h, m)| {
                let sign = if h % 2 == 0 { '+' } else { '-' };
                format!("{sign}{:02}:{m:02}", h % 12 + 1)
            })
        ],
    )
        .prop_map(|((y, mo, d), (h, mi, s), ms, zone)| {
            let frac = ms.map(|ms| format!(".{ms:03}")).unwrap_or_default();
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{zone}")
        })
        .boxed()
}

/// A timestamp in UTC (`...Z`).
pub fn utc_timestamp() -> BoxedStrategy<String> {
    timestamp()
        .prop_map(|t| {
            let cut = t
                .rfind(['Z', '+', '-'])
                .filter(|&i| i > 10)
                .unwrap_or(t.len());
            format!("{}Z", &t[..cut])
        })
        .boxed()
}

/// An ISO 8601 duration.
pub fn duration() -> BoxedStrategy<String> {
    (
        option::of(0u32..5),
        option::of(0u32..12),
        option::of(0u32..30),
        option::of(0u32..24),
        option::of(0u32..60),
        option::of((0u32..60, option::of(0u32..100))),
    )
        .prop_map(|(y, mo, d, h, mi, s)| {
            let mut out = String::from("P");
            for (v, c) in [(y, 'Y'), (mo, 'M'), (d, 'D')] {
                if let Some(v) = v {
                    out.push_str(&format!("{v}{c}"));
                }
            }
            let mut time = String::new();
            for (v, c) in [(h, 'H'), (mi, 'M')] {
                if let Some(v) = v {
                    time.push_str(&format!("{v}{c}"));
                }
            }
            if let Some((s, frac)) = s {
                match frac {
                    Some(f) => time.push_str(&format!("{s}.{f}S")),
                    None => time.push_str(&format!("{s}S")),
                }
            }
            if !time.is_empty() {
                out.push('T');
                out.push_str(&time);
            }
            if out == "P" {
                out.push_str("0D");
            }
            out
        })
        .boxed()
}

/// The identifier of an agent or group, as a `(key, value)` pair.
pub fn ifi() -> BoxedStrategy<(String, Value)> {
    prop_oneof![
        (word(), word()).prop_map(|(l, d)| (
            "mbox".to_owned(),
            Value::from(format!("mailto:{l}.x@{d}.example.org"))
        )),
        "[0-9a-f]{40}".prop_map(|h| ("mbox_sha1sum".to_owned(), Value::from(h))),
        word().prop_map(|w| (
            "openid".to_owned(),
            Value::from(format!("https://openid.example.org/{w}"))
        )),
        (irl(), text()).prop_map(|(home, name)| (
            "account".to_owned(),
            json!({"homePage": home, "name": name})
        )),
    ]
    .boxed()
}

fn with_name(mut m: Map<String, Value>, name: Option<String>) -> Map<String, Value> {
    if let Some(name) = name {
        m.insert("name".into(), name.into());
    }
    m
}

/// An Agent (normalised: identifier, `objectType`, `name`).
pub fn agent() -> BoxedStrategy<Value> {
    (ifi(), option::of(text()))
        .prop_map(|((k, v), name)| {
            let mut m = Map::new();
            m.insert(k, v);
            m.insert("objectType".into(), "Agent".into());
            Value::Object(with_name(m, name))
        })
        .boxed()
}

/// A Group: identified (members optional) or anonymous (members required).
pub fn group() -> BoxedStrategy<Value> {
    (
        option::of(ifi()),
        option::of(text()),
        vec(agent(), 1..3),
        any::<bool>(),
    )
        .prop_map(|(ifi, name, members, with_members)| {
            let mut m = Map::new();
            let anonymous = ifi.is_none();
            if let Some((k, v)) = ifi {
                m.insert(k, v);
            }
            m.insert("objectType".into(), "Group".into());
            let mut m = with_name(m, name);
            if anonymous || with_members {
                m.insert("member".into(), Value::Array(members));
            }
            Value::Object(m)
        })
        .boxed()
}

/// An Agent or a Group.
pub fn actor() -> BoxedStrategy<Value> {
    prop_oneof![3 => agent(), 1 => group()].boxed()
}

/// A verb under `https://example.org/verbs/` (never a profile's).
pub fn verb() -> BoxedStrategy<Value> {
    (word(), option::of(language_map()))
        .prop_map(|(w, display)| {
            let mut m = Map::new();
            m.insert("id".into(), format!("https://example.org/verbs/{w}").into());
            if let Some(d) = display {
                m.insert("display".into(), d);
            }
            Value::Object(m)
        })
        .boxed()
}

/// Extensions: IRI keys, any JSON values (including `null` and `{}`, allowed there).
pub fn extensions() -> BoxedStrategy<Value> {
    let value = prop_oneof![
        Just(Value::Null),
        Just(json!({})),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        (0u32..10_000).prop_map(|n| Value::from(f64::from(n) / 8.0)),
        "[a-z ]{0,10}".prop_map(Value::from),
        vec(any::<u8>(), 0..3).prop_map(|v| json!(v)),
        text().prop_map(|t| json!({"nested": t, "empty": ""})),
    ];
    vec((word(), value), 1..4)
        .prop_map(|entries| {
            let map: Map<String, Value> = entries
                .into_iter()
                .map(|(k, v)| (format!("https://example.org/extensions/{k}"), v))
                .collect();
            Value::Object(map)
        })
        .boxed()
}

fn components(ids: &[String]) -> Value {
    let mut seen = Vec::new();
    let list: Vec<Value> = ids
        .iter()
        .filter(|id| {
            let new = !seen.contains(id);
            seen.push(*id);
            new
        })
        .map(|id| json!({"id": id, "description": {"en-US": format!("choice {id}")}}))
        .collect();
    Value::Array(list)
}

/// An activity definition: plain or an interaction (components with unique ids).
pub fn definition() -> BoxedStrategy<Value> {
    let plain = (
        option::of(language_map()),
        option::of(language_map()),
        option::of(iri()),
        option::of(irl()),
        option::of(extensions()),
    )
        .prop_map(|(name, description, ty, more_info, ext)| {
            let mut m = Map::new();
            for (k, v) in [
                ("name", name),
                ("description", description),
                ("type", ty.map(Value::from)),
                ("moreInfo", more_info.map(Value::from)),
                ("extensions", ext),
            ] {
                if let Some(v) = v {
                    m.insert(k.into(), v);
                }
            }
            if m.is_empty() {
                m.insert("type".into(), "https://example.org/types/activity".into());
            }
            Value::Object(m)
        });
    let interaction = (
        select(vec![
            "choice",
            "sequencing",
            "likert",
            "matching",
            "performance",
            "true-false",
            "fill-in",
            "numeric",
            "other",
            "long-fill-in",
        ]),
        vec(word(), 1..4),
        option::of(language_map()),
    )
        .prop_map(|(kind, ids, name)| {
            let mut m = Map::new();
            if let Some(name) = name {
                m.insert("name".into(), name);
            }
            m.insert(
                "type".into(),
                "http://adlnet.gov/expapi/activities/cmi.interaction".into(),
            );
            m.insert("interactionType".into(), kind.into());
            m.insert("correctResponsesPattern".into(), json!([ids.join("[,]")]));
            let lists: &[&str] = match kind {
                "choice" | "sequencing" => &["choices"],
                "likert" => &["scale"],
                "matching" => &["source", "target"],
                "performance" => &["steps"],
                _ => &[],
            };
            for key in lists {
                m.insert((*key).into(), components(&ids));
            }
            Value::Object(m)
        });
    prop_oneof![3 => plain, 1 => interaction].boxed()
}

/// An Activity.
pub fn activity() -> BoxedStrategy<Value> {
    (iri(), any::<bool>(), option::of(definition()))
        .prop_map(|(id, typed, def)| {
            let mut m = Map::new();
            m.insert("id".into(), id.into());
            if typed {
                m.insert("objectType".into(), "Activity".into());
            }
            if let Some(def) = def {
                m.insert("definition".into(), def);
            }
            Value::Object(m)
        })
        .boxed()
}

/// A statement reference.
pub fn statement_ref() -> BoxedStrategy<Value> {
    uuid()
        .prop_map(|id| json!({"id": id.to_string(), "objectType": "StatementRef"}))
        .boxed()
}

/// A result (never empty).
pub fn result() -> BoxedStrategy<Value> {
    let score = (
        option::of(-100i32..=100),
        option::of((0u32..50, 0u32..50, 0u32..50)),
    )
        .prop_map(|(scaled, range)| {
            let mut m = Map::new();
            if let Some(s) = scaled {
                m.insert("scaled".into(), (f64::from(s) / 100.0).into());
            }
            let (a, b, c) = range.unwrap_or((0, 5, 10));
            let mut v = [a, b, c];
            v.sort_unstable();
            m.insert("raw".into(), v[1].into());
            m.insert("min".into(), v[0].into());
            m.insert("max".into(), v[2].into());
            Value::Object(m)
        });
    (
        option::of(score),
        option::of(any::<bool>()),
        option::of(any::<bool>()),
        option::of(text()),
        option::of(duration()),
        option::of(extensions()),
    )
        .prop_map(|(score, success, completion, response, duration, ext)| {
            let mut m = Map::new();
            for (k, v) in [
                ("score", score),
                ("success", success.map(Value::from)),
                ("completion", completion.map(Value::from)),
                ("response", response.map(Value::from)),
                ("duration", duration.map(Value::from)),
                ("extensions", ext),
            ] {
                if let Some(v) = v {
                    m.insert(k.into(), v);
                }
            }
            if m.is_empty() {
                m.insert("success".into(), true.into());
            }
            Value::Object(m)
        })
        .boxed()
}

fn one_or_many() -> BoxedStrategy<Value> {
    prop_oneof![activity(), vec(activity(), 0..3).prop_map(Value::Array)].boxed()
}

/// Context activities (never empty).
pub fn context_activities() -> BoxedStrategy<Value> {
    (
        option::of(one_or_many()),
        option::of(one_or_many()),
        option::of(one_or_many()),
        option::of(one_or_many()),
    )
        .prop_map(|(parent, grouping, category, other)| {
            let mut m = Map::new();
            for (k, v) in [
                ("parent", parent),
                ("grouping", grouping),
                ("category", category),
                ("other", other),
            ] {
                if let Some(v) = v {
                    m.insert(k.into(), v);
                }
            }
            if m.is_empty() {
                m.insert("other".into(), json!([]));
            }
            Value::Object(m)
        })
        .boxed()
}

/// A context (never empty). `activity_object`: whether `revision` and `platform` may appear;
/// `v2`: whether xAPI 2.0 `contextAgents`/`contextGroups` may appear.
pub fn context(activity_object: bool, v2: bool) -> BoxedStrategy<Value> {
    (
        (
            option::of(uuid()),
            option::of(actor()),
            option::of(group()),
            option::of(context_activities()),
        ),
        (
            option::of(vec(agent(), 1..3)),
            option::of(vec(group(), 1..2)),
            option::of(vec(iri(), 1..3)),
        ),
        (
            option::of(text()),
            option::of(text()),
            option::of(select(TAGS.to_vec())),
            option::of(statement_ref()),
            option::of(extensions()),
        ),
    )
        .prop_map(
            move |(
                (registration, instructor, team, activities),
                (agents, groups, relevant),
                (revision, platform, language, statement, ext),
            )| {
                let mut m = Map::new();
                let relevant = relevant.map(|r| json!(r));
                let with_relevant = |mut item: Map<String, Value>| {
                    if let Some(r) = &relevant {
                        item.insert("relevantTypes".into(), r.clone());
                    }
                    Value::Object(item)
                };
                let agents = agents.filter(|_| v2).map(|list| {
                    Value::Array(
                        list.into_iter()
                            .map(|a| {
                                let mut item = Map::new();
                                item.insert("objectType".into(), "contextAgent".into());
                                item.insert("agent".into(), a);
                                with_relevant(item)
                            })
                            .collect(),
                    )
                });
                let groups = groups.filter(|_| v2).map(|list| {
                    Value::Array(
                        list.into_iter()
                            .map(|g| {
                                let mut item = Map::new();
                                item.insert("objectType".into(), "contextGroup".into());
                                item.insert("group".into(), g);
                                with_relevant(item)
                            })
                            .collect(),
                    )
                });
                for (k, v) in [
                    (
                        "registration",
                        registration.map(|u| Value::from(u.to_string())),
                    ),
                    ("instructor", instructor),
                    ("team", team),
                    ("contextActivities", activities),
                    ("contextAgents", agents),
                    ("contextGroups", groups),
                    (
                        "revision",
                        revision.filter(|_| activity_object).map(Value::from),
                    ),
                    (
                        "platform",
                        platform.filter(|_| activity_object).map(Value::from),
                    ),
                    ("language", language.map(Value::from)),
                    ("statement", statement),
                    ("extensions", ext),
                ] {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                }
                if m.is_empty() {
                    m.insert("language".into(), "en".into());
                }
                Value::Object(m)
            },
        )
        .boxed()
}

/// Attachments' metadata (1 or 2).
pub fn attachments() -> BoxedStrategy<Value> {
    vec(
        (
            iri(),
            language_map(),
            option::of(language_map()),
            select(vec![
                "application/json",
                "text/plain; charset=utf-8",
                "image/png",
            ]),
            0u64..1_000_000,
            "[0-9a-f]{64}",
            option::of(irl()),
        ),
        1..3,
    )
    .prop_map(|list| {
        Value::Array(
            list.into_iter()
                .map(
                    |(usage, display, description, content_type, length, sha2, file_url)| {
                        let mut m = Map::new();
                        m.insert("usageType".into(), usage.into());
                        m.insert("display".into(), display);
                        if let Some(d) = description {
                            m.insert("description".into(), d);
                        }
                        m.insert("contentType".into(), content_type.into());
                        m.insert("length".into(), length.into());
                        m.insert("sha2".into(), sha2.into());
                        if let Some(u) = file_url {
                            m.insert("fileUrl".into(), u.into());
                        }
                        Value::Object(m)
                    },
                )
                .collect(),
        )
    })
    .boxed()
}

fn maybe<S: Strategy<Value = Value> + 'static>(yes: bool, s: S) -> BoxedStrategy<Option<Value>> {
    if yes {
        s.prop_map(Some).boxed()
    } else {
        Just(None).boxed()
    }
}

/// A SubStatement (its object is never a SubStatement).
pub fn substatement() -> BoxedStrategy<Value> {
    (
        actor(),
        verb(),
        prop_oneof![activity(), agent(), statement_ref()],
        option::of(result()),
        any::<bool>(),
        option::of(timestamp()),
    )
        .prop_flat_map(|(actor, verb, object, result, with_context, ts)| {
            let is_activity = object.get("objectType").is_none_or(|t| t == "Activity");
            (
                Just((actor, verb, object, result, ts)),
                maybe(with_context, context(is_activity, false)),
            )
        })
        .prop_map(|((actor, verb, object, result, ts), context)| {
            let mut m = Map::new();
            m.insert("actor".into(), actor);
            m.insert("verb".into(), verb);
            m.insert("object".into(), object);
            m.insert("objectType".into(), "SubStatement".into());
            if let Some(r) = result {
                m.insert("result".into(), r);
            }
            if let Some(c) = context {
                m.insert("context".into(), c);
            }
            if let Some(t) = ts {
                m.insert("timestamp".into(), t.into());
            }
            Value::Object(m)
        })
        .boxed()
}

/// The object of a statement: Activity (most often), Agent, Group, StatementRef or SubStatement.
pub fn object() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => activity(),
        1 => agent(),
        1 => group(),
        1 => statement_ref(),
        1 => substatement(),
    ]
    .boxed()
}

/// A valid generic statement (matching no statement type), in normalised form.
pub fn statement() -> BoxedStrategy<Value> {
    (
        (option::of(uuid()), actor(), verb(), object()),
        (
            option::of(result()),
            any::<bool>(),
            option::of(timestamp()),
            option::of(timestamp()),
        ),
        (
            option::of(actor()),
            select(vec!["1.0.0", "1.0.3", "2.0.0"]),
            option::of(attachments()),
        ),
    )
        .prop_flat_map(
            |(head, (result, with_context, ts, stored), (authority, version, attachments))| {
                let is_activity = head.3.get("objectType").is_none_or(|t| t == "Activity");
                let v2 = version.starts_with('2');
                (
                    Just((head, result, ts, stored, authority, version, attachments)),
                    maybe(with_context, context(is_activity, v2)),
                )
            },
        )
        .prop_map(
            |(
                ((id, actor, verb, object), result, ts, stored, authority, version, attachments),
                context,
            )| {
                let mut m = Map::new();
                for (k, v) in [
                    ("id", id.map(|u| Value::from(u.to_string()))),
                    ("actor", Some(actor)),
                    ("verb", Some(verb)),
                    ("object", Some(object)),
                    ("result", result),
                    ("context", context),
                    ("timestamp", ts.map(Value::from)),
                    ("stored", stored.map(Value::from)),
                    ("authority", authority),
                    ("version", Some(Value::from(version))),
                    ("attachments", attachments),
                ] {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                }
                Value::Object(m)
            },
        )
        .boxed()
}

/// Random [`Params`] for the examples of statement types.
pub fn params() -> BoxedStrategy<Params> {
    (
        (
            uuid(),
            actor(),
            irl(),
            text(),
            iri(),
            option::of(language_map()),
        ),
        (
            utc_timestamp(),
            select(vec!["1.0.0", "1.0.3", "2.0.0"]),
            uuid(),
            uuid(),
        ),
        (
            (0u32..100_000),
            (0u32..100_000),
            (0u32..100_000),
            (0u32..=100),
            (0u8..=100),
        ),
        (any::<bool>(), text(), duration()),
    )
        .prop_map(
            |(
                (id, actor, home_page, account_name, object_id, name),
                (timestamp, version, registration, session),
                (time, time_to, length, ratio, percent),
                (flag, text, duration),
            )| Params {
                id,
                actor,
                home_page,
                account_name,
                object_id,
                name,
                timestamp,
                version: version.to_owned(),
                registration,
                session,
                time: f64::from(time) / 4.0,
                time_to: f64::from(time_to) / 4.0,
                length: f64::from(length) / 4.0,
                ratio: f64::from(ratio) / 100.0,
                percent,
                flag,
                text,
                duration,
            },
        )
        .boxed()
}

/// Valid statements of one statement type, in normalised form.
pub fn statement_of_type(statement_type: &'static StatementType) -> BoxedStrategy<Value> {
    params()
        .prop_map(move |p| statement_type.example_with(&p))
        .boxed()
}

/// A statement type and a valid statement of that type, over every statement type.
pub fn typed_statement() -> BoxedStrategy<(&'static StatementType, Value)> {
    let types = statement_types();
    (0..types.len(), params())
        .prop_map(move |(i, p)| (&types[i], types[i].example_with(&p)))
        .boxed()
}
