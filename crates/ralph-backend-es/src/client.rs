//! The Elasticsearch client built from the settings, and the mapping of its errors.

use std::time::Duration;

use elasticsearch::Elasticsearch;
use elasticsearch::auth::Credentials;
use elasticsearch::cert::{Certificate, CertificateValidation};
use elasticsearch::http::response::Response;
use elasticsearch::http::transport::{
    MultiNodeConnectionPool, SingleNodeConnectionPool, TransportBuilder,
};
use ralph_core::{BackendStatus, Error, ErrorKind, Result};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::EsSettings;

/// A client of the cluster of `settings`, with the settings `section` (`backends.data.es`) named in
/// configuration errors. Nothing is sent yet.
pub(crate) fn connect(settings: &EsSettings, section: &str) -> Result<Elasticsearch> {
    if settings.hosts.0.is_empty() {
        return Err(Error::config(format!(
            "setting `{section}.hosts`: no host given"
        )));
    }
    let mut urls = Vec::with_capacity(settings.hosts.0.len());
    let mut url_credentials = None;
    for host in &settings.hosts.0 {
        let mut url = Url::parse(host.expose()).map_err(|err| {
            Error::config(format!(
                "setting `{section}.hosts`: invalid URL `{host}`: {err}"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::config(format!(
                "setting `{section}.hosts`: `{host}` is not an http or https URL"
            )));
        }
        if !url.username().is_empty() {
            let user = percent_decode(url.username());
            let password = percent_decode(url.password().unwrap_or_default());
            url_credentials.get_or_insert((user, password));
            // Credentials go in the Authorization header, not in every request URL.
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
        urls.push(url);
    }
    let pool_builder = if urls.len() == 1 {
        let url = urls.remove(0);
        TransportBuilder::new(SingleNodeConnectionPool::new(url))
    } else {
        TransportBuilder::new(MultiNodeConnectionPool::round_robin(urls, None))
    };
    let mut builder = pool_builder.enable_meta_header(false);
    if settings.request_timeout > 0.0 {
        builder = builder.timeout(
            Duration::try_from_secs_f64(settings.request_timeout)
                .unwrap_or(Duration::from_secs(60)),
        );
    }
    if let Some(key) = &settings.api_key {
        builder = builder.auth(Credentials::EncodedApiKey(key.expose().to_owned()));
    } else if let Some(user) = &settings.username {
        let password = settings
            .password
            .as_ref()
            .map(|p| p.expose().to_owned())
            .unwrap_or_default();
        builder = builder.auth(Credentials::Basic(user.clone(), password));
    } else if let Some((user, password)) = url_credentials {
        builder = builder.auth(Credentials::Basic(user, password));
    }
    let options = &settings.client_options;
    if options.verify_certs == Some(false) {
        builder = builder.cert_validation(CertificateValidation::None);
    } else if let Some(path) = &options.ca_certs {
        let pem = std::fs::read(path).map_err(|err| {
            Error::config(format!(
                "setting `{section}.client_options.ca_certs`: cannot read `{}`: {err}",
                path.display()
            ))
        })?;
        let certificate = Certificate::from_pem(&pem).map_err(|err| {
            Error::config(format!(
                "setting `{section}.client_options.ca_certs`: `{}` is not a PEM certificate: {err}",
                path.display()
            ))
        })?;
        builder = builder.cert_validation(CertificateValidation::Full(certificate));
    }
    let transport = builder
        .build()
        .map_err(|err| Error::config(format!("{section}: cannot build the client: {err}")))?;
    Ok(Elasticsearch::new(transport))
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Talks to the cluster: names it in errors, turns answers into values or errors.
#[derive(Clone)]
pub(crate) struct Cluster {
    pub(crate) client: Elasticsearch,
    /// The hosts, passwords redacted, for messages.
    pub(crate) name: String,
}

impl Cluster {
    pub(crate) fn new(settings: &EsSettings, section: &str) -> Result<Self> {
        Ok(Self {
            client: connect(settings, section)?,
            name: settings.hosts.to_string(),
        })
    }

    /// `ok` when the cluster health is green (or yellow, when allowed), `away` when the cluster
    /// does not answer, `error` otherwise.
    pub(crate) async fn health_status(&self, allow_yellow: bool) -> BackendStatus {
        #[derive(serde::Deserialize)]
        struct Health {
            status: String,
        }
        let sent = self
            .client
            .cluster()
            .health(elasticsearch::cluster::ClusterHealthParts::None)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(err) => {
                let err = self.transport_error("cluster health", err);
                tracing::warn!(target: "ralph", "es status: {err}");
                return BackendStatus::Away;
            }
        };
        match self.json::<Health>("cluster health", Ok(response)).await {
            Ok(health) => match health.status.as_str() {
                "green" => BackendStatus::Ok,
                "yellow" if allow_yellow => BackendStatus::Ok,
                other => {
                    tracing::warn!(target: "ralph", "es cluster `{}` health is `{other}`", self.name);
                    BackendStatus::Error
                }
            },
            Err(err) => {
                tracing::warn!(target: "ralph", "es status: {err}");
                BackendStatus::Error
            }
        }
    }

    /// A transport error (no answer) as a ralph error naming the cluster and what was done.
    pub(crate) fn transport_error(&self, doing: &str, err: elasticsearch::Error) -> Error {
        let mut text = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(&format!(": {cause_text}"));
            }
            source = cause.source();
        }
        let kind = if err.is_json() {
            ErrorKind::Backend
        } else {
            ErrorKind::Unavailable
        };
        Error::new(
            kind,
            format!("elasticsearch at `{}`: {doing}: {text}", self.name),
        )
        .with_source(err)
    }

    /// The JSON body of a successful answer, or an error naming the cluster, the request and
    /// what Elasticsearch said.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        doing: &str,
        sent: std::result::Result<Response, elasticsearch::Error>,
    ) -> Result<T> {
        let response = sent.map_err(|err| self.transport_error(doing, err))?;
        let status = response.status_code();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(self.status_error(doing, status.as_u16(), &body));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|err| self.transport_error(doing, err))?;
        serde_json::from_slice(&bytes).map_err(|err| {
            Error::backend(format!(
                "elasticsearch at `{}`: {doing}: unexpected answer: {err}",
                self.name
            ))
        })
    }

    /// An error answer (status and body) as a ralph error.
    pub(crate) fn status_error(&self, doing: &str, status: u16, body: &str) -> Error {
        let parsed: Option<Value> = serde_json::from_str(body).ok();
        let error = parsed.as_ref().and_then(|v| v.get("error"));
        let reason = error
            .map(describe_error)
            .unwrap_or_else(|| body.chars().take(500).collect());
        Error::new(
            kind_of_status(status),
            format!(
                "elasticsearch at `{}`: {doing}: {status}: {reason}",
                self.name
            ),
        )
    }
}

