//! OIDC bearer tokens, checked against a tiny local issuer (discovery + JWKS) on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::{Lrs, statement};

/// A 2048-bit RSA key made for these tests only.
const KEY_PEM: &[u8] = include_bytes!("oidc-test-key.pem");
/// The modulus of [`KEY_PEM`], base64url.
const KEY_N: &str = "g_oNkh3f-NUtsca-qZ7gtq71Aar__Ury04djiGYsjfqtZveqiCRt5pIdkKy-xgL2z1xoNvnoagAK3O3u-cx8CdH1GAyNsJ1nvJNh8YM3oZM7tOIoaEo9mOZfaTB5KYaR33LpSkSNnMNm-75B_o336FF4NVzfzXwEDtwpslUP2MjDsBNio5TLIdkIz4_6Od9gp2dgWHb3HaaI4V_NQxqitltnn8yuzj47Vhej4PvU5v5ZYXeqOb1zKMf4g5mZ6glWXZ8y4_fL1qRS_1Cm7B1OnfOGDt1tF1fA4uqH-mAHThkh3VVsig8lk4aA7zFaFlpi6Dqh3qa3ZHs3eU1EJ-i6Ww";

/// Serves discovery and JWKS; returns the issuer URI and the number of JWKS fetches.
async fn issuer() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let fetches = Arc::new(AtomicUsize::new(0));
    let discovery = json!({
        "issuer": base,
        "jwks_uri": format!("{base}/jwks"),
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    let counter = fetches.clone();
    let router = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { axum::Json(discovery) }),
        )
        .route(
            "/jwks",
            get(move || async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::Json(json!({"keys": [{
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "test-key",
                    "n": KEY_N, "e": "AQAB",
                }]}))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, fetches)
}

fn token(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key".to_owned());
    let key = EncodingKey::from_rsa_pem(KEY_PEM).expect("test key");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

fn claims(issuer: &str, scope: &str) -> Value {
    let exp = chrono::Utc::now().timestamp() + 600;
    json!({"iss": issuer, "sub": "learner-1", "aud": "ralph", "exp": exp, "scope": scope})
}

fn oidc_lrs(issuer: &str, audience: Option<&str>) -> Lrs {
    let issuer = issuer.to_owned();
    let audience = audience.map(str::to_owned);
    Lrs::with(move |c| {
        c.runserver_auth_backends = vec!["basic".to_owned(), "oidc".to_owned()];
        c.runserver_auth_oidc_issuer_uri = Some(issuer);
        c.runserver_auth_oidc_audience = audience;
        c.lrs_restrict_by_authority = true;
        c.lrs_restrict_by_scopes = true;
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_authenticates_with_its_scopes() {
    let (iss, fetches) = issuer().await;
    let lrs = oidc_lrs(&iss, Some("ralph"));
    let bearer = format!(
        "Bearer {}",
        token(&claims(
            &iss,
            "statements/write statements/read/mine unknown/scope"
        ))
    );
    let res = lrs
        .get("/whoami")
        .by(None)
        .header("Authorization", &bearer)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let me = res.json();
    assert_eq!(me["agent"]["openid"], format!("{iss}/learner-1"));
    let scopes = me["scopes"].as_array().expect("scopes");
    assert_eq!(scopes.len(), 2, "{me}");

    let res = lrs
        .post("/xAPI/statements", &statement(1))
        .by(None)
        .header("Authorization", &bearer)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let res = lrs
        .get("/xAPI/statements")
        .by(None)
        .header("Authorization", &bearer)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.json()["statements"][0]["authority"]["openid"],
        format!("{iss}/learner-1")
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "keys are cached");

    // Basic auth still works beside OIDC.
    let res = lrs.get("/whoami").send().await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_401() {
    let (iss, _) = issuer().await;
    let lrs = oidc_lrs(&iss, Some("ralph"));
    let mut wrong_audience = claims(&iss, "all");
    wrong_audience["aud"] = json!("someone-else");
    let mut expired = claims(&iss, "all");
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    let mut other_issuer = claims(&iss, "all");
    other_issuer["iss"] = json!("http://127.0.0.1:1");
    let good = token(&claims(&iss, "all"));
    let tampered = format!("{}x", &good[..good.len() - 1]);
    for bearer in [
        token(&wrong_audience),
        token(&expired),
        token(&other_issuer),
        tampered,
        "not-a-jwt".to_owned(),
    ] {
        let res = lrs
            .get("/whoami")
            .by(None)
            .header("Authorization", &format!("Bearer {bearer}"))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{bearer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_are_refused_unless_oidc_is_enabled() {
    let (iss, _) = issuer().await;
    let lrs = Lrs::new();
    let res = lrs
        .get("/whoami")
        .by(None)
        .header(
            "Authorization",
            &format!("Bearer {}", token(&claims(&iss, "all"))),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    // OIDC alone: basic credentials are refused.
    let only = Lrs::with(|c| {
        c.runserver_auth_backends = vec!["oidc".to_owned()];
        c.runserver_auth_oidc_issuer_uri = Some(iss.clone());
    });
    let res = only.get("/whoami").send().await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}
