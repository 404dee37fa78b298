//! The `postgres` backend through the binary over TLS (`RALPH_TEST_POSTGRES_URL`, whose server
//! has a certificate signed by `RALPH_TEST_POSTGRES_TLS_CA`).

use crate::{Sandbox, assert_code, stderr};

/// `url` with `params` added.
fn with_params(url: &str, params: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{params}")
}

#[cfg(feature = "postgres-tls")]
#[test]
fn write_and_read_over_verified_tls() {
    let (Some(url), Some(ca)) = (
        ralph_testkit::server_url("RALPH_TEST_POSTGRES_URL"),
        ralph_testkit::server_url("RALPH_TEST_POSTGRES_TLS_CA"),
    ) else {
        return;
    };
    let sb = Sandbox::fresh();
    let table = ralph_testkit::unique_name("cli_tls");
    let verified = with_params(&url, &format!("sslmode=verify-full&sslrootcert={ca}"));
    let env = [(
        "RALPH_BACKENDS__DATA__POSTGRES__CONNECTION_STRING".to_owned(),
        verified,
    )];
    let events: String = (0..10)
        .map(|i| {
            format!(
                "{{\"id\":\"{}\",\"n\":{i}}}\n",
                ralph_testkit::sample_id("cli", i)
            )
        })
        .collect();
    let mut write = sb.ralph();
    write
        .envs(env.iter().cloned())
        .args(["write", "-b", "postgres", "-t", &table]);
    assert_code(&crate::run_with(&mut write, events.as_bytes()), 0);
    // Only an encrypted reading connection sees the rows.
    let query = r#"{"where": "(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())"}"#;
    let out = sb.run_env(&["read", "-b", "postgres", "-t", &table, query], &env);
    assert_code(&out, 0);
    assert_eq!(crate::stdout(&out).lines().count(), 10, "{}", stderr(&out));

    let other_ca = std::path::Path::new(&ca).with_file_name("other-ca.pem");
    let wrong = [(
        "RALPH_BACKENDS__DATA__POSTGRES__CONNECTION_STRING".to_owned(),
        with_params(
            &url,
            &format!("sslmode=verify-full&sslrootcert={}", other_ca.display()),
        ),
    )];
    let out = sb.run_env(&["read", "-b", "postgres", "-t", &table], &wrong);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("not signed by a trusted CA"),
        "{}",
        stderr(&out)
    );
}

#[cfg(all(feature = "postgres", not(feature = "postgres-tls")))]
#[test]
fn a_build_without_tls_refuses_sslmode_require() {
    let Some(url) = ralph_testkit::server_url("RALPH_TEST_POSTGRES_URL") else {
        return;
    };
    let sb = Sandbox::fresh();
    let env = [(
        "RALPH_BACKENDS__DATA__POSTGRES__CONNECTION_STRING".to_owned(),
        with_params(&url, "sslmode=require"),
    )];
    let out = sb.run_env(&["list", "-b", "postgres"], &env);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("no TLS support"), "{}", stderr(&out));
}
