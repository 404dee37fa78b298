//! `POST ?partialSuccess=` / `?ignoreInvalid=` and `LRS_PARTIAL_SUCCESS_DEFAULT`.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{Lrs, id, statement};

fn invalid() -> Value {
    json!({"actor": {"mbox": "not-a-mailto"}, "verb": {"id": "http://v"}, "object": {"id": "http://o"}})
}

#[tokio::test]
async fn valid_statements_are_stored_and_invalid_ones_reported_by_index() {
    let lrs = Lrs::new();
    let body = json!([statement(1), invalid(), statement(2), 42, statement(1)]);
    let res = lrs
        .post("/xAPI/statements?partialSuccess=true", &body)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let report = res.json();
    assert_eq!(report["inserted"], 2);
    assert_eq!(report["rejected"], 3);
    assert_eq!(report["ids"], json!([id(1), id(2)]));
    let indexes: Vec<&Value> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| &e["index"])
        .collect();
    assert_eq!(indexes, vec![&json!(1), &json!(3), &json!(4)]);
    assert!(
        report["errors"][0]["reason"]
            .as_str()
            .expect("reason")
            .contains("actor.mbox"),
        "{report}"
    );
    assert!(
        report["errors"][2]["reason"]
            .as_str()
            .expect("reason")
            .contains("more than once")
    );
    let res = lrs
        .get(&format!("/xAPI/statements?statementId={}", id(2)))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test]
async fn ignore_invalid_is_an_alias_and_wins() {
    let lrs = Lrs::new();
    let res = lrs
        .post(
            "/xAPI/statements?ignoreInvalid=true&partialSuccess=false",
            &json!([statement(1), invalid()]),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["inserted"], 1);
}

#[tokio::test]
async fn a_conflict_is_reported_on_its_statement_and_the_others_are_stored() {
    let lrs = Lrs::new();
    lrs.post("/xAPI/statements", &statement(1)).send().await;
    let mut different = statement(1);
    different["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/failed");
    let res = lrs
        .post(
            "/xAPI/statements?partialSuccess=true",
            &json!([statement(2), different.clone()]),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let report = res.json();
    assert_eq!(report["ids"], json!([id(2)]));
    assert_eq!(report["errors"][0]["index"], 1);
    assert!(
        report["errors"][0]["reason"]
            .as_str()
            .expect("reason")
            .contains(&id(1))
    );
    let res = lrs
        .post("/xAPI/statements?partialSuccess=true", &json!([different]))
        .send()
        .await;
    assert_eq!(
        res.status,
        StatusCode::CONFLICT,
        "nothing stored, a conflict"
    );
    assert_eq!(res.json()["inserted"], 0);
}

#[tokio::test]
async fn nothing_valid_is_400_with_the_report() {
    let lrs = Lrs::new();
    let res = lrs
        .post("/xAPI/statements?partialSuccess=true", &json!([invalid()]))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        res.json(),
        json!({"inserted": 0, "rejected": 1, "ids": [],
               "errors": [{"index": 0, "reason": res.json()["errors"][0]["reason"]}]})
    );
    let res = lrs
        .post("/xAPI/statements?partialSuccess=true", &json!([]))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // Statements already stored identically are not a failure.
    lrs.post("/xAPI/statements", &statement(1)).send().await;
    let res = lrs
        .post(
            "/xAPI/statements?partialSuccess=true",
            &json!([statement(1)]),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["inserted"], 0);
}

#[tokio::test]
async fn the_server_default_applies_unless_the_request_says_otherwise() {
    let lrs = Lrs::with(|c| c.lrs_partial_success_default = true);
    let res = lrs
        .post("/xAPI/statements", &json!([statement(1), invalid()]))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["rejected"], 1);
    let res = lrs
        .post(
            "/xAPI/statements?partialSuccess=false",
            &json!([statement(2), invalid()]),
        )
        .send()
        .await;
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "strict: all or nothing"
    );
    assert!(res.json()["detail"].is_string());
    let res = lrs
        .post(
            "/xAPI/statements?partialSuccess=maybe",
            &json!([statement(2)]),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn strict_posts_still_refuse_the_whole_batch() {
    let lrs = Lrs::new();
    let res = lrs
        .post("/xAPI/statements", &json!([statement(1), invalid()]))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = lrs
        .get(&format!("/xAPI/statements?statementId={}", id(1)))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}
