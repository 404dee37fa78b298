//! CORS (`RUNSERVER_CORS_ALLOW_ORIGINS`).

use axum::http::{Method, StatusCode};

use crate::{Lrs, statement};

#[tokio::test]
async fn preflights_from_allowed_origins_are_answered() {
    let lrs = Lrs::with(|c| {
        c.runserver_cors_allow_origins = vec!["https://app.example.org".to_owned()];
    });
    let res = lrs
        .req(Method::OPTIONS, "/xAPI/statements")
        .by(None)
        .without_version()
        .header("Origin", "https://app.example.org")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, x-experience-api-version",
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.example.org")
    );
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    let methods = res.header("access-control-allow-methods").expect("methods");
    assert!(
        methods.contains("POST") && methods.contains("PUT"),
        "{methods}"
    );
    let headers = res
        .header("access-control-allow-headers")
        .expect("headers")
        .to_ascii_lowercase();
    assert!(headers.contains("x-experience-api-version"), "{headers}");

    let res = lrs
        .post("/xAPI/statements", &statement(1))
        .header("Origin", "https://app.example.org")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.example.org")
    );
    assert!(
        res.header("access-control-expose-headers")
            .is_some_and(|h| h.to_ascii_lowercase().contains("x-experience-api-version"))
    );
}

#[tokio::test]
async fn other_origins_get_no_cors_headers() {
    let lrs = Lrs::with(|c| {
        c.runserver_cors_allow_origins = vec!["https://app.example.org".to_owned()];
    });
    let res = lrs
        .get("/xAPI/statements")
        .header("Origin", "https://evil.example.org")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn without_origins_there_is_no_cors() {
    let lrs = Lrs::new();
    let res = lrs
        .get("/xAPI/statements")
        .header("Origin", "https://app.example.org")
        .send()
        .await;
    assert_eq!(res.header("access-control-allow-origin"), None);
    let res = lrs
        .req(Method::OPTIONS, "/xAPI/statements")
        .header("Origin", "https://app.example.org")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
}
