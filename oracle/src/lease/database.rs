//! The lease database: parsing `ORACLE_LEASE_DATABASE_URL` into a [`DatabaseTarget`] (driver
//! config, TLS choice, redacted name) and connecting to it.
//!
//! TLS follows the URL's `sslmode`, as libpq users expect, with one deliberate difference: the
//! server's certificate and host name are always verified when TLS is on. A lease server that
//! is not authenticated could hand leadership to two replicas at once, so `require` means what
//! libpq calls `verify-full`, and `prefer`/`allow` (which fall back to plain text) are refused.
//!
//! | `sslmode` | here |
//! |---|---|
//! | absent, `disable` | plain TCP (or a Unix socket) |
//! | `require`, `verify-ca`, `verify-full` | TLS 1.2/1.3, certificate chain and host name verified |
//! | `prefer`, `allow` | refused at start-up |
//!
//! Trusted roots: the platform's store (`rustls-platform-verifier`, which on Linux reads the
//! system bundle and honours `SSL_CERT_FILE`/`SSL_CERT_DIR`), or only the PEM certificates of
//! `sslrootcert=<file>` when the URL names one (`sslrootcert=system` is the platform store).
//! Crypto is aws-lc-rs, the workspace's one provider. Every other parameter goes to
//! `tokio-postgres` unchanged; an unknown one is refused with its name.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use rustls_platform_verifier::BuilderVerifierExt as _;
use tokio_postgres::config::Host;
use tokio_postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::LeaseError;

/// The most bytes read from an `sslrootcert` file.
pub const MAX_ROOT_CERT_FILE_BYTES: u64 = 1024 * 1024;

/// The `application_name` the oracle's sessions carry unless the URL sets one.
const APPLICATION_NAME: &str = "irsforge-oracle";

/// Where the lease lives and how to reach it. `Debug` and `Display` never show the password.
#[derive(Clone)]
pub struct DatabaseTarget {
    config: tokio_postgres::Config,
    tls: Option<MakeRustlsConnect>,
    roots: Option<PathBuf>,
    shown: String,
}

impl fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Display for DatabaseTarget {
    /// `postgres://user@host:port/db`, plus `(TLS)` or `(TLS, roots from <file>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)?;
        match (&self.tls, &self.roots) {
            (None, _) => Ok(()),
            (Some(_), None) => f.write_str(" (TLS, platform roots)"),
            (Some(_), Some(path)) => write!(f, " (TLS, roots from {})", path.display()),
        }
    }
}

impl DatabaseTarget {
    /// Parses a `postgres://` or `postgresql://` URL (see the module doc for `sslmode` and
    /// `sslrootcert`). Reads the `sslrootcert` file now, so a bad one stops the boot.
    pub fn parse(url: &str) -> Result<Self, LeaseError> {
        let invalid = |detail: String| LeaseError::InvalidUrl { detail };
        let url = url.trim();
        let scheme_ok = ["postgres://", "postgresql://"].iter().any(|scheme| {
            url.len() >= scheme.len() && url[..scheme.len()].eq_ignore_ascii_case(scheme)
        });
        if !scheme_ok {
            return Err(invalid(
                "must be a postgres:// or postgresql:// URL, e.g. \
                 postgres://oracle@db.internal:5432/irsforge?sslmode=require"
                    .to_owned(),
            ));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut passed = Vec::new();
        let (mut sslmode, mut rootcert) = (None, None);
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match percent_decode(key).as_str() {
                "sslmode" => sslmode = Some(percent_decode(value)),
                "sslrootcert" => rootcert = Some(percent_decode(value)),
                _ => passed.push(pair),
            }
        }
        let tls = match sslmode.as_deref() {
            None | Some("disable") => false,
            Some("require" | "verify-ca" | "verify-full") => true,
            Some(mode @ ("prefer" | "allow")) => {
                return Err(invalid(format!(
                    "sslmode={mode} is not supported: it falls back to plain text; use \
                     sslmode=require (TLS with the certificate verified) or sslmode=disable"
                )));
            }
            Some(other) => {
                return Err(invalid(format!(
                    "sslmode={other:?} is not one of disable, require, verify-ca, verify-full"
                )));
            }
        };
        let roots = match rootcert.as_deref() {
            None | Some("system") => None,
            Some("") => return Err(invalid("sslrootcert is empty".to_owned())),
            Some(path) => Some(PathBuf::from(path)),
        };
        if !tls && roots.is_some() {
            return Err(invalid(
                "sslrootcert is set but sslmode does not ask for TLS: add sslmode=require"
                    .to_owned(),
            ));
        }
        passed.push(if tls {
            "sslmode=require"
        } else {
            "sslmode=disable"
        });
        let rebuilt = format!("{base}?{}", passed.join("&"));
        let mut config = tokio_postgres::Config::from_str(&rebuilt)
            .map_err(|error| invalid(service_runtime::report::Chain(&error).to_string()))?;
        if config.get_hosts().is_empty() {
            return Err(invalid(
                "names no host (postgres://user@HOST:5432/database)".to_owned(),
            ));
        }
        if config.get_application_name().is_none() {
            config.application_name(APPLICATION_NAME);
        }
        let tls = match tls {
            true => Some(tls_connector(roots.as_deref())?),
            false => None,
        };
        let shown = redacted(&config);
        Ok(Self {
            config,
            tls,
            roots,
            shown,
        })
    }

