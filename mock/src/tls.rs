//! Certificates made at start-up for the HTTPS mock: a CA of its own and a server certificate it
//! signed, so that a client under test trusts exactly what the test tells it to.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// How the HTTPS mock's certificate is made.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// The names (DNS names or IP addresses) the certificate is valid for; the first one is the
    /// base URL's host. Default `localhost` only, so that `https://127.0.0.1:PORT` is a name
    /// mismatch.
    pub names: Vec<String>,
    /// Make a certificate that expired yesterday.
    pub expired: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self { names: vec!["localhost".into()], expired: false }
    }
}

pub(crate) struct Made {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) ca_pem: String,
}

/// A fresh CA, a server certificate for `options.names` signed by it, and the acceptor.
pub(crate) fn make(options: &TlsOptions) -> anyhow::Result<Made> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name.push(DnType::CommonName, "litellm-mock test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key)?;

    let key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(options.names.clone())?;
    leaf.distinguished_name.push(DnType::CommonName, options.names.first().map_or("localhost", String::as_str));
    if options.expired {
        let now = time::OffsetDateTime::now_utc();
        leaf.not_before = now - time::Duration::days(30);
        leaf.not_after = now - time::Duration::days(1);
    }
    let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
    let leaf_cert = leaf.signed_by(&key, &issuer)?;

    let chain = vec![CertificateDer::from(leaf_cert.der().to_vec())];
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, private)?;
    Ok(Made { acceptor: TlsAcceptor::from(Arc::new(config)), ca_pem: ca_cert.pem() })
}
