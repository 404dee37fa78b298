//! `/openapi.json`.

use axum::http::StatusCode;
use serde_json::Value;

use crate::Lrs;

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let lrs = Lrs::new();
    let res = lrs
        .get("/openapi.json")
        .by(None)
        .without_version()
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let doc = res.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/xAPI/statements", &["get", "head", "post", "put"][..]),
        ("/xAPI/statements/", &["get", "head", "post", "put"][..]),
        ("/xAPI/about", &["get"][..]),
        (
            "/xAPI/activities/state",
            &["get", "head", "put", "post", "delete"][..],
        ),
        (
            "/xAPI/activities/profile",
            &["get", "head", "put", "post", "delete"][..],
        ),
        (
            "/xAPI/agents/profile",
            &["get", "head", "put", "post", "delete"][..],
        ),
        ("/xAPI/activities", &["get"][..]),
        ("/xAPI/agents", &["get"][..]),
        ("/whoami", &["get"][..]),
        ("/__heartbeat__", &["get"][..]),
        ("/__lbheartbeat__", &["get"][..]),
        ("/openapi.json", &["get"][..]),
    ] {
        for method in methods {
            assert!(
                paths[path][*method]["responses"].is_object(),
                "{method} {path} is described"
            );
        }
        // Every described route exists.
        let status = lrs.get(path).send().await.status;
        assert_ne!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let pointer = r.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(pointer).is_some(), "{r} resolves");
    }
    // Every parameter POST accepts is described.
    let post_params: Vec<&str> = doc["paths"]["/xAPI/statements"]["post"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(post_params.contains(&"partialSuccess") && post_params.contains(&"ignoreInvalid"));
}
