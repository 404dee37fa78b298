//! The document resources, `/activities`, `/agents`, attachments and signed statements.

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::{Lrs, id, statement};

const AGENT: &str = r#"{"mbox":"mailto:learner@example.org"}"#;

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn state_uri(state_id: Option<&str>) -> String {
    let mut uri = format!(
        "/xAPI/activities/state?activityId={}&agent={}",
        encode("http://example.org/course"),
        encode(AGENT)
    );
    if let Some(state_id) = state_id {
        uri.push_str(&format!("&stateId={state_id}"));
    }
    uri
}

fn profile_uri(profile_id: Option<&str>) -> String {
    let mut uri = format!(
        "/xAPI/activities/profile?activityId={}",
        encode("http://example.org/course")
    );
    if let Some(profile_id) = profile_id {
        uri.push_str(&format!("&profileId={profile_id}"));
    }
    uri
}

#[tokio::test]
async fn a_state_document_round_trips_with_its_etag_and_content_type() {
    let lrs = Lrs::new();
    let res = lrs
        .req(Method::PUT, &state_uri(Some("bookmark")))
        .raw("text/plain", "page 3")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = lrs.get(&state_uri(Some("bookmark"))).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.bytes, b"page 3");
    assert_eq!(res.header("content-type"), Some("text/plain"));
    let etag = res.header("etag").expect("etag").to_owned();
    assert_eq!(
        etag,
        format!("\"{}\"", ralph_core::lrs::etag_of(b"page 3")),
        "the quoted SHA-1 of the content"
    );
    assert!(res.header("last-modified").is_some());
    // HEAD answers the same headers without the body.
    let head = lrs
        .req(Method::HEAD, &state_uri(Some("bookmark")))
        .send()
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.bytes.is_empty());
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    // The ids of the scope.
    let res = lrs.get(&state_uri(None)).send().await;
    assert_eq!(res.json(), json!(["bookmark"]));
    let missing = lrs.get(&state_uri(Some("other"))).send().await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn post_merges_json_objects_and_refuses_anything_else() {
    let lrs = Lrs::new();
    let uri = profile_uri(Some("settings"));
    let res = lrs.post(&uri, &json!({"a": 1, "b": {"x": 1}})).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = lrs.post(&uri, &json!({"b": {"y": 2}, "c": 3})).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = lrs.get(&uri).send().await;
    assert_eq!(
        res.json(),
        json!({"a": 1, "b": {"y": 2}, "c": 3}),
        "top-level properties of the new document win"
    );
    let res = lrs.post(&uri, &json!([1, 2])).send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = lrs
        .req(Method::POST, &uri)
        .raw("text/plain", "text")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn etags_guard_profile_writes() {
    let lrs = Lrs::new();
    let uri = profile_uri(Some("p"));
    let res = lrs.put(&uri, &json!({"v": 1})).send().await;
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "xAPI 1.0.x: a profile PUT says what it expects"
    );
    let res = lrs
        .put(&uri, &json!({"v": 1}))
        .header("If-None-Match", "*")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let etag = lrs
        .get(&uri)
        .send()
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    // A blind overwrite of an existing profile is a conflict, in every version.
    let res = lrs.put(&uri, &json!({"v": 2})).send().await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let res = lrs
        .put(&uri, &json!({"v": 2}))
        .without_version()
        .header("X-Experience-API-Version", "2.0.0")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let res = lrs
        .put(&uri, &json!({"v": 2}))
        .header("If-Match", "\"0000000000000000000000000000000000000000\"")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::PRECONDITION_FAILED);
    let res = lrs
        .put(&uri, &json!({"v": 2}))
        .header("If-None-Match", "*")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(lrs.get(&uri).send().await.json(), json!({"v": 1}));
    let res = lrs
        .put(&uri, &json!({"v": 2}))
        .header("If-Match", &etag)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(lrs.get(&uri).send().await.json(), json!({"v": 2}));
    let res = lrs
        .req(Method::DELETE, &uri)
        .header("If-Match", &etag)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::PRECONDITION_FAILED, "stale etag");
    let res = lrs.req(Method::DELETE, &uri).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(lrs.get(&uri).send().await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_without_state_id_deletes_the_scope() {
    let lrs = Lrs::new();
    for name in ["a", "b"] {
        lrs.put(&state_uri(Some(name)), &json!({})).send().await;
    }
    let res = lrs.req(Method::DELETE, &state_uri(None)).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(lrs.get(&state_uri(None)).send().await.json(), json!([]));
}

#[tokio::test]
async fn bad_parameters_are_400_and_scopes_are_checked() {
    let lrs = Lrs::new();
    for uri in [
        "/xAPI/activities/state?activityId=http%3A%2F%2Fa&stateId=s".to_owned(),
        format!(
            "/xAPI/activities/state?activityId=not-an-iri&agent={}&stateId=s",
            encode(AGENT)
        ),
        format!(
            "/xAPI/activities/state?activityId=http%3A%2F%2Fa&agent={}&stateId=s",
            encode(r#"{"mbox":"learner@example.org"}"#)
        ),
        format!("{}&registration=nope", state_uri(Some("s"))),
        "/xAPI/agents/profile?profileId=p".to_owned(),
    ] {
        let res = lrs.get(&uri).send().await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{uri}");
    }
    let scoped = Lrs::with(|config| config.lrs_restrict_by_scopes = true);
    let res = scoped
        .get(&state_uri(Some("s")))
        .by(Some("writer"))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn activities_and_agents_are_built_from_statements() {
    let lrs = Lrs::new();
    let mut named = statement(1);
    named["actor"]["name"] = json!("Learner");
    assert_eq!(
        lrs.post("/xAPI/statements", &named).send().await.status,
        StatusCode::OK
    );
    let res = lrs
        .get(&format!(
            "/xAPI/activities?activityId={}",
            encode("http://example.org/course")
        ))
        .send()
        .await;
    assert_eq!(
        res.json(),
        json!({"objectType": "Activity", "id": "http://example.org/course",
               "definition": {"name": {"en-US": "Course", "fr-FR": "Cours"}}})
    );
    let res = lrs
        .get(&format!("/xAPI/agents?agent={}", encode(AGENT)))
        .send()
        .await;
    assert_eq!(
        res.json(),
        json!({"objectType": "Person", "name": ["Learner"], "mbox": ["mailto:learner@example.org"]})
    );
}

fn sha256(content: &[u8]) -> String {
    ralph_core::lrs::sha256_hex(content)
}

fn multipart(statements: &Value, parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = b"--xyz\r\nContent-Type: application/json\r\n\r\n".to_vec();
    body.extend_from_slice(statements.to_string().as_bytes());
    for (content_type, content) in parts {
        body.extend_from_slice(
            format!(
                "\r\n--xyz\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n\
                 X-Experience-API-Hash: {}\r\n\r\n",
                sha256(content)
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
    }
    body.extend_from_slice(b"\r\n--xyz--\r\n");
    body
}

fn with_attachment(n: u64, content: &[u8]) -> Value {
    let mut s = statement(n);
    s["attachments"] = json!([{
        "usageType": "http://example.org/usage/notes",
        "display": {"en-US": "notes"},
        "contentType": "text/plain",
        "length": content.len(),
        "sha2": sha256(content),
    }]);
    s
}

#[tokio::test]
async fn attachments_are_stored_and_returned_as_multipart() {
    let lrs = Lrs::new();
    let content = b"here is a simple attachment\r\n--xyz not a delimiter";
    let s = with_attachment(1, content);
    let res = lrs
        .req(Method::POST, "/xAPI/statements")
        .raw(
            "multipart/mixed; boundary=xyz",
            multipart(&s, &[("text/plain", content)]),
        )
        .send()
        .await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&res.bytes)
    );
    let res = lrs
        .get(&format!(
            "/xAPI/statements?statementId={}&attachments=true",
            id(1)
        ))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let content_type = res.header("content-type").expect("content type").to_owned();
    assert!(
        content_type.starts_with("multipart/mixed; boundary="),
        "{content_type}"
    );
    let boundary = content_type.rsplit('=').next().expect("boundary");
    let text = String::from_utf8_lossy(&res.bytes).into_owned();
    let parts: Vec<&str> = text.split(&format!("--{boundary}")).collect();
    assert_eq!(
        parts.len(),
        4,
        "preamble, statement, attachment, end: {text}"
    );
    assert!(parts[1].contains("application/json") && parts[1].contains(&id(1)));
    assert!(parts[2].contains(&format!("X-Experience-API-Hash: {}", sha256(content))));
    assert!(parts[2].contains("here is a simple attachment"));
    // Without `attachments=true`, plain JSON.
    let res = lrs
        .get(&format!("/xAPI/statements?statementId={}", id(1)))
        .send()
        .await;
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
}

#[tokio::test]
async fn attachment_parts_must_match_their_statements() {
    let lrs = Lrs::new();
    let content = b"data";
    let s = with_attachment(1, content);
    // No part for an attachment without fileUrl.
    let res = lrs.post("/xAPI/statements", &s).send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // A part whose content does not match its hash.
    let mut body = multipart(&s, &[("text/plain", content)]);
    let at = body.len() - b"data\r\n--xyz--\r\n".len();
    body[at] = b'D';
    let res = lrs
        .req(Method::POST, "/xAPI/statements")
        .raw("multipart/mixed; boundary=xyz", body)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // A part no statement declares.
    let res = lrs
        .req(Method::POST, "/xAPI/statements")
        .raw(
            "multipart/mixed; boundary=xyz",
            multipart(&statement(2), &[("text/plain", content)]),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // A fileUrl attachment needs no part.
    let mut by_url = with_attachment(3, content);
    by_url["attachments"][0]["fileUrl"] = json!("http://example.org/data.txt");
    let res = lrs.post("/xAPI/statements", &by_url).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        lrs.get("/xAPI/statements").send().await.json()["statements"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

fn signed_body(statement: &Value, alg: &str, payload: &Value) -> Vec<u8> {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let jws = format!("{header}.{payload}.c2lnbmF0dXJl");
    let mut signed = statement.clone();
    signed["attachments"] = json!([{
        "usageType": "http://adlnet.gov/expapi/attachments/signature",
        "display": {"en-US": "signature"},
        "contentType": "application/octet-stream",
        "length": jws.len(),
        "sha2": sha256(jws.as_bytes()),
    }]);
    multipart(&signed, &[("application/octet-stream", jws.as_bytes())])
}

#[tokio::test]
async fn signed_statements_are_checked() {
    let lrs = Lrs::new();
    let post = |body: Vec<u8>| {
        lrs.req(Method::POST, "/xAPI/statements")
            .raw("multipart/mixed; boundary=xyz", body)
            .send()
    };
    let s = statement(1);
    assert_eq!(
        post(signed_body(&s, "RS256", &s)).await.status,
        StatusCode::OK
    );
    let s = statement(2);
    let res = post(signed_body(&s, "HS256", &s)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("HS256"))
    );
    let mut other = s.clone();
    other["verb"]["id"] = Value::String("http://example.org/other".into());
    assert_eq!(
        post(signed_body(&s, "RS512", &other)).await.status,
        StatusCode::BAD_REQUEST,
        "the payload must be the statement"
    );
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn the_alternate_request_syntax_stands_for_any_request() {
    let lrs = Lrs::new();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("alice:{}", crate::PASSWORD))
    );
    let statement = statement(1).to_string();
    let put = form(&[
        ("statementId", &id(1)),
        ("content", &statement),
        ("Authorization", &auth),
        ("X-Experience-API-Version", "1.0.3"),
        ("Content-Type", "application/json"),
    ]);
    let res = lrs
        .req(Method::POST, "/xAPI/statements?method=PUT")
        .by(None)
        .without_version()
        .raw("application/x-www-form-urlencoded", put)
        .send()
        .await;
    assert_eq!(
        res.status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&res.bytes)
    );
    let get = form(&[
        ("statementId", &id(1)),
        ("Authorization", &auth),
        ("X-Experience-API-Version", "1.0.3"),
    ]);
    let res = lrs
        .req(Method::POST, "/xAPI/statements?method=GET")
        .by(None)
        .without_version()
        .raw("application/x-www-form-urlencoded", get)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["id"], json!(id(1)));
    // Not in xAPI 2.0.
    let get_2 = form(&[
        ("statementId", &id(1)),
        ("Authorization", &auth),
        ("X-Experience-API-Version", "2.0.0"),
    ]);
    let res = lrs
        .req(Method::POST, "/xAPI/statements?method=GET")
        .by(None)
        .without_version()
        .raw("application/x-www-form-urlencoded", get_2)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // Only `method` in the query, and a form body.
    let res = lrs
        .req(Method::POST, "/xAPI/statements?method=GET&limit=1")
        .raw("application/x-www-form-urlencoded", "")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = lrs
        .req(Method::POST, "/xAPI/statements?method=GET")
        .raw("application/json", "{}")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}
