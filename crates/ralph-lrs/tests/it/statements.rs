//! The statements resource, about and the heartbeats.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{Lrs, id, statement};

#[tokio::test]
async fn post_one_then_get_it_back_with_what_the_lrs_sets() {
    let lrs = Lrs::new();
    let res = lrs.post("/xAPI/statements", &statement(1)).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json(), json!([id(1)]));
    assert_eq!(res.header("x-experience-api-version"), Some("1.0.3"));

    let res = lrs
        .get(&format!("/xAPI/statements?statementId={}", id(1)))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert!(
        res.header("last-modified")
            .is_some_and(|v| v.ends_with(" GMT"))
    );
    assert!(res.header("x-experience-api-consistent-through").is_some());
    let got = res.json();
    assert_eq!(got["id"], id(1));
    assert_eq!(got["authority"]["mbox"], "mailto:alice@example.org");
    assert_eq!(got["version"], "1.0.0");
    assert!(got["stored"].is_string());
    assert_eq!(
        got["timestamp"], got["stored"],
        "timestamp defaults to stored"
    );
}

#[tokio::test]
async fn post_assigns_ids_and_accepts_batches() {
    let lrs = Lrs::new();
    let mut s = statement(0);
    s.as_object_mut().expect("object").remove("id");
    let res = lrs
        .post("/xAPI/statements/", &json!([s.clone(), statement(2)]))
        .without_version()
        .header("X-Experience-API-Version", "2.0.0")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("x-experience-api-version"), Some("2.0.0"));
    let ids = res.json();
    assert_eq!(ids.as_array().map(Vec::len), Some(2));
    assert!(uuid::Uuid::try_parse(ids[0].as_str().expect("id")).is_ok());
    assert_eq!(ids[1], id(2));
    let got = lrs
        .get(&format!(
            "/xAPI/statements?statementId={}",
            ids[0].as_str().expect("id")
        ))
        .send()
        .await
        .json();
    assert_eq!(got["version"], "2.0.0");
}

#[tokio::test]
async fn reposting_is_204_and_a_different_statement_is_409() {
    let lrs = Lrs::new();
    lrs.post("/xAPI/statements", &statement(1)).send().await;
    let res = lrs.post("/xAPI/statements", &statement(1)).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(res.bytes.is_empty());
    let mut different = statement(1);
    different["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/failed");
    let res = lrs
        .post("/xAPI/statements", &json!([statement(2), different]))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(
        res.json()["detail"]
            .as_str()
            .expect("detail")
            .contains(&id(1))
    );
    let res = lrs
        .get(&format!("/xAPI/statements?statementId={}", id(2)))
        .send()
        .await;
    assert_eq!(
        res.status,
        StatusCode::NOT_FOUND,
        "nothing of a refused batch is stored"
    );
}

#[tokio::test]
async fn put_stores_once_and_checks_the_id() {
    let lrs = Lrs::new();
    let uri = format!("/xAPI/statements?statementId={}", id(1));
    let res = lrs.put(&uri, &statement(1)).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = lrs.put(&uri, &statement(1)).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let mut different = statement(1);
    different["object"]["id"] = json!("http://example.org/other");
    assert_eq!(
        lrs.put(&uri, &different).send().await.status,
        StatusCode::CONFLICT
    );

    let res = lrs.put(&uri, &statement(2)).send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = lrs.put("/xAPI/statements", &statement(3)).send().await;
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "statementId is required"
    );
    let mut no_id = statement(0);
    no_id.as_object_mut().expect("object").remove("id");
    let res = lrs
        .put(&format!("/xAPI/statements/?statementId={}", id(4)), &no_id)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let got = lrs
        .get(&format!("/xAPI/statements?statementId={}", id(4)))
        .send()
        .await
        .json();
    assert_eq!(got["id"], id(4));
}

