//! Which certificate authorities a tenant's HTTPS connections trust, and what a rejected
//! certificate is called in an error.
//!
//! wasmtime's own sender trusts the bundled webpki roots only, with no way to add a company CA
//! (wasmtime issue #8748); the host therefore makes its TLS connections itself, with rustls.

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{CertificateError, ClientConfig, RootCertStore};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Certificates of authorities to trust, read from PEM.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct CaBundle(Vec<CertificateDer<'static>>);

impl CaBundle {
    /// Every `CERTIFICATE` in a PEM text; fails when there is none or one does not parse.
    pub fn from_pem(pem: &[u8]) -> anyhow::Result<Self> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("reading PEM certificates: {e}"))?;
        anyhow::ensure!(!certs.is_empty(), "no CERTIFICATE found in the PEM text");
        // Checked now, so that adding the bundle to a root store later cannot fail.
        add(&mut RootCertStore::empty(), &Self(certs.clone()))?;
        Ok(Self(certs))
    }

    /// Every certificate in a PEM file (a CA bundle such as `SSL_CERT_FILE` names).
    pub fn from_pem_file(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref();
        let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_pem(&pem).with_context(|| format!("in {}", path.display()))
    }

    /// How many certificates the bundle holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the bundle holds none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn extend(&mut self, other: &CaBundle) {
        self.0.extend(other.0.iter().cloned());
    }
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaBundle({} certificates)", self.0.len())
    }
}

/// The roots every tenant of a host trusts; a tenant may add its own ([`crate::Tenant::trust`]).
#[derive(Debug, Clone)]
pub struct TlsRoots {
    /// Mozilla's roots as the `webpki-roots` crate bundles them (what wasmtime trusts). Default on.
    pub webpki: bool,
    /// The operating system's store (`rustls-native-certs`, which also reads `SSL_CERT_FILE` and
    /// `SSL_CERT_DIR`). Default off.
    pub system: bool,
    /// Further authorities, e.g. a company CA.
    pub extra: CaBundle,
}

impl Default for TlsRoots {
    fn default() -> Self {
        Self { webpki: true, system: false, extra: CaBundle::default() }
    }
}

impl TlsRoots {
    /// The default roots plus the bundle `SSL_CERT_FILE` names, when it is set (the OpenSSL
    /// convention many tools follow).
    pub fn from_env() -> anyhow::Result<Self> {
        let mut roots = Self::default();
        if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
            roots.extra.extend(&CaBundle::from_pem_file(file).context("SSL_CERT_FILE")?);
        }
        Ok(roots)
    }

    /// These roots with `bundle` added.
    pub fn with(mut self, bundle: &CaBundle) -> Self {
        self.extra.extend(bundle);
        self
    }

    /// The root store these settings describe.
    pub(crate) fn store(&self) -> anyhow::Result<RootCertStore> {
        let mut store = RootCertStore::empty();
        if self.webpki {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        if self.system {
            let found = rustls_native_certs::load_native_certs();
            anyhow::ensure!(
                !found.certs.is_empty() || found.errors.is_empty(),
                "loading the system's certificates: {:?}",
                found.errors
            );
            store.add_parsable_certificates(found.certs);
        }
        add(&mut store, &self.extra)?;
        Ok(store)
    }
}

fn add(store: &mut RootCertStore, bundle: &CaBundle) -> anyhow::Result<()> {
    for cert in &bundle.0 {
        store.add(cert.clone()).map_err(|e| anyhow::anyhow!("a CA certificate is not usable: {e}"))?;
    }
    Ok(())
}

/// A client configuration over `roots` plus a tenant's own authorities: HTTP/1.1 only (a
/// tenant's pool keeps its connections alive; ALPN `h2` is not offered).
pub(crate) fn client_config(roots: &RootCertStore, tenant_cas: &CaBundle) -> Arc<ClientConfig> {
    let mut store = roots.clone();
    // Every bundle's certificates were checked when it was read.
    store.add_parsable_certificates(tenant_cas.0.iter().cloned());
    // The provider is named, not left to rustls' process default, so that another crate in the
    // process that enables aws-lc-rs cannot make the choice ambiguous.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports rustls' default protocol versions")
        .with_root_certificates(store)
        .with_no_client_auth();
    Arc::new(config)
}

/// Why a certificate was rejected, for a person: the words an operator searches for.
pub(crate) fn certificate_problem(error: &CertificateError) -> String {
    match error {
        CertificateError::UnknownIssuer => "unknown issuer (no trusted root signed it)".into(),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "name mismatch (it is not valid for the host name)".into()
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => "expired".into(),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => "not valid yet".into(),
        CertificateError::Revoked => "revoked".into(),
        CertificateError::BadSignature => "bad signature".into(),
        CertificateError::BadEncoding => "bad encoding".into(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "not for server authentication".into()
        }
        other => format!("{other:?}"),
    }
}
