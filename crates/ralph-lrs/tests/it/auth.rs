//! Authentication, scopes, authority and targets.

use axum::http::StatusCode;
use serde_json::json;

use crate::{Lrs, id, statement};

#[tokio::test]
async fn missing_or_wrong_credentials_are_401_without_detail() {
    let lrs = Lrs::new();
    let res = lrs.get("/xAPI/statements").by(None).send().await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(
        res.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Basic"))
    );
    assert_eq!(
        res.json(),
        json!({"detail": "invalid authentication credentials"})
    );
    let res = lrs.get("/whoami").by(Some("nobody")).send().await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = lrs
        .get("/whoami")
        .by(None)
        .header("Authorization", "Basic YWxpY2U6d3Jvbmc=")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "alice:wrong");
}

#[tokio::test]
async fn whoami_tells_the_agent_and_expanded_scopes() {
    let lrs = Lrs::new();
    let res = lrs.get("/whoami").send().await;
    assert_eq!(res.status, StatusCode::OK);
    let body = res.json();
    assert_eq!(body["agent"]["mbox"], "mailto:alice@example.org");
    let scopes = body["scopes"].as_array().expect("scopes");
    assert_eq!(scopes.len(), 11);
    // Cached check: same answer again.
    assert_eq!(lrs.get("/whoami").send().await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_missing_credentials_file_is_403() {
    let lrs = Lrs::with(|c| c.auth_file = Some("/nonexistent/auth.json".into()));
    let res = lrs.get("/whoami").send().await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(res.json(), json!({"detail": "credentials file not found"}));
}

#[tokio::test]
async fn scopes_are_enforced_when_restricted() {
    let lrs = Lrs::with(|c| {
        c.lrs_restrict_by_scopes = true;
        c.lrs_restrict_by_authority = true;
    });
    let res = lrs
        .post("/xAPI/statements", &statement(1))
        .by(Some("reader"))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(
        res.json()["detail"]
            .as_str()
            .expect("detail")
            .contains("statements/write")
    );
    let res = lrs
        .post("/xAPI/statements", &statement(1))
        .by(Some("writer"))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let res = lrs.get("/xAPI/statements").by(Some("writer")).send().await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    lrs.post("/xAPI/statements", &statement(2)).send().await;
    // reader only sees its own statements (none); alice sees hers only (restricted by authority).
    let res = lrs.get("/xAPI/statements").by(Some("reader")).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["statements"], json!([]));
    let res = lrs.get("/xAPI/statements").send().await;
    let statements = res.json()["statements"].clone();
    assert_eq!(statements.as_array().map(Vec::len), Some(1));
    assert_eq!(statements[0]["id"], id(2));
    let res = lrs
        .get(&format!("/xAPI/statements?statementId={}", id(1)))
        .send()
        .await;
    assert_eq!(
        res.status,
        StatusCode::NOT_FOUND,
        "writer's statement is not alice's"
    );
}

#[tokio::test]
async fn authority_is_kept_only_with_authority_write() {
    let lrs = Lrs::new();
    let mut s = statement(1);
    s["authority"] = json!({"mbox": "mailto:someone@example.org"});
    lrs.post("/xAPI/statements", &s).send().await;
    let got = lrs
        .get(&format!("/xAPI/statements?statementId={}", id(1)))
        .send()
        .await
        .json();
    assert_eq!(
        got["authority"]["mbox"], "mailto:someone@example.org",
        "alice has `all`"
    );
    let mut s = statement(2);
    s["authority"] = json!({"mbox": "mailto:someone@example.org"});
    lrs.post("/xAPI/statements", &s)
        .by(Some("writer"))
        .send()
        .await;
    let got = lrs
        .get(&format!("/xAPI/statements?statementId={}", id(2)))
        .send()
        .await
        .json();
    assert_eq!(got["authority"]["mbox"], "mailto:writer@example.org");
}

#[tokio::test]
async fn users_with_a_target_see_only_their_statements() {
    let lrs = Lrs::new();
    lrs.post("/xAPI/statements", &statement(1))
        .by(Some("tenant"))
        .send()
        .await;
    lrs.post("/xAPI/statements", &statement(2)).send().await;
    let res = lrs.get("/xAPI/statements").by(Some("tenant")).send().await;
    let statements = res.json()["statements"].clone();
    assert_eq!(statements.as_array().map(Vec::len), Some(1));
    assert_eq!(statements[0]["id"], id(1));
    let res = lrs
        .get(&format!("/xAPI/statements?statementId={}", id(1)))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}