    /// Whether connections use TLS.
    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Opens a session whose statements the server cuts at `statement_timeout`; the
    /// connection's I/O runs on a task that ends with the returned [`Client`]'s last clone
    /// (or is aborted through the returned handle).
    pub(crate) async fn connect(
        &self,
        connect_timeout: Duration,
        statement_timeout: Duration,
    ) -> Result<(Client, tokio::task::JoinHandle<()>), LeaseError> {
        let mut config = self.config.clone();
        config.connect_timeout(connect_timeout);
        let timeout_option = format!("-c statement_timeout={}", statement_timeout.as_millis());
        let options = match config.get_options() {
            Some(existing) if !existing.trim().is_empty() => format!("{existing} {timeout_option}"),
            _ => timeout_option,
        };
        config.options(&options);
        let failed = |source| LeaseError::Connect {
            target: self.to_string(),
            source,
        };
        let connecting = async {
            match &self.tls {
                Some(tls) => {
                    let (client, connection) = config.connect(tls.clone()).await.map_err(failed)?;
                    Ok((client, tokio::spawn(async move { drop(connection.await) })))
                }
                None => {
                    let (client, connection) = config.connect(NoTls).await.map_err(failed)?;
                    Ok((client, tokio::spawn(async move { drop(connection.await) })))
                }
            }
        };
        tokio::time::timeout(connect_timeout, connecting)
            .await
            .unwrap_or(Err(LeaseError::Timeout {
                operation: "connect",
                after: connect_timeout,
            }))
    }
}

/// `%XX` decoding of one URL component (libpq's rule; `+` stays `+`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match (bytes[index], hex(index + 1), hex(index + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                index += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `postgres://user@host:port,host2:port2/db`, never the password.
fn redacted(config: &tokio_postgres::Config) -> String {
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(index, host)| {
            let name = match host {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            };
            let port = ports.get(index).or(ports.first()).copied().unwrap_or(5432);
            format!("{name}:{port}")
        })
        .collect();
    let user = config
        .get_user()
        .map(|user| format!("{user}@"))
        .unwrap_or_default();
    let database = config.get_dbname().unwrap_or("");
    format!("postgres://{user}{}/{database}", hosts.join(","))
}

fn tls_connector(roots: Option<&Path>) -> Result<MakeRustlsConnect, LeaseError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(LeaseError::Tls)?;
    let config = match roots {
        None => builder
            .with_platform_verifier()
            .map_err(LeaseError::Tls)?
            .with_no_client_auth(),
        Some(path) => builder
            .with_root_certificates(root_store(path)?)
            .with_no_client_auth(),
    };
    Ok(MakeRustlsConnect::new(config))
}

