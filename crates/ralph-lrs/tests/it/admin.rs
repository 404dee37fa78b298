//! The privacy administration routes: scope, filters, dry runs, pseudonyms, retention.

use axum::http::StatusCode;
use ralph_core::lrs::{Ifi, Pseudonymizer};
use ralph_core::settings::Secret;
use serde_json::{Value, json};

use crate::{Lrs, statement};

const DELETE: &str = "/admin/statements/delete";
const PSEUDONYMIZE: &str = "/admin/agents/pseudonymize";

fn learner() -> Value {
    json!({"mbox": "mailto:learner@example.org"})
}

/// Two statements by the learner and one by someone else.
async fn seed(lrs: &Lrs) {
    let mut other = statement(3);
    other["actor"] = json!({"mbox": "mailto:other@example.org"});
    let res = lrs
        .post(
            "/xAPI/statements",
            &json!([statement(1), statement(2), other]),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{:?}", res.json());
}

async fn count(lrs: &Lrs, query: &str) -> usize {
    let res = lrs.get(&format!("/xAPI/statements{query}")).send().await;
    assert_eq!(res.status, StatusCode::OK);
    res.json()["statements"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn admin_routes_need_the_admin_scope_which_all_does_not_grant() {
    let lrs = Lrs::with(|c| c.lrs_pseudonym_key = Some(Secret::new("k")));
    seed(&lrs).await;
    for user in ["alice", "reader", "writer", "tenant"] {
        for (uri, body) in [
            (DELETE, json!({"agent": learner(), "dry_run": true})),
            (DELETE, json!({})),
            (PSEUDONYMIZE, json!({"agent": learner(), "dry_run": true})),
        ] {
            let res = lrs.post(uri, &body).by(Some(user)).send().await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{user} {uri}");
            let text = String::from_utf8_lossy(&res.bytes);
            assert!(!text.contains("matched"), "nothing revealed: {text}");
        }
    }
    let res = lrs
        .post(DELETE, &json!({"agent": learner()}))
        .by(None)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(count(&lrs, "").await, 3, "nothing deleted");
    let whoami = lrs.get("/whoami").send().await.json();
    assert!(
        !whoami["scopes"]
            .as_array()
            .expect("scopes")
            .contains(&json!("admin/delete"))
    );
}

#[tokio::test]
async fn bad_filters_are_400() {
    let lrs = Lrs::new();
    for body in [
        json!({}),
        json!({"dry_run": true}),
        json!({"documents": true}),
        json!({"verb": "http://example.org/v", "documents": true}),
        json!({"agnet": learner()}),
        json!({"agent": {"name": "no ifi"}}),
        json!({"since": "yesterday"}),
        json!({"registration": "not-a-uuid"}),
        json!([1]),
    ] {
        let res = lrs.post(DELETE, &body).by(Some("admin")).send().await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}");
    }
    let res = lrs
        .req(axum::http::Method::POST, DELETE)
        .raw("application/json", "{not json")
        .by(Some("admin"))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_dry_run_counts_and_a_delete_deletes_with_the_documents() {
    let lrs = Lrs::new();
    seed(&lrs).await;
    let profile = "/xAPI/agents/profile?agent=%7B%22mbox%22%3A%22mailto%3Alearner%40example.org%22%7D&profileId=p";
    let res = lrs
        .put(profile, &json!({"a": 1}))
        .header("If-None-Match", "*")
        .send()
        .await;
    assert_eq!(
        res.status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&res.bytes)
    );

    let res = lrs
        .post(
            DELETE,
            &json!({"agent": learner(), "dry_run": true, "documents": true}),
        )
        .by(Some("admin"))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.json(),
        json!({"matched": 2, "deleted": 0, "documents": 1})
    );
    assert_eq!(count(&lrs, "").await, 3);

    let res = lrs
        .post(DELETE, &json!({"agent": learner(), "documents": true}))
        .by(Some("admin"))
        .send()
        .await;
    assert_eq!(
        res.json(),
        json!({"matched": 2, "deleted": 2, "documents": 1})
    );
    assert_eq!(count(&lrs, "").await, 1);
    assert_eq!(lrs.get(profile).send().await.status, StatusCode::NOT_FOUND);

    let res = lrs
        .post(
            DELETE,
            &json!({"until": "2999-01-01T00:00:00Z", "verb": "http://adlnet.gov/expapi/verbs/completed"}),
        )
        .by(Some("admin"))
        .send()
        .await;
    assert_eq!(res.json(), json!({"matched": 1, "deleted": 1}));
    assert_eq!(count(&lrs, "").await, 0);
}

#[tokio::test]
async fn pseudonymize_replaces_the_agent_with_its_keyed_account() {
    let lrs = Lrs::with(|c| {
        c.lrs_pseudonym_key = Some(Secret::new("the key"));
        c.lrs_pseudonym_homepage = "https://lrs.example.org/p".into();
    });
    seed(&lrs).await;
    let expected = Pseudonymizer::new("the key", "https://lrs.example.org/p")
        .expect("pseudonymizer")
        .pseudonym(&Ifi::Mbox("mailto:learner@example.org".into()));
    let res = lrs
        .post(PSEUDONYMIZE, &json!({"agent": learner(), "dry_run": true}))
        .by(Some("admin"))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.json(),
        json!({"matched": 2, "pseudonymized": 0, "pseudonym": expected.to_json()})
    );
    let by_learner = "?agent=%7B%22mbox%22%3A%22mailto%3Alearner%40example.org%22%7D";
    assert_eq!(count(&lrs, by_learner).await, 2);

    let res = lrs
        .post(PSEUDONYMIZE, &json!({"agent": learner()}))
        .by(Some("admin"))
        .send()
        .await;
    assert_eq!(res.json()["pseudonymized"], 2);
    assert_eq!(count(&lrs, by_learner).await, 0);
    let by_pseudonym = format!("?agent={}", urlencode(&expected.to_json().to_string()));
    assert_eq!(count(&lrs, &by_pseudonym).await, 2);
    let res = lrs
        .get(&format!("/xAPI/statements?statementId={}", crate::id(1)))
        .send()
        .await;
    assert_eq!(
        res.json()["actor"]["account"],
        expected.to_json()["account"]
    );

    let unconfigured = Lrs::new();
    let res = unconfigured
        .post(PSEUDONYMIZE, &json!({"agent": learner()}))
        .by(Some("admin"))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&res.bytes).contains("LRS_PSEUDONYM_KEY"));
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn retention_purges_old_statements_in_every_target() {
    let lrs = Lrs::with(|c| c.lrs_retention_days = Some(30));
    let store = lrs.state.store();
    let old = |n: u64| {
        let mut s = statement(n);
        s["stored"] = json!("2020-01-01T00:00:00+00:00");
        s
    };
    store
        .insert(None, vec![old(1), old(2)])
        .await
        .expect("insert");
    store
        .insert(Some("t1"), vec![old(3)])
        .await
        .expect("insert t1");
    seed(&lrs).await; // 1 and 2 exist: only 3 is new, stored now.
    let report =
        ralph_lrs::admin::purge_older_than(&lrs.state, chrono::Duration::days(30), None, true)
            .await
            .expect("purge");
    assert_eq!((report.matched, report.deleted), (3, 0));
    let report =
        ralph_lrs::admin::purge_older_than(&lrs.state, chrono::Duration::days(30), None, false)
            .await
            .expect("purge");
    assert_eq!((report.matched, report.deleted), (3, 3));
    assert_eq!(count(&lrs, "").await, 1);
    assert!(
        store
            .get(Some("t1"), &crate::id(3))
            .await
            .expect("get")
            .is_none()
    );
}
