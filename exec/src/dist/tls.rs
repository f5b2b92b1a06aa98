//! TLS between agents and from clients: certificate files, the rustls
//! configurations tonic needs, and a small certificate authority for
//! `pxl certs`.
//!
//! Agents authenticate each other with certificates (mutual TLS): every
//! agent has a certificate and key signed by the cluster CA, presents it
//! when it serves and when it connects, and accepts only peers whose
//! certificate chains to that CA. Clients (the CLI) authenticate with the
//! bearer token; they need only the CA to check the agent they talk to, and
//! may present a certificate too.

use std::path::{Path, PathBuf};
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// PEM files: a certificate with its key (optional for clients) and the CA
/// that signs the peers.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub ca: PathBuf,
}

/// Loaded, checked PEM material.
#[derive(Debug, Clone)]
pub struct Tls {
    identity: Option<(Vec<u8>, Vec<u8>)>,
    ca: Vec<u8>,
    /// Where it came from, for messages.
    pub ca_path: PathBuf,
}

fn read_pem(path: &Path, what: &str, markers: &[&str]) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    if !markers
        .iter()
        .any(|m| text.contains(&format!("-----BEGIN {m}-----")))
    {
        return Err(format!(
            "{} is not a PEM {what} (no `-----BEGIN {}-----` line)",
            path.display(),
            markers[0]
        ));
    }
    Ok(bytes)
}

impl Tls {
    /// Reads and checks the files. A certificate needs its key and the
    /// other way round.
    pub fn load(files: &TlsFiles) -> Result<Tls, String> {
        let identity = match (&files.cert, &files.key) {
            (Some(c), Some(k)) => Some((
                read_pem(c, "certificate", &["CERTIFICATE"])?,
                read_pem(
                    k,
                    "private key",
                    &["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"],
                )?,
            )),
            (None, None) => None,
            (Some(_), None) => {
                return Err("--tls-cert needs --tls-key (the certificate's key)".into());
            }
            (None, Some(_)) => {
                return Err("--tls-key needs --tls-cert (the key's certificate)".into());
            }
        };
        let ca = read_pem(&files.ca, "CA certificate", &["CERTIFICATE"])?;
        let tls = Tls {
            identity,
            ca,
            ca_path: files.ca.clone(),
        };
        // rustls parses the material here, so that a broken file is
        // reported now and not at the first connection.
        tls.client()?;
        if tls.identity.is_some() {
            tonic::transport::Server::builder()
                .tls_config(tls.server()?)
                .map_err(|e| format!("the TLS certificate or key cannot be used: {e}"))?;
        }
        Ok(tls)
    }

    pub fn has_identity(&self) -> bool {
        self.identity.is_some()
    }

    /// The server side: our certificate, and peers' certificates checked
    /// against the CA when they present one (clients may come with only a
    /// token; agent-to-agent calls are checked for a certificate by the
    /// service).
    pub fn server(&self) -> Result<ServerTlsConfig, String> {
        let (cert, key) = self
            .identity
            .as_ref()
            .ok_or("serving TLS needs a certificate and key (--tls-cert, --tls-key)")?;
        Ok(ServerTlsConfig::new()
            .identity(Identity::from_pem(cert, key))
            .client_ca_root(Certificate::from_pem(&self.ca))
            .client_auth_optional(true))
    }

    /// The client side: the CA that the server must chain to, and our
    /// certificate when we have one.
    pub fn client(&self) -> Result<ClientTlsConfig, String> {
        let mut c = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&self.ca));
        if let Some((cert, key)) = &self.identity {
            c = c.identity(Identity::from_pem(cert, key));
        }
        Ok(c)
    }
}

/// What `pxl certs` writes.
pub const CA_CERT: &str = "ca.pem";
pub const CA_KEY: &str = "ca.key";
pub const AGENT_CERT: &str = "agent.pem";
pub const AGENT_KEY: &str = "agent.key";

/// Makes a new CA and one agent certificate signed by it, valid for
/// `localhost`, the loopback addresses and `hosts` (names or IP
/// addresses), for both serving and connecting. Returns the files written.
/// Existing files are not overwritten.
pub fn generate(dir: &Path, hosts: &[String]) -> Result<Vec<PathBuf>, String> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
        ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
    };
    let err = |e: rcgen::Error| format!("cannot make the certificates: {e}");
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let paths: Vec<PathBuf> = [CA_CERT, CA_KEY, AGENT_CERT, AGENT_KEY]
        .iter()
        .map(|f| dir.join(f))
        .collect();
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(format!(
            "{} already exists; remove it or choose another directory",
            p.display()
        ));
    }
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "pxl cluster CA");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(err)?;
    let ca_key_pem = ca_key.serialize_pem();
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(err)?;

    let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    for h in hosts {
        if h.is_empty() || h.contains(':') && h.parse::<std::net::IpAddr>().is_err() {
            return Err(format!(
                "--host `{h}` is not a host name or IP address (no port)"
            ));
        }
        if !names.contains(h) {
            names.push(h.clone());
        }
    }
    let mut params = CertificateParams::new(names).map_err(err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "pxl agent");
    params.distinguished_name = dn;
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let key = KeyPair::generate().map_err(err)?;
    let cert = params.signed_by(&key, &*ca).map_err(err)?;

    let contents = [ca.pem(), ca_key_pem, cert.pem(), key.serialize_pem()];
    for (path, text) in paths.iter().zip(contents) {
        write_private(path, &text)?;
    }
    Ok(paths)
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let key = path.extension().is_some_and(|e| e == "key");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if key { 0o600 } else { 0o644 })
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_material_loads_and_bad_files_are_named() {
        let dir = std::env::temp_dir().join(format!("pxl-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let written = generate(&dir, &["node-1".into(), "10.0.0.7".into()]).unwrap();
        assert_eq!(written.len(), 4);
        let files = TlsFiles {
            cert: Some(dir.join(AGENT_CERT)),
            key: Some(dir.join(AGENT_KEY)),
            ca: dir.join(CA_CERT),
        };
        let tls = Tls::load(&files).unwrap();
        assert!(tls.has_identity());
        // Not overwritten.
        let e = generate(&dir, &[]).unwrap_err();
        assert!(e.contains("already exists"), "{e}");
        // A key given as the CA.
        let e = Tls::load(&TlsFiles {
            cert: None,
            key: None,
            ca: dir.join(AGENT_KEY),
        })
        .unwrap_err();
        assert!(e.contains("not a PEM CA certificate"), "{e}");
        let e = Tls::load(&TlsFiles {
            cert: Some(dir.join(AGENT_CERT)),
            key: None,
            ca: dir.join(CA_CERT),
        })
        .unwrap_err();
        assert!(e.contains("--tls-key"), "{e}");
        let e = generate(&dir.join("x"), &["a:1".into()]).unwrap_err();
        assert!(e.contains("`a:1`"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
