//! TLS: `sslmode` and `sslrootcert` in the connection string, against the test server (TLS on,
//! certificate for IP 127.0.0.1 signed by `RALPH_TEST_POSTGRES_TLS_CA`) and, for a server
//! without TLS, a private cluster.

use ralph_backend_postgres::{PostgresBackend, PostgresSettings};
use ralph_core::settings::SecretUrl;
use ralph_core::{ErrorKind, ReadRequest, Writable, WriteOptions};
use ralph_testkit::{lines, raw_input, read_json, sample_id};
use serde_json::{Value, json};

use crate::unique;

/// The test server's URL with `params` added.
fn with_params(url: &str, params: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{params}")
}

fn settings(url: String) -> PostgresSettings {
    PostgresSettings {
        connection_string: SecretUrl::new(url),
        connect_timeout: 10.0,
        ..Default::default()
    }
}

/// Writes three records through `backend`, then reads them back with a `where` that is true
/// only on an encrypted connection (`pg_stat_ssl` of the reading connection itself).
async fn round_trip_encrypted(backend: &PostgresBackend) -> Vec<Value> {
    let table = unique("tls");
    let records: Vec<Value> = (0..3)
        .map(|i| json!({"id": sample_id("tls", i), "n": i}))
        .collect();
    let report = backend
        .write(
            raw_input(lines(&records)),
            WriteOptions {
                target: Some(table.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("write over TLS");
    assert_eq!(report.written, 3);
    let query =
        r#"{"where": "(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())", "sort": "id"}"#;
    read_json(
        backend,
        ReadRequest {
            target: Some(table),
            query: Some(query.into()),
            ..Default::default()
        },
    )
    .await
    .expect("read over TLS")
}

#[cfg(feature = "tls")]
mod with_tls {
    use std::path::PathBuf;

    use ralph_backend_postgres::{PostgresLrsSettings, PostgresStore};

    use super::*;

    /// The test server's URL and CA file, or `None` when the test is skipped.
    fn server() -> Option<(String, String)> {
        Some((
            ralph_testkit::server_url("RALPH_TEST_POSTGRES_URL")?,
            ralph_testkit::server_url("RALPH_TEST_POSTGRES_TLS_CA")?,
        ))
    }

    #[tokio::test]
    async fn require_with_the_ca_writes_and_reads_on_an_encrypted_connection() {
        let Some((url, ca)) = server() else { return };
        for params in [
            format!("sslmode=require&sslrootcert={ca}"),
            format!("sslmode=verify-full&sslrootcert={ca}"),
            // libpq's `require` without a root: encrypted, the certificate unchecked.
            "sslmode=require".to_owned(),
        ] {
            let backend = PostgresBackend::connect(settings(with_params(&url, &params)))
                .await
                .unwrap_or_else(|err| panic!("connect with {params}: {err}"));
            let read = round_trip_encrypted(&backend).await;
            assert_eq!(read.len(), 3, "{params}: the connection is not encrypted");
        }
    }

    #[tokio::test]
    async fn the_key_value_form_takes_the_same_parameters() {
        let Some((url, ca)) = server() else { return };
        let Some(password) = url
            .split_once("://")
            .and_then(|(_, rest)| rest.split_once('@'))
            .and_then(|(userinfo, _)| userinfo.split_once(':'))
            .map(|(_, password)| password.to_owned())
        else {
            return;
        };
        // `hostaddr` alone: the address is the name checked against the certificate.
        for host in ["host", "hostaddr"] {
            let conn = format!(
                "{host}=127.0.0.1 port=5432 user=postgres password={password} dbname=ralph \
                 sslmode=verify-full sslrootcert='{ca}'"
            );
            let backend = PostgresBackend::connect(settings(conn))
                .await
                .unwrap_or_else(|err| panic!("connect with {host}=: {err}"));
            assert_eq!(round_trip_encrypted(&backend).await.len(), 3);
        }
        // Errors name the server, never the password.
        let wrong = PathBuf::from(&ca).with_file_name("other-ca.pem");
        let conn = format!(
            "host=127.0.0.1 port=5432 user=postgres password={password} dbname=ralph \
             sslmode=verify-full sslrootcert={}",
            wrong.display()
        );
        let err = PostgresBackend::connect(settings(conn))
            .await
            .expect_err("a certificate from another CA");
        let text = err.to_string();
        assert!(text.starts_with("postgres at `127.0.0.1:5432`: "), "{text}");
        assert!(!text.contains(&format!("password={password}")), "{text}");
    }

    #[tokio::test]
    async fn verify_full_with_a_wrong_ca_is_refused_clearly() {
        let Some((url, ca)) = server() else { return };
        let wrong = PathBuf::from(&ca).with_file_name("other-ca.pem");
        let err = PostgresBackend::connect(settings(with_params(
            &url,
            &format!("sslmode=verify-full&sslrootcert={}", wrong.display()),
        )))
        .await
        .expect_err("a certificate from another CA");
        let text = err.to_string();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{text}");
        assert!(text.contains("127.0.0.1:5432"), "{text}");
        assert!(text.contains("certificate"), "{text}");
        assert!(text.contains("sslrootcert"), "{text}");
        assert!(!text.contains(":postgres@"), "the password shows: {text}");
    }

    #[tokio::test]
    async fn verify_ca_ignores_the_host_name_and_verify_full_does_not() {
        let Some((url, ca)) = server() else { return };
        // The certificate is for IP 127.0.0.1: name the host `localhost` (reached at 127.0.0.1).
        let url = url.replacen("@127.0.0.1:", "@localhost:", 1);
        let url = with_params(&url, &format!("hostaddr=127.0.0.1&sslrootcert={ca}"));
        let backend = PostgresBackend::connect(settings(format!("{url}&sslmode=verify-ca")))
            .await
            .expect("verify-ca checks the chain only");
        assert_eq!(round_trip_encrypted(&backend).await.len(), 3);
        let err = PostgresBackend::connect(settings(format!("{url}&sslmode=verify-full")))
            .await
            .expect_err("the certificate is not for localhost");
        assert!(err.to_string().contains("localhost"), "{err}");
    }

    #[tokio::test]
    async fn an_unreadable_ca_file_is_a_settings_error() {
        let Some((url, _)) = server() else { return };
        let err = PostgresBackend::connect(settings(with_params(
            &url,
            "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        )))
        .await
        .expect_err("no such file");
        assert_eq!(err.kind(), ErrorKind::ConfigInvalid, "{err}");
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }

    #[tokio::test]
    async fn the_lrs_store_connects_over_tls_too() {
        let Some((url, ca)) = server() else { return };
        let app = ralph_testkit::unique_name("tl");
        let store = PostgresStore::open(PostgresLrsSettings {
            connection_string: SecretUrl::new(with_params(
                &url,
                &format!("sslmode=verify-full&sslrootcert={ca}&application_name={app}"),
            )),
            table_prefix: format!("{app}_"),
            ..Default::default()
        })
        .await
        .expect("open the store over TLS");
        // Seen from another connection: every connection of the store is encrypted.
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("observer");
        tokio::spawn(connection);
        let row = client
            .query_one(
                "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_activity a \
                 JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = $1",
                &[&app],
            )
            .await
            .expect("pg_stat_ssl");
        let (encrypted, all): (i64, i64) = (row.get(0), row.get(1));
        assert!(all > 0, "no connection of the store");
        assert_eq!(encrypted, all);
        store.drop_tables().await.expect("drop the store's tables");
    }

    /// A server without TLS and `sslmode=require`: refused, never plain text.
    #[tokio::test]
    async fn require_against_a_server_without_tls_fails_clearly() {
        let Some(cluster) = crate::specifics::PrivateCluster::new("ralph-pg-notls") else {
            return;
        };
        cluster.start();
        let plain = PostgresBackend::connect(settings(cluster.url()))
            .await
            .expect("prefer falls back to plain text");
        assert!(round_trip_encrypted(&plain).await.is_empty());
        let err =
            PostgresBackend::connect(settings(with_params(&cluster.url(), "sslmode=require")))
                .await
                .expect_err("the server has no TLS");
        let text = err.to_string();
        assert!(
            text.contains(&format!("127.0.0.1:{}", cluster.port)),
            "{text}"
        );
        assert!(text.contains("server does not support TLS"), "{text}");
    }
}

#[cfg(not(feature = "tls"))]
mod without_tls {
    use super::*;

    #[tokio::test]
    async fn a_build_without_tls_refuses_what_needs_it() {
        let Some(url) = ralph_testkit::server_url("RALPH_TEST_POSTGRES_URL") else {
            return;
        };
        for params in [
            "sslmode=require",
            "sslmode=verify-full",
            "sslrootcert=/ca.pem",
        ] {
            let err = PostgresBackend::connect(settings(with_params(&url, params)))
                .await
                .expect_err(params);
            assert_eq!(err.kind(), ErrorKind::ConfigInvalid, "{err}");
            assert!(err.to_string().contains("no TLS support"), "{err}");
        }
        // The default `prefer` connects in plain text.
        let backend = PostgresBackend::connect(settings(url))
            .await
            .expect("connect");
        assert!(round_trip_encrypted(&backend).await.is_empty());
    }
}