/// The error kind of an HTTP status of Elasticsearch.
pub(crate) fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        400 => ErrorKind::InvalidInput,
        401 | 403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        429 | 502..=504 => ErrorKind::Unavailable,
        _ => ErrorKind::Backend,
    }
}

/// `type: reason` of an Elasticsearch error object (or the text of an error string).
pub(crate) fn describe_error(error: &Value) -> String {
    match error {
        Value::String(text) => text.clone(),
        Value::Object(map) => {
            let ty = map.get("type").and_then(Value::as_str).unwrap_or("error");
            let reason = map.get("reason").and_then(Value::as_str).unwrap_or("");
            let mut text = format!("{ty}: {reason}");
            if let Some(cause) = map.get("caused_by") {
                text.push_str(&format!(" (caused by {})", describe_error(cause)));
            }
            text
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Hosts;
    use ralph_core::settings::SecretUrl;

    #[test]
    fn hosts_are_checked_and_credentials_taken_out_of_urls() {
        let settings = |hosts: &[&str]| EsSettings {
            hosts: Hosts(hosts.iter().map(|h| SecretUrl::new(*h)).collect()),
            ..Default::default()
        };
        assert!(connect(&settings(&["http://u:p%40ss@127.0.0.1:9200"]), "s").is_ok());
        assert!(connect(&settings(&["http://a:1", "https://b:2"]), "s").is_ok());
        let err = connect(&settings(&["ftp://x"]), "backends.data.es").expect_err("scheme");
        assert!(err.to_string().contains("backends.data.es.hosts"), "{err}");
        assert!(connect(&settings(&[]), "s").is_err());
        assert_eq!(percent_decode("p%40ss%zz"), "p@ss%zz");
    }

    #[test]
    fn error_objects_are_described() {
        let error = serde_json::json!({"type": "mapper_parsing_exception", "reason": "bad",
            "caused_by": {"type": "illegal_argument_exception", "reason": "worse"}});
        assert_eq!(
            describe_error(&error),
            "mapper_parsing_exception: bad (caused by illegal_argument_exception: worse)"
        );
        assert_eq!(kind_of_status(409), ErrorKind::Conflict);
    }
}
