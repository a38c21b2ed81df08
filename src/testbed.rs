//! The local S3 + STS test bed: moto, seeded with users, roles and buckets, on a free loopback
//! port. Used by the integration tests and by `s3lease demo`. It installs itself into a
//! private Python venv on first use, so a fresh machine needs only Python 3.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};

const REQUIREMENTS: &str = include_str!("../assets/testbed/requirements.txt");
const SERVER: &str = include_str!("../assets/testbed/server.py");

/// How much to seed beyond the fixed buckets.
#[derive(Debug, Clone, Copy)]
pub struct Seed {
    /// Objects under `demo-data/logs/` (2,600 makes three pages of 1,000).
    pub prefix_keys: usize,
    /// Objects in `demo-big/events/`; 0 leaves the bucket out.
    pub big_keys: usize,
    /// Objects in `demo-spread`, over folders side by side (`spread_key` in the server
    /// script); 0 leaves the bucket out.
    pub spread_keys: usize,
}

impl Default for Seed {
    fn default() -> Self {
        Seed { prefix_keys: 2600, big_keys: 0, spread_keys: 0 }
    }
}

#[derive(Clone, Deserialize)]
pub struct User {
    pub arn: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub mfa_serial: Option<String>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("arn", &self.arn)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("mfa_serial", &self.mfa_serial)
            .finish()
    }
}

/// What the seed created, as announced by the server.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub endpoint: String,
    pub port: u16,
    pub account: String,
    pub region: String,
    pub external_id: String,
    pub users: BTreeMap<String, User>,
    pub roles: BTreeMap<String, String>,
    pub object_counts: BTreeMap<String, usize>,
    pub odd_keys: Vec<String>,
}

impl Manifest {
    pub fn user(&self, name: &str) -> &User {
        &self.users[name]
    }

    pub fn role(&self, name: &str) -> &str {
        &self.roles[name]
    }
}

pub struct Testbed {
    child: Child,
    stdin: Option<ChildStdin>,
    pub manifest: Manifest,
}

fn setup_error(message: impl Into<String>) -> Error {
    Error::Usage(format!("test bed: {}", message.into()))
}

/// Creates the venv with moto unless it already matches the requirements. Safe to call from
/// several processes at once: the first installs, the others wait on the lock.
pub fn ensure_venv(venv: &Path) -> Result<PathBuf> {
    let python = venv.join("bin").join("python");
    let marker = venv.join(".s3lease-requirements");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == REQUIREMENTS) {
        return Ok(python);
    }
    if let Some(parent) = venv.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    }
    let lock_path = venv.with_extension("lock");
    let lock = File::create(&lock_path).map_err(|e| Error::io(format!("creating {}", lock_path.display()), e))?;
    lock.lock().map_err(|e| Error::io(format!("locking {}", lock_path.display()), e))?;
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == REQUIREMENTS) {
        return Ok(python);
    }
    eprintln!("s3lease: installing the local S3+STS test bed (moto) into {} ...", venv.display());
    let status = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(venv)
        .status()
        .map_err(|e| setup_error(format!("cannot run python3 ({e}); install Python 3.9 or newer")))?;
    if !status.success() {
        return Err(setup_error(format!(
            "`python3 -m venv {}` failed; on Debian/Ubuntu install python3-venv",
            venv.display()
        )));
    }
    let requirements = venv.join("requirements.txt");
    std::fs::write(&requirements, REQUIREMENTS).map_err(|e| Error::io("writing requirements.txt", e))?;
    let status = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .status()
        .map_err(|e| setup_error(format!("cannot run pip ({e})")))?;
    if !status.success() {
        return Err(setup_error("pip could not install moto; is PyPI reachable?"));
    }
    std::fs::write(&marker, REQUIREMENTS).map_err(|e| Error::io("writing the venv marker", e))?;
    Ok(python)
}

