//! Certificates for TLS tests, made with the JDK's `keytool` (and `openssl` for the client's
//! PEM key): a CA, a server key store and trust store for ZooKeeper, client certificates signed
//! by that CA, and a second, unrelated CA with a client certificate of its own.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::error::TestkitError;

/// The password of every key store (test material only).
const STORE_PASSWORD: &str = "zk-sync-test";
/// How long the certificates are valid, in days.
const VALIDITY_DAYS: &str = "30";

/// The certificates of one TLS test server and its clients, in a directory of their own.
///
/// The server certificate names `127.0.0.1` and `localhost`, so clients verify it against the
/// connect string's address.
#[derive(Debug)]
pub struct TlsMaterial {
    dir: TempDir,
}

impl TlsMaterial {
    /// Makes the CA, the server's stores and the client certificates. Takes a few seconds (each
    /// `keytool` run is a JVM).
    ///
    /// # Errors
    ///
    /// [`TestkitError::Tool`] when `keytool` or `openssl` is missing or fails.
    pub fn create() -> Result<TlsMaterial, TestkitError> {
        let dir = crate::scratch::new_dir("tls")?;
        let material = TlsMaterial { dir };
        for ca in ["ca", "other-ca"] {
            material.keytool(&[
                "-genkeypair",
                "-alias",
                ca,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                &format!("CN=zk-sync test {ca}"),
                "-ext",
                "bc:c",
                "-validity",
                VALIDITY_DAYS,
                "-keystore",
                &format!("{ca}.p12"),
                "-storetype",
                "PKCS12",
            ])?;
            material.keytool(&[
                "-exportcert",
                "-alias",
                ca,
                "-keystore",
                &format!("{ca}.p12"),
                "-rfc",
                "-file",
                &format!("{ca}.pem"),
            ])?;
        }
        material.signed(
            "server",
            "ca",
            "serverAuth",
            "SAN=ip:127.0.0.1,dns:localhost",
        )?;
        material.keytool(&[
            "-importcert",
            "-alias",
            "ca",
            "-keystore",
            "truststore.p12",
            "-storetype",
            "PKCS12",
            "-file",
            "ca.pem",
            "-noprompt",
        ])?;
        material.signed("client", "ca", "clientAuth", "SAN=dns:client")?;
        material.signed("other-client", "other-ca", "clientAuth", "SAN=dns:client")?;
        for client in ["client", "other-client"] {
            material.pem_key(client)?;
        }
        Ok(material)
    }

    /// The CA certificate (PEM) the server's certificate chains to.
    pub fn ca_pem(&self) -> PathBuf {
        self.path("ca.pem")
    }

    /// A CA certificate (PEM) nothing here chains to.
    pub fn other_ca_pem(&self) -> PathBuf {
        self.path("other-ca.pem")
    }

    /// A client certificate (PEM) signed by [`ca_pem`](Self::ca_pem)'s CA, and its key.
    pub fn client_pem(&self) -> (PathBuf, PathBuf) {
        (self.path("client.pem"), self.path("client-key.pem"))
    }

    /// A client certificate (PEM) signed by the other CA, and its key.
    pub fn other_client_pem(&self) -> (PathBuf, PathBuf) {
        (
            self.path("other-client.pem"),
            self.path("other-client-key.pem"),
        )
    }

    /// The ZooKeeper settings for a secure client port with these stores: the Netty connection
    /// factory, the key and trust stores, and whether clients must show a certificate.
    pub(crate) fn server_config(&self, secure_port: u16, need_client_auth: bool) -> String {
        let client_auth = if need_client_auth { "need" } else { "none" };
        format!(
            "secureClientPort={secure_port}\n\
             secureClientPortAddress=127.0.0.1\n\
             serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n\
             ssl.keyStore.location={}\n\
             ssl.keyStore.password={STORE_PASSWORD}\n\
             ssl.keyStore.type=PKCS12\n\
             ssl.trustStore.location={}\n\
             ssl.trustStore.password={STORE_PASSWORD}\n\
             ssl.trustStore.type=PKCS12\n\
             ssl.clientAuth={client_auth}\n",
            self.path("server.p12").display(),
            self.path("truststore.p12").display(),
        )
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A key pair `name` in `name.p12`, its certificate signed by `ca` for `usage`, exported
    /// to `name.pem`, and the chain imported back into `name.p12`.
    fn signed(&self, name: &str, ca: &str, usage: &str, san: &str) -> Result<(), TestkitError> {
        let store = format!("{name}.p12");
        self.keytool(&[
            "-genkeypair",
            "-alias",
            name,
            "-keyalg",
            "EC",
            "-groupname",
            "secp256r1",
            "-dname",
            &format!("CN={name}"),
            "-validity",
            VALIDITY_DAYS,
            "-keystore",
            &store,
            "-storetype",
            "PKCS12",
        ])?;
        self.keytool(&[
            "-certreq",
            "-alias",
            name,
            "-keystore",
            &store,
            "-file",
            &format!("{name}.csr"),
        ])?;
        self.keytool(&[
            "-gencert",
            "-alias",
            ca,
            "-keystore",
            &format!("{ca}.p12"),
            "-infile",
            &format!("{name}.csr"),
            "-outfile",
            &format!("{name}.pem"),
            "-rfc",
            "-ext",
            san,
            "-ext",
            &format!("EKU={usage}"),
            "-validity",
            VALIDITY_DAYS,
        ])?;
        self.keytool(&[
            "-importcert",
            "-alias",
            ca,
            "-keystore",
            &store,
            "-file",
            &format!("{ca}.pem"),
            "-noprompt",
        ])?;
        self.keytool(&[
            "-importcert",
            "-alias",
            name,
            "-keystore",
            &store,
            "-file",
            &format!("{name}.pem"),
        ])
    }

    /// Exports `name`'s private key from `name.p12` to `name-key.pem` (PKCS #8).
    fn pem_key(&self, name: &str) -> Result<(), TestkitError> {
        let password = format!("pass:{STORE_PASSWORD}");
        run(
            "openssl",
            Command::new("openssl")
                .current_dir(self.dir.path())
                .args([
                    "pkcs12",
                    "-in",
                    &format!("{name}.p12"),
                    "-nocerts",
                    "-nodes",
                ])
                .args(["-passin", &password, "-out", &format!("{name}-key.pem")]),
        )
    }

    fn keytool(&self, args: &[&str]) -> Result<(), TestkitError> {
        run(
            "keytool",
            Command::new(keytool())
                .current_dir(self.dir.path())
                .args(args)
                // A PKCS #12 store's keys share its password.
                .args(["-storepass", STORE_PASSWORD]),
        )
    }
}

/// `keytool` next to the `java` the servers run on, or from `$PATH`.
fn keytool() -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|home| Path::new(&home).join("bin/keytool"))
        .filter(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from("keytool"))
}

fn run(tool: &'static str, command: &mut Command) -> Result<(), TestkitError> {
    let output = command.output().map_err(|error| TestkitError::Tool {
        tool,
        output: error.to_string(),
    })?;
    if output.status.success() {
        return Ok(());
    }
    Err(TestkitError::Tool {
        tool,
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    })
}
