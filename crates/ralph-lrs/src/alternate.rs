//! The alternate request syntax of xAPI 1.0.x (Communication 1.3): a `POST` with a single
//! `method` query parameter and an `application/x-www-form-urlencoded` body carrying the
//! headers (`Authorization`, `X-Experience-API-Version`, `Content-Type`, `If-Match`,
//! `If-None-Match`), the body (`content`) and the query parameters of the real request.
//!
//! Browsers behind strict cross-origin rules used it to send any request as a form `POST`. The
//! middleware turns such a request back into the request it stands for before the routes see
//! it, so every resource supports it. xAPI 2.0 removed it: a form that says version 2.0 is 400.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::LrsError;

/// The form fields that are headers of the real request.
const HEADER_FIELDS: [&str; 6] = [
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
];

/// The most bytes read from an alternate-syntax form body.
const MAX_FORM: usize = 16 * 1024 * 1024;

fn method_param(uri: &Uri) -> Option<Result<Method, LrsError>> {
    let query = uri.query()?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let (_, method) = pairs.iter().find(|(k, _)| k == "method")?;
    if pairs.len() != 1 {
        return Some(Err(LrsError::BadRequest(
            "the alternate request syntax takes `method` as its only query parameter".to_owned(),
        )));
    }
    Some(match method.to_ascii_uppercase().as_str() {
        "GET" => Ok(Method::GET),
        "HEAD" => Ok(Method::HEAD),
        "PUT" => Ok(Method::PUT),
        "POST" => Ok(Method::POST),
        "DELETE" => Ok(Method::DELETE),
        other => Err(LrsError::BadRequest(format!(
            "parameter `method`: `{other}` is not an xAPI method"
        ))),
    })
}

/// Rewrites alternate-syntax requests into the requests they stand for.
pub(crate) async fn alternate_syntax(request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let method = match method_param(request.uri()) {
        None => return next.run(request).await,
        Some(Err(err)) => return err.into_response(),
        Some(Ok(method)) => method,
    };
    match rewrite(request, method).await {
        Ok(request) => next.run(request).await,
        Err(err) => err.into_response(),
    }
}

async fn rewrite(request: Request, method: Method) -> Result<Request, LrsError> {
    let (parts, body) = request.into_parts();
    let form_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(crate::multipart::media_type);
    if form_type.as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(LrsError::BadRequest(
            "the alternate request syntax needs `Content-Type: application/x-www-form-urlencoded`"
                .to_owned(),
        ));
    }
    let bytes = axum::body::to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| LrsError::PayloadTooLarge("the form body is too large".to_owned()))?;
    let mut headers = parts.headers.clone();
    headers.remove(header::CONTENT_TYPE);
    headers.remove(header::CONTENT_LENGTH);
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let mut content = Vec::new();
    for (key, value) in url::form_urlencoded::parse(&bytes) {
        let lower = key.to_ascii_lowercase();
        if lower == "content" {
            content = value.into_owned().into_bytes();
        } else if HEADER_FIELDS.contains(&lower.as_str()) {
            if lower == "content-length" {
                continue;
            }
            let name = HeaderName::from_bytes(lower.as_bytes())
                .map_err(|_| LrsError::BadRequest(format!("invalid header field `{key}`")))?;
            let value = HeaderValue::from_str(&value)
                .map_err(|_| LrsError::BadRequest(format!("invalid value of field `{key}`")))?;
            headers.insert(name, value);
        } else {
            query.append_pair(&key, &value);
        }
    }
    if headers
        .get(crate::VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().starts_with('2'))
    {
        return Err(LrsError::BadRequest(
            "the alternate request syntax was removed in xAPI 2.0: send the request itself"
                .to_owned(),
        ));
    }
    let query = query.finish();
    let path = parts.uri.path();
    let uri: Uri = if query.is_empty() {
        path.parse()
    } else {
        format!("{path}?{query}").parse()
    }
    .map_err(|_| LrsError::BadRequest("the form's parameters do not make a URI".to_owned()))?;
    if !content.is_empty() && !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let mut rebuilt = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::from(content))
        .map_err(|e| LrsError::BadRequest(format!("invalid alternate request: {e}")))?;
    *rebuilt.headers_mut() = headers;
    Ok(rebuilt)
}