#[tokio::test]
async fn invalid_input_is_400_with_a_path() {
    let lrs = Lrs::new();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"verb": {"id": "http://v"}, "object": {"id": "http://o"}}),
            "actor: required",
        ),
        (
            json!([statement(1), {"actor": {"mbox": "nope"}, "verb": {"id": "v"}, "object": {"id": "o"}}]),
            "statements[1].actor.mbox",
        ),
        (json!([]), "cannot be empty"),
        (json!(42), "a statement or a list"),
        (json!([statement(1), statement(1)]), "more than once"),
    ];
    for (body, expected) in cases {
        let res = lrs.post("/xAPI/statements", &body).send().await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}");
        let detail = res.json()["detail"].as_str().expect("detail").to_owned();
        assert!(
            detail.contains(expected),
            "{detail} should contain {expected}"
        );
    }
    let res = lrs
        .req(Method::POST, "/xAPI/statements")
        .raw("application/json", "{not json")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.json()["detail"]
            .as_str()
            .expect("detail")
            .contains("invalid JSON")
    );
    let res = lrs
        .req(Method::POST, "/xAPI/statements")
        .raw("text/plain", "{}")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = lrs.get("/xAPI/statements?foo=bar").send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.json()["detail"]
            .as_str()
            .expect("detail")
            .contains("`foo`")
    );
    for query in [
        "limit=-1",
        "limit=x",
        "agent=notjson",
        "agent=%7B%22name%22%3A%22x%22%7D",
        "since=yesterday",
        "registration=nope",
        "format=full",
        "ascending=maybe",
        "cursor=abc",
        "statementId=nope",
        "statementId=00000000-0000-4000-8000-000000000001&verb=http%3A%2F%2Fv",
        "statementId=00000000-0000-4000-8000-000000000001&voidedStatementId=00000000-0000-4000-8000-000000000002",
    ] {
        let res = lrs.get(&format!("/xAPI/statements?{query}")).send().await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(res.json()["detail"].is_string());
    }
}

#[tokio::test]
async fn the_version_header_is_required_and_checked() {
    let lrs = Lrs::new();
    let res = lrs.get("/xAPI/statements").without_version().send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.header("x-experience-api-version"), Some("2.0.0"));
    let res = lrs
        .get("/xAPI/statements")
        .without_version()
        .header("X-Experience-API-Version", "0.95")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = lrs
        .get("/xAPI/about")
        .without_version()
        .by(None)
        .send()
        .await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "about needs no version nor auth"
    );
    assert!(res.header("x-experience-api-version").is_some());
    let versions = res.json()["version"].clone();
    assert!(versions.as_array().expect("list").contains(&json!("2.0.0")));
    assert!(versions.as_array().expect("list").contains(&json!("1.0.3")));
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let lrs = Lrs::with(|c| c.runserver_max_body_size = 1024);
    let batch: Vec<Value> = (1..=50).map(statement).collect();
    let res = lrs.post("/xAPI/statements", &json!(batch)).send().await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.json()["detail"].is_string());
}

#[tokio::test]
async fn large_batches_pass_the_default_limit() {
    let lrs = Lrs::new();
    // ~3 MB, over axum's 2 MB default.
    let mut batch: Vec<Value> = Vec::new();
    for n in 1..=1000 {
        let mut s = statement(n);
        s["result"] = json!({"response": "x".repeat(3000)});
        batch.push(s);
    }
    let res = lrs.post("/xAPI/statements", &json!(batch)).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json().as_array().map(Vec::len), Some(1000));
}

#[tokio::test]
async fn a_large_batch_names_its_first_invalid_statement_and_stores_nothing() {
    let lrs = Lrs::new();
    let mut batch: Vec<Value> = (1..=3000).map(statement).collect();
    batch[2999]["actor"]["mbox"] = json!("not-a-mailto");
    batch[1700]["verb"] = json!({});
    let res = lrs.post("/xAPI/statements", &json!(batch)).send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let detail = res.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.starts_with("statements[1700].verb"), "{detail}");
    let res = lrs.get("/xAPI/statements").send().await;
    assert_eq!(res.json()["statements"], json!([]), "nothing stored");
}

