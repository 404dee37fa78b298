//! The xAPI Learning Record Store of ralph, as a library: an [axum] router over any
//! [`ralph_core::lrs::LrsStore`].
//!
//! Routes:
//!
//! | route | methods | auth |
//! |---|---|---|
//! | `/xAPI/statements`, `/xAPI/statements/` | `POST`, `PUT`, `GET`, `HEAD` | basic |
//! | `/xAPI/activities/state`, `/xAPI/activities/profile`, `/xAPI/agents/profile` | `GET`, `HEAD`, `PUT`, `POST`, `DELETE` | basic |
//! | `/xAPI/activities`, `/xAPI/agents` | `GET`, `HEAD` | basic |
//! | `/xAPI/about` | `GET`, `HEAD` | none |
//! | `/whoami` | `GET` | basic |
//! | `/admin/statements/delete`, `/admin/agents/pseudonymize` | `POST` | basic, scope `admin/delete` |
//! | `/__heartbeat__`, `/__lbheartbeat__` | `GET` | none |
//! | `/openapi.json` | `GET` | none |
//!
//! The LRS validates statements ([`validate_statement`]), sets `id` when missing, `stored`,
//! `timestamp` when missing, `authority` and `version` when missing, and leaves storage rules
//! (idempotence, conflicts, voiding, paging) to the store. Every `/xAPI/` request but `about`
//! must carry a supported `X-Experience-API-Version` header; every response carries one.
//! Invalid input gets 400 with a JSON `{"detail": "path: reason"}`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use ralph_lrs::{LrsConfig, LrsState};
//!
//! # async fn run(store: Arc<dyn ralph_core::lrs::LrsStore>) -> Result<(), ralph_lrs::LrsError> {
//! let state = LrsState::new(store, LrsConfig::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8100").await?;
//! ralph_lrs::serve(listener, state, ralph_lrs::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

pub mod admin;
mod alternate;
pub mod auth;
mod config;
mod definitions;
mod documents;
mod error;
pub mod format;
pub mod forwarding;
mod multipart;
pub mod oidc;
pub mod openapi;
mod signature;
mod statements;
mod validate;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ralph_core::BackendStatus;
use ralph_core::lrs::LrsStore;
use serde_json::json;

pub use auth::{AuthenticatedUser, Authenticator, Scope, UserCredentials};
pub use config::{DEFAULT_PSEUDONYM_HOMEPAGE, LrsConfig};
pub use error::LrsError;
pub use forwarding::XapiForwarding;
pub use validate::{validate_statement, version_is_supported};

/// The header naming the xAPI version of a request or response.
pub const VERSION_HEADER: &str = "x-experience-api-version";

/// The header telling up to when the statements returned are complete.
pub const CONSISTENT_THROUGH_HEADER: &str = "x-experience-api-consistent-through";

/// The xAPI versions this LRS speaks, as `/xAPI/about` lists them.
pub const SUPPORTED_VERSIONS: [&str; 5] = ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"];

/// What every request handler shares: the store, the settings and the authenticator.
pub struct LrsState {
    store: Arc<dyn LrsStore>,
    config: LrsConfig,
    auth: Authenticator,
    forwarder: forwarding::Forwarder,
    oidc: Option<oidc::OidcAuthenticator>,
}

impl std::fmt::Debug for LrsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LrsState")
            .field("store", &self.store.name())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LrsState {
    /// The state of an LRS on `store` with `config`.
    pub fn new(store: Arc<dyn LrsStore>, config: LrsConfig) -> Arc<Self> {
        let auth = Authenticator::new(
            config.auth_file_path(),
            Duration::from_secs(config.auth_cache_ttl),
            config.auth_cache_max_size,
        );
        let forwarder = forwarding::Forwarder::new(&config.xapi_forwardings);
        let oidc = match (
            &config.runserver_auth_oidc_issuer_uri,
            config.oidc_enabled(),
        ) {
            (Some(issuer), true) => {
                match oidc::OidcAuthenticator::new(
                    issuer,
                    config.runserver_auth_oidc_audience.clone(),
                ) {
                    Ok(oidc) => Some(oidc),
                    Err(err) => {
                        tracing::error!(target: "ralph", "OIDC disabled: {err}");
                        None
                    }
                }
            }
            _ => None,
        };
        Arc::new(Self {
            store,
            config,
            auth,
            forwarder,
            oidc,
        })
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn LrsStore> {
        &self.store
    }

    /// The settings.
    pub fn config(&self) -> &LrsConfig {
        &self.config
    }

    async fn authenticate(&self, headers: &HeaderMap) -> Result<AuthenticatedUser, LrsError> {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if let Some((scheme, token)) = authorization.and_then(|a| a.trim().split_once(' '))
            && scheme.eq_ignore_ascii_case("bearer")
        {
            return match &self.oidc {
                Some(oidc) => oidc.authenticate(token.trim()).await,
                None => Err(LrsError::Unauthorized),
            };
        }
        if !self.config.basic_enabled() {
            return Err(LrsError::Unauthorized);
        }
        self.auth.authenticate(authorization).await
    }
}

/// The router of the LRS.
pub fn router(state: Arc<LrsState>) -> Router {
    let statements = get(statements::get)
        .post(statements::post)
        .put(statements::put);
    let mut app = Router::new()
        .route("/xAPI/statements", statements.clone())
        .route("/xAPI/statements/", statements)
        .route("/xAPI/activities", get(definitions::activities))
        .route("/xAPI/activities/", get(definitions::activities))
        .route("/xAPI/agents", get(definitions::agents))
        .route("/xAPI/agents/", get(definitions::agents))
        .merge(documents::routes())
        .route("/xAPI/about", get(about))
        .route("/xAPI/about/", get(about))
        .route("/whoami", get(whoami))
        .route(
            "/admin/statements/delete",
            axum::routing::post(admin::delete_statements),
        )
        .route(
            "/admin/agents/pseudonymize",
            axum::routing::post(admin::pseudonymize),
        )
        .route("/__heartbeat__", get(heartbeat))
        .route("/__lbheartbeat__", get(lbheartbeat))
        .route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(xapi_version))
        .layer(DefaultBodyLimit::max(state.config.runserver_max_body_size));
    // Outside the version check: preflight requests carry no xAPI header.
    if let Some(cors) = cors(&state.config) {
        app = app.layer(cors);
    }
    let app = app
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state);
    // Outside the routes: an alternate-syntax request is rewritten before it is routed.
    Router::new()
        .fallback_service(app)
        .layer(axum::middleware::from_fn(alternate::alternate_syntax))
}