/// The certificates of a PEM file, read up to [`MAX_ROOT_CERT_FILE_BYTES`].
fn root_store(path: &Path) -> Result<rustls::RootCertStore, LeaseError> {
    use std::io::Read as _;
    let failed = |detail: String| LeaseError::RootCertificates {
        path: path.to_owned(),
        detail,
    };
    let file = std::fs::File::open(path).map_err(|error| failed(error.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_ROOT_CERT_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| failed(error.to_string()))?;
    if bytes.len() as u64 > MAX_ROOT_CERT_FILE_BYTES {
        return Err(failed(format!(
            "larger than {MAX_ROOT_CERT_FILE_BYTES} bytes; a CA bundle is far smaller"
        )));
    }
    let mut store = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(&bytes) {
        let certificate = certificate.map_err(|error| failed(format!("not PEM: {error}")))?;
        store
            .add(certificate)
            .map_err(|error| failed(format!("not a usable CA certificate: {error}")))?;
    }
    if store.is_empty() {
        return Err(failed("holds no PEM certificate".to_owned()));
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(url: &str) -> String {
        DatabaseTarget::parse(url).unwrap_err().to_string()
    }

    #[test]
    fn a_plain_url_is_shown_without_its_password() {
        let target =
            DatabaseTarget::parse("postgres://oracle:p%40ss@db.internal:6543/irsforge").unwrap();
        assert!(!target.uses_tls());
        assert_eq!(
            target.to_string(),
            "postgres://oracle@db.internal:6543/irsforge"
        );
        assert_eq!(
            format!("{target:?}"),
            "postgres://oracle@db.internal:6543/irsforge"
        );
        assert_eq!(
            target.config.get_application_name(),
            Some("irsforge-oracle")
        );
    }

    #[test]
    fn require_turns_on_verified_tls_and_prefer_is_refused() {
        for mode in ["require", "verify-ca", "verify-full"] {
            let target =
                DatabaseTarget::parse(&format!("postgresql://o@db/irs?sslmode={mode}")).unwrap();
            assert!(target.uses_tls(), "{mode}");
            assert_eq!(
                target.to_string(),
                "postgres://o@db:5432/irs (TLS, platform roots)"
            );
        }
        assert_eq!(
            error("postgres://o@db/irs?sslmode=prefer"),
            "ORACLE_LEASE_DATABASE_URL / --lease-database-url: sslmode=prefer is not supported: \
             it falls back to plain text; use sslmode=require (TLS with the certificate \
             verified) or sslmode=disable"
        );
        assert!(error("postgres://o@db/irs?sslmode=on").contains("is not one of disable"));
    }

    #[test]
    fn bad_urls_are_refused_without_echoing_a_password() {
        let refused = error("mysql://o:hunter2@db/irs");
        assert!(
            refused.contains("must be a postgres:// or postgresql:// URL"),
            "{refused}"
        );
        assert!(!refused.contains("hunter2"));
        let unknown = error("postgres://o:hunter2@db/irs?sslcert=/x.pem");
        assert!(unknown.contains("sslcert"), "{unknown}");
        assert!(!unknown.contains("hunter2"));
        assert!(error("postgres://o:hunter2@db:notaport/irs").contains("invalid"));
        assert!(error("postgres://db/irs?sslrootcert=/ca.pem").contains("add sslmode=require"));
    }

    #[test]
    fn sslrootcert_is_read_at_parse_time_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let refused = error(&format!(
            "postgres://db/irs?sslmode=require&sslrootcert={}",
            missing.display()
        ));
        assert!(
            refused.starts_with(&format!("sslrootcert {}: ", missing.display())),
            "{refused}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        assert!(
            error(&format!(
                "postgres://db/irs?sslmode=require&sslrootcert={}",
                empty.display()
            ))
            .ends_with("holds no PEM certificate")
        );
        let huge = dir.path().join("huge.pem");
        std::fs::write(&huge, vec![b'#'; MAX_ROOT_CERT_FILE_BYTES as usize + 1]).unwrap();
        assert!(
            error(&format!(
                "postgres://db/irs?sslmode=require&sslrootcert={}",
                huge.display()
            ))
            .contains("larger than 1048576 bytes")
        );
    }

    #[test]
    fn percent_decoding_follows_libpq() {
        assert_eq!(percent_decode("%2Fetc%2Fca.pem"), "/etc/ca.pem");
        assert_eq!(percent_decode("a+b%zz"), "a+b%zz");
    }
}