impl Testbed {
    /// Starts a seeded server; it stops when this value is dropped or this process exits.
    pub fn start(venv: &Path, seed: Seed) -> Result<Testbed> {
        let python = ensure_venv(venv)?;
        let script = venv.join("s3lease-testbed-server.py");
        if std::fs::read_to_string(&script).ok().as_deref() != Some(SERVER) {
            std::fs::write(&script, SERVER).map_err(|e| Error::io("writing the test bed script", e))?;
        }
        let mut child = Command::new(python)
            .arg(&script)
            .args(["--prefix-keys", &seed.prefix_keys.to_string(), "--big-keys", &seed.big_keys.to_string()])
            .args(["--spread-keys", &seed.spread_keys.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| setup_error(format!("cannot start the server: {e}")))?;
        let stdout = child.stdout.take().ok_or_else(|| setup_error("no stdout from the server"))?;
        let mut stderr = child.stderr.take().ok_or_else(|| setup_error("no stderr from the server"))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(120)).unwrap_or_default();
        let manifest: Manifest = match serde_json::from_str(&line) {
            Ok(m) => m,
            Err(_) => {
                let _ = child.kill();
                let mut err = String::new();
                let _ = stderr.read_to_string(&mut err);
                let tail: String =
                    err.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
                return Err(setup_error(format!("the server did not start:\n{tail}")));
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        let stdin = child.stdin.take();
        Ok(Testbed { child, stdin, manifest })
    }

    pub fn endpoint(&self) -> &str {
        &self.manifest.endpoint
    }

    fn post(&self, path: &str, body: &str) -> Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.manifest.port))
            .map_err(|e| Error::io("connecting to the test bed", e))?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).map_err(|e| Error::io("talking to the test bed", e))?;
        let mut response = String::new();
        stream.read_to_string(&mut response).map_err(|e| Error::io("reading from the test bed", e))?;
        if !response.starts_with("HTTP/1.1 200") && !response.starts_with("HTTP/1.0 200") {
            return Err(setup_error(format!("POST {path} failed: {}", response.lines().next().unwrap_or(""))));
        }
        Ok(response)
    }

    /// Turns moto's IAM enforcement on or off (off is the default: everything is allowed).
    pub fn set_auth(&self, enabled: bool) -> Result<()> {
        self.post("/moto-api/reset-auth", if enabled { "0" } else { "inf" }).map(|_| ())
    }

    /// Writes `config` and `credentials` files with a profile per seeded user, and role
    /// profiles in the AWS CLI's style. Returns (config, credentials).
    pub fn write_aws_files(&self, dir: &Path) -> Result<(PathBuf, PathBuf)> {
        let m = &self.manifest;
        // The credentials file holds long-term keys: its directory is private too.
        crate::private_file::own_dir(dir)?;
        let mut credentials = String::new();
        let mut config = String::new();
        for (name, user) in &m.users {
            credentials.push_str(&format!(
                "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n",
                user.access_key_id, user.secret_access_key
            ));
            config.push_str(&format!("[profile {name}]\nregion = {}\n\n", m.region));
        }
        config.push_str(&format!(
            "[profile aws-auditor]\nrole_arn = {}\nsource_profile = bob\nrole_session_name = aws-audit\nduration_seconds = 1800\n\n",
            m.role("Auditor")
        ));
        config.push_str(&format!(
            "[profile aws-partner]\nrole_arn = {}\nsource_profile = bob\nexternal_id = {}\n\n",
            m.role("PartnerAccess"),
            m.external_id
        ));
        config.push_str(&format!(
            "[profile aws-mfa-admin]\nrole_arn = {}\nsource_profile = alice\nmfa_serial = {}\n\n",
            m.role("Admin"),
            m.user("alice").mfa_serial.as_deref().unwrap_or_default()
        ));
        let config_path = dir.join("config");
        let credentials_path = dir.join("credentials");
        crate::private_file::write(&config_path, config.as_bytes())?;
        crate::private_file::write(&credentials_path, credentials.as_bytes())?;
        Ok((config_path, credentials_path))
    }

    /// An s3lease config with the seeded identities, one of every kind and chain.
    pub fn config_toml(&self) -> String {
        let m = &self.manifest;
        let mfa = m.user("alice").mfa_serial.as_deref().unwrap_or_default();
        format!(
            r#"# Written by s3lease's test bed: identities for the local moto server.
[settings]
region = "{region}"
endpoint_url = "{endpoint}"
# moto honours any duration; real STS's 15 minute minimum does not apply here.
allow_short_durations = true

[[identity]]
name = "admin"
kind = "profile"
profile = "admin"

[[identity]]
name = "auditor"
kind = "assume-role"
source = "bob"
role_arn = "{auditor}"
session_name = "audit-session"
duration = "1h"

[[identity]]
name = "alice-mfa"
kind = "session-token"
source = "alice"
mfa_serial = "{mfa}"
duration = "12h"

[[identity]]
name = "mfa-admin"
kind = "assume-role"
source = "alice-mfa"
role_arn = "{admin}"
session_name = "mfa-admin"

[[identity]]
name = "mfa-auditor"
kind = "assume-role"
source = "alice-mfa"
role_arn = "{auditor}"
session_name = "mfa-auditor"

[[identity]]
name = "partner"
kind = "assume-role"
source = "bob"
role_arn = "{partner}"
session_name = "partner"
external_id = "{external_id}"

[[identity]]
name = "readonly-fed"
kind = "federation"
source = "alice"
federated_name = "readonly"
duration = "2h"
policy = '''
{{"Version": "2012-10-17",
 "Statement": [{{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
                "Resource": ["arn:aws:s3:::demo-data", "arn:aws:s3:::demo-data/*"]}}]}}
'''

[[identity]]
name = "admin-role"
kind = "assume-role"
source = "admin"
role_arn = "{admin}"
session_name = "admin-role"

[[identity]]
name = "chained"
kind = "assume-role"
source = "admin-role"
role_arn = "{auditor}"
session_name = "chained"
duration = "30m"
"#,
            region = m.region,
            endpoint = m.endpoint,
            auditor = m.role("Auditor"),
            admin = m.role("Admin"),
            partner = m.role("PartnerAccess"),
            external_id = m.external_id,
        )
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        // Closing stdin asks the server to stop; kill it if it does not within a moment.
        drop(self.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