/// The CORS layer of `RUNSERVER_CORS_ALLOW_ORIGINS`, as Ralph 5.1's: those origins, with
/// credentials, methods `GET`, `HEAD`, `POST`, `PUT`, `DELETE` and the headers xAPI clients send
/// (conditional ones included); no origins, no CORS headers. The xAPI response headers and
/// `ETag` are exposed to the pages.
fn cors(config: &LrsConfig) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{HeaderName, Method};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins: Vec<HeaderValue> = config
        .runserver_cors_allow_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_credentials(true)
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::USER_AGENT,
                HeaderName::from_static("keep-alive"),
                header::CONTENT_TYPE,
                HeaderName::from_static(VERSION_HEADER),
                header::IF_MATCH,
                header::IF_NONE_MATCH,
            ])
            .expose_headers([
                HeaderName::from_static(VERSION_HEADER),
                HeaderName::from_static(CONSISTENT_THROUGH_HEADER),
                header::LAST_MODIFIED,
                header::ETAG,
            ]),
    )
}

/// Serves the LRS on `listener` until `shutdown` completes; requests in flight then finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<LrsState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LrsError> {
    let retention = tokio::spawn(admin::run_retention(state.clone()));
    let app = router(state);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    retention.abort();
    served?;
    Ok(())
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!(target: "ralph", "shutting down: finishing requests in flight");
}

/// Checks `X-Experience-API-Version` on xAPI requests and sets it on every response (the
/// request's major version, else 2.0.0).
async fn xapi_version(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let needs_version = path.starts_with("/xAPI/") && !path.starts_with("/xAPI/about");
    // The spec asks for this header on every statement GET, whatever the status code.
    let statements_get = path.starts_with("/xAPI/statements")
        && matches!(
            *request.method(),
            axum::http::Method::GET | axum::http::Method::HEAD
        );
    let given = request
        .headers()
        .get(VERSION_HEADER)
        .map(|v| v.to_str().unwrap_or_default().trim().to_owned());
    let answer = match given.as_deref() {
        Some(v) if v.starts_with("1.0") => "1.0.3",
        _ => "2.0.0",
    };
    let mut response = match given.as_deref() {
        None if needs_version => {
            LrsError::BadRequest("the `X-Experience-API-Version` header is required".to_owned())
                .into_response()
        }
        Some(v) if needs_version && !version_is_supported(v) => LrsError::BadRequest(format!(
            "`X-Experience-API-Version` `{v}` is not supported; expected 1.0.x or 2.0.x"
        ))
        .into_response(),
        _ => next.run(request).await,
    };
    let headers = response.headers_mut();
    headers.insert(VERSION_HEADER, HeaderValue::from_static(answer));
    if statements_get && !headers.contains_key(CONSISTENT_THROUGH_HEADER) {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
        if let Ok(value) = HeaderValue::from_str(&now) {
            headers.insert(CONSISTENT_THROUGH_HEADER, value);
        }
    }
    response
}

async fn about() -> Response {
    axum::Json(json!({
        "version": SUPPORTED_VERSIONS,
        "extensions": {
            "https://github.com/openfun/ralph": { "name": "ralph", "version": env!("CARGO_PKG_VERSION") }
        }
    }))
    .into_response()
}

async fn whoami(
    State(state): State<Arc<LrsState>>,
    headers: HeaderMap,
) -> Result<Response, LrsError> {
    let user = state.authenticate(&headers).await?;
    let scopes: Vec<&str> = user.scopes.iter().map(|s| s.as_str()).collect();
    Ok(axum::Json(json!({ "agent": user.agent, "scopes": scopes })).into_response())
}

async fn heartbeat(State(state): State<Arc<LrsState>>) -> Response {
    let status = state.store.status().await;
    let code = if status == BackendStatus::Ok {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (code, axum::Json(json!({ "database": status.to_string() }))).into_response()
}

async fn openapi_json() -> Response {
    axum::Json(openapi::document()).into_response()
}

async fn lbheartbeat() -> Response {
    axum::Json(serde_json::Value::Null).into_response()
}

async fn not_found() -> Response {
    LrsError::NotFound("not found".to_owned()).into_response()
}
