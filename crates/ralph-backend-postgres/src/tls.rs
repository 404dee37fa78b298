//! TLS of the connections, with libpq's meaning of `sslmode` and `sslrootcert` in the connection
//! string (tokio-postgres itself knows `sslmode` only up to `require` and has no `sslrootcert`).
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (the default) | when the server offers it | not checked; checked against `sslrootcert` when given |
//! | `require` | always | not checked; checked against `sslrootcert` when given |
//! | `verify-ca` | always | signed by `sslrootcert` (default: the system's roots) |
//! | `verify-full` | always | as `verify-ca`, and issued for the host connected to |
//!
//! `sslrootcert=system` trusts the system's roots and, as in libpq, implies `verify-full`.
//! The rustls connector (cargo feature `tls`) uses the workspace's aws-lc-rs provider,
//! given explicitly rather than installed process-wide.

use std::path::PathBuf;

use ralph_core::Error;

/// libpq's `sslmode` (`allow` is not supported: tokio-postgres cannot try plain text first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    /// Plain text only.
    Disable,
    /// TLS when the server offers it.
    Prefer,
    /// TLS always, the certificate unchecked unless a root is given.
    Require,
    /// TLS, the certificate signed by a trusted root.
    VerifyCa,
    /// TLS, the certificate signed by a trusted root and valid for the host.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> std::result::Result<Self, String> {
        Ok(match value {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => {
                return Err(format!(
                    "`sslmode={other}` is not supported (disable, prefer, require, verify-ca, \
                     verify-full)"
                ));
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

/// The certificate authorities to trust (`sslrootcert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RootCert {
    /// A PEM file of one or more CA certificates.
    File(PathBuf),
    /// The system's trusted roots (`sslrootcert=system`).
    System,
}

/// The TLS part of a connection string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsParams {
    /// The effective `sslmode`.
    pub mode: SslMode,
    /// `sslrootcert`, when given.
    pub root_cert: Option<RootCert>,
}

impl TlsParams {
    /// Takes `sslmode` and `sslrootcert` out of `conn` (URL or `key=value` form): the TLS
    /// parameters and the rest of the connection string, for tokio-postgres.
    pub(crate) fn split(conn: &str) -> std::result::Result<(String, Self), String> {
        let (rest, taken) = match ["postgres://", "postgresql://"]
            .iter()
            .find(|prefix| conn.starts_with(**prefix))
        {
            Some(prefix) => split_url(conn, prefix.len())?,
            None => split_key_value(conn),
        };
        let mut mode = None;
        let mut root_cert = None;
        for (key, value) in taken {
            if key == "sslmode" {
                mode = Some(SslMode::parse(&value)?);
            } else if value == "system" {
                root_cert = Some(RootCert::System);
            } else if !value.is_empty() {
                root_cert = Some(RootCert::File(PathBuf::from(value)));
            }
        }
        let mode = match (mode, &root_cert) {
            (None, Some(RootCert::System)) => SslMode::VerifyFull,
            (Some(mode), Some(RootCert::System)) if mode != SslMode::VerifyFull => {
                return Err(format!(
                    "`sslrootcert=system` needs `sslmode=verify-full`, not `{}`",
                    mode.name()
                ));
            }
            (mode, _) => mode.unwrap_or(SslMode::Prefer),
        };
        Ok((rest, Self { mode, root_cert }))
    }

    /// The mode tokio-postgres applies (it knows no `verify-*`: those are `require` plus our
    /// certificate check).
    pub(crate) fn postgres_mode(&self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode as Pg;
        match self.mode {
            SslMode::Disable => Pg::Disable,
            SslMode::Prefer => Pg::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Pg::Require,
        }
    }

    /// Whether the connection string asks for more than what a build without TLS gives.
    #[cfg_attr(feature = "tls", allow(dead_code))]
    pub(crate) fn needs_tls(&self) -> bool {
        !matches!(self.mode, SslMode::Disable | SslMode::Prefer) || self.root_cert.is_some()
    }

    /// The refusal of a build without TLS (the `tls` feature off), for the setting `key`.
    #[cfg_attr(feature = "tls", allow(dead_code))]
    pub(crate) fn no_tls_error(&self, key: &str) -> Error {
        let asked = match &self.root_cert {
            Some(_) if !self.needs_tls_by_mode() => "`sslrootcert`".to_owned(),
            _ => format!("`sslmode={}`", self.mode.name()),
        };
        Error::config(format!(
            "setting `{key}`: {asked} asks for TLS, and this build of ralph has no TLS support \
             (cargo feature `postgres-tls` of ralph-cli, `tls` of ralph-backend-postgres); \
             refusing to connect in plain text"
        ))
    }

    #[cfg_attr(feature = "tls", allow(dead_code))]
    fn needs_tls_by_mode(&self) -> bool {
        !matches!(self.mode, SslMode::Disable | SslMode::Prefer)
    }
}

/// Splits a URL's query parameters into the kept ones and `sslmode` / `sslrootcert`.
fn split_url(
    conn: &str,
    prefix: usize,
) -> std::result::Result<(String, Vec<(String, String)>), String> {
    let after = &conn[prefix..];
    // As tokio-postgres reads it: the credentials end at the first `@`, the query starts at the
    // first `?` after them.
    let base = after.find('@').map_or(0, |i| i + 1);
    let Some(query) = after[base..].find('?').map(|i| prefix + base + i) else {
        return Ok((conn.to_owned(), Vec::new()));
    };
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    for pair in conn[query + 1..].split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key)?;
        if key == "sslmode" || key == "sslrootcert" {
            taken.push((key, percent_decode(value)?));
        } else {
            kept.push(pair);
        }
    }
    let mut rest = conn[..query].to_owned();
    if !kept.is_empty() {
        rest.push('?');
        rest.push_str(&kept.join("&"));
    }
    Ok((rest, taken))
}