#[tokio::test]
async fn an_invalid_statement_is_reported_before_a_conflict_earlier_in_the_batch() {
    let lrs = Lrs::new();
    let res = lrs.post("/xAPI/statements", &statement(5)).send().await;
    assert_eq!(res.status, StatusCode::OK);
    // Statement 5 comes back with another verb in the first chunk (a conflict the store sees
    // first), and statement 2500, far after it, is invalid.
    let mut batch: Vec<Value> = (1..=3000).map(statement).collect();
    batch[4]["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/failed");
    batch[2500]["verb"] = json!({});
    let res = lrs.post("/xAPI/statements", &json!(batch)).send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{:?}", res.json());
    let detail = res.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.starts_with("statements[2500].verb"), "{detail}");
    // Without the invalid statement, the conflict is the answer; nothing is stored either way.
    batch[2500]["verb"] = statement(2501)["verb"].clone();
    let res = lrs.post("/xAPI/statements", &json!(batch)).send().await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{:?}", res.json());
    let res = lrs.get("/xAPI/statements").send().await;
    assert_eq!(res.json()["statements"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_list_is_refused_in_the_order_of_the_general_path_and_stores_nothing() {
    let lrs = Lrs::new();
    let attachment = json!([{
        "usageType": "http://example.org/usage",
        "display": {"en-US": "data"},
        "contentType": "text/plain",
        "length": 4,
        "sha2": "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7"
    }]);
    let detail = |res: &crate::Res| res.json()["detail"].as_str().unwrap_or_default().to_owned();
    let mut batch: Vec<Value> = (1..=3000).map(statement).collect();
    // An id sent twice, an attachment without its part, then an invalid statement.
    batch[1000]["id"] = batch[10]["id"].clone();
    batch[2000]["attachments"] = attachment;
    batch[2900]["verb"] = json!({});
    let cases = [
        ("statements[2900].verb", 2900),
        ("statements[2000].attachments[0]", 2000),
        ("statement id", 1000),
    ];
    for (expected, fixed) in cases {
        let res = lrs.post("/xAPI/statements", &json!(batch)).send().await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{expected}");
        assert!(
            detail(&res).starts_with(expected),
            "{expected}: {}",
            detail(&res)
        );
        batch[fixed] = statement(fixed as u64 + 1);
    }
    // Invalid JSON far into a list.
    let text = json!(batch).to_string();
    let broken = format!("{},{{\"id\": }}]", &text[..text.len() - 1]);
    let res = lrs
        .req(Method::POST, "/xAPI/statements")
        .raw("application/json", broken)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        detail(&res).starts_with("invalid JSON body"),
        "{}",
        detail(&res)
    );
    let res = lrs.get("/xAPI/statements").send().await;
    assert_eq!(res.json()["statements"], json!([]), "nothing stored");
    // Once all is well, the list is stored.
    let res = lrs.post("/xAPI/statements", &json!(batch)).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", detail(&res));
    assert_eq!(res.json().as_array().map(Vec::len), Some(3000));
}

async fn seed(lrs: &Lrs) {
    let mut s1 = statement(1);
    s1["context"] = json!({
        "registration": "6f3c4e0a-0000-4000-8000-000000000001",
        "instructor": {"mbox": "mailto:teacher@example.org"},
        "contextActivities": {"parent": [{"id": "http://example.org/program"}]},
    });
    let mut s2 = statement(2);
    s2["actor"] = json!({"mbox": "mailto:other@example.org"});
    s2["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/failed");
    let mut s3 = statement(3);
    s3["object"] = json!({"id": "http://example.org/program"});
    for s in [s1, s2, s3] {
        let res = lrs.post("/xAPI/statements", &s).send().await;
        assert_eq!(res.status, StatusCode::OK);
    }
}

async fn ids_of(lrs: &Lrs, query: &str) -> Vec<String> {
    let res = lrs.get(&format!("/xAPI/statements?{query}")).send().await;
    assert_eq!(res.status, StatusCode::OK, "{query}: {:?}", res.json());
    res.json()["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn get_filters() {
    let lrs = Lrs::new();
    seed(&lrs).await;
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    assert_eq!(ids_of(&lrs, "").await, vec![id(3), id(2), id(1)]);
    assert_eq!(
        ids_of(&lrs, "ascending=true").await,
        vec![id(1), id(2), id(3)]
    );
    let learner = enc(r#"{"mbox":"mailto:learner@example.org"}"#);
    assert_eq!(
        ids_of(&lrs, &format!("agent={learner}")).await,
        vec![id(3), id(1)]
    );
    let teacher = enc(r#"{"mbox":"mailto:teacher@example.org"}"#);
    assert!(ids_of(&lrs, &format!("agent={teacher}")).await.is_empty());
    assert_eq!(
        ids_of(&lrs, &format!("agent={teacher}&related_agents=true")).await,
        vec![id(1)]
    );
    assert_eq!(
        ids_of(
            &lrs,
            &format!("verb={}", enc("http://adlnet.gov/expapi/verbs/failed"))
        )
        .await,
        vec![id(2)]
    );
    let program = enc("http://example.org/program");
    assert_eq!(
        ids_of(&lrs, &format!("activity={program}")).await,
        vec![id(3)]
    );
    assert_eq!(
        ids_of(&lrs, &format!("activity={program}&related_activities=true")).await,
        vec![id(3), id(1)]
    );
    assert_eq!(
        ids_of(&lrs, "registration=6f3c4e0a-0000-4000-8000-000000000001").await,
        vec![id(1)]
    );
    assert_eq!(ids_of(&lrs, "since=2000-01-01T00:00:00Z").await.len(), 3);
    assert!(ids_of(&lrs, "until=2000-01-01T00:00:00Z").await.is_empty());
    assert_eq!(ids_of(&lrs, "mine=true").await.len(), 3);
}

#[tokio::test]
async fn more_links_page_through_everything() {
    let lrs = Lrs::new();
    let batch: Vec<Value> = (1..=5).map(statement).collect();
    lrs.post("/xAPI/statements", &json!(batch)).send().await;
    let mut uri = "/xAPI/statements?limit=2&format=ids".to_owned();
    let mut seen = Vec::new();
    loop {
        let page = lrs.get(&uri).send().await.json();
        for s in page["statements"].as_array().expect("list") {
            seen.push(s["id"].as_str().expect("id").to_owned());
            assert_eq!(
                s["verb"],
                json!({"id": "http://adlnet.gov/expapi/verbs/completed"})
            );
        }
        let more = page["more"].as_str().expect("more is a string");
        if more.is_empty() {
            break;
        }
        assert!(more.starts_with("/xAPI/statements?"), "{more}");
        assert!(more.contains("format=ids"), "filters are kept: {more}");
        uri = more.to_owned();
    }
    assert_eq!(seen, (1..=5).rev().map(id).collect::<Vec<_>>());
    let page = lrs.get("/xAPI/statements?limit=5").send().await.json();
    assert_eq!(page["more"], "", "a full last page has no more link");
}

#[tokio::test]
async fn formats_and_languages() {
    let lrs = Lrs::new();
    lrs.post("/xAPI/statements", &statement(1)).send().await;
    let uri = format!("/xAPI/statements?statementId={}&format=canonical", id(1));
    let got = lrs
        .get(&uri)
        .header("Accept-Language", "fr")
        .send()
        .await
        .json();
    assert_eq!(got["verb"]["display"], json!({"fr-FR": "a terminé"}));
    let uri = format!("/xAPI/statements?statementId={}&format=ids", id(1));
    let got = lrs.get(&uri).send().await.json();
    // An activity is identified by its id alone.
    assert_eq!(got["object"], json!({"id": "http://example.org/course"}));
    let uri = format!("/xAPI/statements?statementId={}&format=exact", id(1));
    let got = lrs.get(&uri).send().await.json();
    assert_eq!(got["object"]["definition"]["name"]["en-US"], "Course");
}

#[tokio::test]
async fn voiding() {
    let lrs = Lrs::new();
    lrs.post("/xAPI/statements", &statement(1)).send().await;
    let voiding = json!({
        "id": id(10),
        "actor": {"mbox": "mailto:admin@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": id(1)},
    });
    assert_eq!(
        lrs.post("/xAPI/statements", &voiding).send().await.status,
        StatusCode::OK
    );
    let res = lrs
        .get(&format!("/xAPI/statements?statementId={}", id(1)))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = lrs
        .get(&format!("/xAPI/statements?voidedStatementId={}", id(1)))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["id"], id(1));
    let res = lrs
        .get(&format!("/xAPI/statements?voidedStatementId={}", id(10)))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "not voided");
    assert_eq!(ids_of(&lrs, "").await, vec![id(10)]);
    let mut void_the_voiding = voiding.clone();
    void_the_voiding["id"] = json!(id(11));
    void_the_voiding["object"]["id"] = json!(id(10));
    let res = lrs.post("/xAPI/statements", &void_the_voiding).send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let lrs = Lrs::new();
    lrs.post("/xAPI/statements", &statement(1)).send().await;
    let res = lrs.req(Method::HEAD, "/xAPI/statements").send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.bytes.is_empty());
    assert!(res.header("last-modified").is_some());
    let res = lrs
        .req(
            Method::HEAD,
            &format!("/xAPI/statements/?statementId={}", id(9)),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn other_methods_and_routes() {
    let lrs = Lrs::new();
    let res = lrs.req(Method::DELETE, "/xAPI/statements").send().await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    let res = lrs.get("/xAPI/activities").send().await;
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "activityId is required"
    );
    let res = lrs.get("/xAPI/nothing-here").send().await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn heartbeats() {
    let lrs = Lrs::new();
    let res = lrs
        .get("/__heartbeat__")
        .without_version()
        .by(None)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json(), json!({"database": "ok"}));
    let res = lrs
        .get("/__lbheartbeat__")
        .without_version()
        .by(None)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json(), Value::Null);
}

#[tokio::test]
async fn every_statement_get_carries_consistent_through_even_on_errors() {
    let lrs = Lrs::new();
    for (path, status) in [
        ("/xAPI/statements", StatusCode::OK),
        (
            "/xAPI/statements?statementId=00000000-0000-4000-8000-000000000001&verb=http%3A%2F%2Fv",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/xAPI/statements?statementId=00000000-0000-4000-8000-000000000009",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let res = lrs.get(path).send().await;
        assert_eq!(res.status, status, "{path}");
        let through = res
            .header("x-experience-api-consistent-through")
            .expect(path);
        assert!(
            chrono::DateTime::parse_from_rfc3339(through).is_ok(),
            "{through}"
        );
    }
}