fn percent_decode(text: &str) -> std::result::Result<String, String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| format!("`{text}` is not UTF-8 once percent-decoded"))
}

/// Splits a `key=value ...` connection string as tokio-postgres reads it (values bare or in
/// single quotes, `\` escaping). Anything it cannot read is left whole, for tokio-postgres to
/// report.
fn split_key_value(conn: &str) -> (String, Vec<(String, String)>) {
    let chars: Vec<(usize, char)> = conn.char_indices().collect();
    let at = |i: usize| chars.get(i).map_or(conn.len(), |&(at, _)| at);
    let is_space = |i: usize| chars.get(i).is_some_and(|&(_, c)| c.is_whitespace());
    let is = |i: usize, want: char| chars.get(i).is_some_and(|&(_, c)| c == want);
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    let mut i = 0;
    loop {
        while is_space(i) {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let start = i;
        while i < chars.len() && !is_space(i) && !is(i, '=') {
            i += 1;
        }
        let key = &conn[at(start)..at(i)];
        while is_space(i) {
            i += 1;
        }
        if key.is_empty() || !is(i, '=') {
            return (conn.to_owned(), Vec::new());
        }
        i += 1;
        while is_space(i) {
            i += 1;
        }
        let mut value = String::new();
        let quoted = is(i, '\'');
        if quoted {
            i += 1;
        }
        while let Some(&(_, c)) = chars.get(i) {
            if (quoted && c == '\'') || (!quoted && c.is_whitespace()) {
                break;
            }
            i += 1;
            if c == '\\' {
                if let Some(&(_, escaped)) = chars.get(i) {
                    value.push(escaped);
                    i += 1;
                }
            } else {
                value.push(c);
            }
        }
        if quoted {
            if !is(i, '\'') {
                return (conn.to_owned(), Vec::new());
            }
            i += 1;
        }
        if key == "sslmode" || key == "sslrootcert" {
            taken.push((key.to_owned(), value));
        } else {
            kept.push(&conn[at(start)..at(i)]);
        }
    }
    (kept.join(" "), taken)
}

#[cfg(feature = "tls")]
pub(crate) use connector::connector;

#[cfg(feature = "tls")]
mod connector {
    use std::sync::Arc;

    use ralph_core::{Error, Result};
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::client::verify_server_cert_signed_by_trust_anchor;
    use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::server::ParsedCertificate;
    use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
    use tokio_postgres_rustls::MakeRustlsConnect;

    use super::{RootCert, SslMode, TlsParams};

    /// The rustls connector for `params` (the setting `key`), or `None` for `sslmode=disable`.
    pub(crate) fn connector(params: &TlsParams, key: &str) -> Result<Option<MakeRustlsConnect>> {
        if params.mode == SslMode::Disable {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|err| Error::config(format!("postgres tls: {err}")))?;
        let roots = match (&params.root_cert, params.mode) {
            (Some(root), _) => Some(load_roots(root, key)?),
            (None, SslMode::VerifyCa | SslMode::VerifyFull) => {
                Some(load_roots(&RootCert::System, key)?)
            }
            (None, _) => None,
        };
        let mut config = match (roots, params.mode) {
            (Some(roots), SslMode::VerifyFull) => {
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            (Some(roots), _) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly {
                    roots: Arc::new(roots),
                    provider,
                }))
                .with_no_client_auth(),
            (None, _) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unchecked(provider)))
                .with_no_client_auth(),
        };
        // What libpq sends; PostgreSQL 17 requires it with `sslnegotiation=direct`.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(Some(MakeRustlsConnect::new(config)))
    }

    fn load_roots(root: &RootCert, key: &str) -> Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        match root {
            RootCert::File(path) => {
                let unreadable = |err: &dyn std::fmt::Display| {
                    Error::config(format!(
                        "setting `{key}`: `sslrootcert` `{}`: {err}",
                        path.display()
                    ))
                };
                let certs = CertificateDer::pem_file_iter(path)
                    .map_err(|err| unreadable(&err))?
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|err| unreadable(&err))?;
                if certs.is_empty() {
                    return Err(unreadable(&"no PEM certificate in it"));
                }
                for cert in certs {
                    roots.add(cert).map_err(|err| unreadable(&err))?;
                }
            }
            RootCert::System => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(Error::config(format!(
                        "setting `{key}`: no trusted root certificates on this system to check \
                         the server's certificate against; name a CA file with `sslrootcert`"
                    )));
                }
            }
        }
        Ok(roots)
    }

    /// `verify-ca`: the certificate chains to a trusted root, whatever host it names.
    #[derive(Debug)]
    struct ChainOnly {
        roots: Arc<RootCertStore>,
        provider: Arc<CryptoProvider>,
    }

    impl ServerCertVerifier for ChainOnly {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            now: UnixTime,
        ) -> std::result::Result<ServerCertVerified, rustls::Error> {
            let cert = ParsedCertificate::try_from(end_entity)?;
            verify_server_cert_signed_by_trust_anchor(
                &cert,
                &self.roots,
                intermediates,
                now,
                self.provider.signature_verification_algorithms.all,
            )?;
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    }

    /// `prefer` and `require` without `sslrootcert`, as libpq: encrypted, the certificate not
    /// checked (the handshake signatures still are).
    #[derive(Debug)]
    struct Unchecked(Arc<CryptoProvider>);

    impl ServerCertVerifier for Unchecked {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> std::result::Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

/// Without the `tls` feature: refuses what needs TLS, and never tries it otherwise.
#[cfg(not(feature = "tls"))]
pub(crate) fn check_no_tls(params: &TlsParams, key: &str) -> ralph_core::Result<()> {
    if params.needs_tls() {
        return Err(params.no_tls_error(key));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(conn: &str) -> (String, TlsParams) {
        TlsParams::split(conn).expect(conn)
    }

    #[test]
    fn url_parameters_are_taken_out_and_the_rest_kept() {
        let (rest, tls) = split(
            "postgres://u:p%3F@127.0.0.1:5432/db?application_name=x&sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&connect_timeout=3",
        );
        assert_eq!(
            rest,
            "postgres://u:p%3F@127.0.0.1:5432/db?application_name=x&connect_timeout=3"
        );
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(
            tls.root_cert,
            Some(RootCert::File(PathBuf::from("/tmp/ca.pem")))
        );
        let (rest, tls) = split("postgresql://127.0.0.1/db?sslmode=require");
        assert_eq!(rest, "postgresql://127.0.0.1/db");
        assert_eq!((tls.mode, tls.root_cert), (SslMode::Require, None));
        let (rest, tls) = split("postgres://u:a?b@h/db");
        assert_eq!(rest, "postgres://u:a?b@h/db");
        assert_eq!(tls.mode, SslMode::Prefer);
    }

    #[test]
    fn key_value_parameters_are_taken_out_and_the_rest_kept() {
        let (rest, tls) = split(
            "host=127.0.0.1 sslmode = 'verify-ca'  password='a b\\'c' sslrootcert=/ca\\ dir/ca.pem dbname=ralph",
        );
        assert_eq!(rest, "host=127.0.0.1 password='a b\\'c' dbname=ralph");
        assert_eq!(tls.mode, SslMode::VerifyCa);
        assert_eq!(
            tls.root_cert,
            Some(RootCert::File(PathBuf::from("/ca dir/ca.pem")))
        );
        // Unreadable: left whole for tokio-postgres to report.
        let (rest, _) = split("host=h password='open sslmode=require");
        assert_eq!(rest, "host=h password='open sslmode=require");
    }

    #[test]
    fn modes_follow_libpq() {
        assert_eq!(split("host=h").1.mode, SslMode::Prefer);
        assert_eq!(
            split("host=h sslrootcert=system").1.mode,
            SslMode::VerifyFull
        );
        let err = TlsParams::split("host=h sslmode=require sslrootcert=system")
            .expect_err("weaker than verify-full");
        assert!(err.contains("verify-full"), "{err}");
        let err = TlsParams::split("postgres://h/db?sslmode=allow").expect_err("allow");
        assert!(err.contains("`sslmode=allow` is not supported"), "{err}");
        assert!(!split("host=h").1.needs_tls());
        assert!(!split("host=h sslmode=disable").1.needs_tls());
        assert!(split("host=h sslmode=require").1.needs_tls());
        assert!(split("host=h sslrootcert=/ca.pem").1.needs_tls());
    }

    #[test]
    fn a_build_without_tls_says_so() {
        let err = split("host=h sslmode=verify-full")
            .1
            .no_tls_error("backends.data.postgres.connection_string");
        let text = err.to_string();
        assert!(text.contains("`sslmode=verify-full`"), "{text}");
        assert!(text.contains("no TLS support"), "{text}");
    }
}
