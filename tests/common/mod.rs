//! Shared by the integration tests: one seeded moto server per test binary, and a sandbox per
//! test (its own HOME, XDG dirs, AWS files and s3lease config) so nothing of the developer's
//! own AWS setup leaks in, and tests can run in parallel.

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod hostile;
pub mod proxy;
pub mod screen;
pub mod styled;
pub mod tmux;
pub mod walked;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use s3lease::testbed::{Seed, Testbed};

/// The venv the tests install moto into; `.ci/run` prepares the same path.
pub fn venv() -> PathBuf {
    std::env::var_os("S3LEASE_TESTBED_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-testbed"))
}

/// The shared server, in moto's default mode (no IAM enforcement). Tests must not change its
/// global state; a test that needs auth mode starts its own with `own_testbed`.
pub fn testbed() -> &'static Testbed {
    static SHARED: OnceLock<Testbed> = OnceLock::new();
    SHARED.get_or_init(|| Testbed::start(&venv(), Seed::default()).unwrap_or_else(|e| panic!("{e}")))
}

pub fn own_testbed(seed: Seed) -> Testbed {
    Testbed::start(&venv(), seed).unwrap_or_else(|e| panic!("{e}"))
}

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub aws_config: PathBuf,
    pub aws_credentials: PathBuf,
    /// Extra environment for every command run here.
    pub env: Vec<(String, String)>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with the whole output unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "exit code\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }

    pub fn ok(self) -> Run {
        self.expect_code(0)
    }
}

impl Sandbox {
    /// A sandbox wired to `tb`: AWS profiles for its users and the standard s3lease config.
    pub fn new(tb: &Testbed) -> Sandbox {
        Self::with_config(tb, &tb.config_toml())
    }

    pub fn with_config(tb: &Testbed, config_text: &str) -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let (aws_config, aws_credentials) = tb.write_aws_files(&dir.path().join("aws")).expect("aws files");
        let config = dir.path().join("s3lease.toml");
        std::fs::write(&config, config_text).expect("write config");
        Sandbox { dir, config, aws_config, aws_credentials, env: Vec::new() }
    }

    /// A sandbox with no s3lease config and no AWS files at all.
    pub fn bare() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("absent.toml");
        let aws_config = dir.path().join("aws/config");
        let aws_credentials = dir.path().join("aws/credentials");
        Sandbox { dir, config, aws_config, aws_credentials, env: Vec::new() }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The binary, with an environment holding nothing from the developer's machine.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3lease"));
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if key.starts_with("AWS_") || key.starts_with("S3LEASE_") || key.starts_with("XDG_") {
                cmd.env_remove(&key);
            }
        }
        let home = self.path().join("home");
        cmd.env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("AWS_CONFIG_FILE", &self.aws_config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &self.aws_credentials)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("S3LEASE_CONFIG", &self.config)
            .stdin(std::process::Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command().args(args).output().expect("run s3lease"))
    }
}

/// The standard config for `tb` with its calls going to `endpoint`, `settings` lines added to
/// its `[settings]` table and `extra` tables after it. Keep the returned directory alive:
/// profile keys are read from it.
pub fn catalog(
    tb: &Testbed,
    endpoint: &str,
    settings: &str,
    extra: &str,
) -> (tempfile::TempDir, std::sync::Arc<s3lease::config::Catalog>) {
    use s3lease::config::{Catalog, Sources};
    let dir = tempfile::tempdir().expect("temp dir");
    let (aws_config, aws_credentials) = tb.write_aws_files(&dir.path().join("aws")).expect("aws files");
    let anchor = "allow_short_durations = true\n";
    let standard = tb.config_toml();
    assert!(standard.contains(anchor), "the test bed config has a [settings] table to extend:\n{standard}");
    let text = standard.replace(tb.endpoint(), endpoint).replacen(anchor, &format!("{anchor}{settings}\n"), 1);
    let config = dir.path().join("s3lease.toml");
    std::fs::write(&config, format!("{text}\n{extra}")).expect("write config");
    let catalog = Catalog::load(&Sources {
        config: Some(config),
        config_explicit: true,
        aws_config: Some(aws_config),
        aws_credentials: Some(aws_credentials),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(catalog.settings.endpoint_url.as_deref(), Some(endpoint), "the config names the endpoint");
    (dir, std::sync::Arc::new(catalog))
}

/// A session manager for `tb` whose AWS calls go to `endpoint` (moto's, or a proxy in front of
/// it), with `extra` appended to the standard config. Keep the returned directory alive:
/// profile keys are read from it.
pub async fn session_manager(
    tb: &Testbed,
    endpoint: &str,
    extra: &str,
) -> (tempfile::TempDir, s3lease::credentials::SessionManager) {
    let (dir, catalog) = catalog(tb, endpoint, "", extra);
    let aws = s3lease::clients::AwsContext::new(&catalog.settings).await;
    (dir, s3lease::credentials::SessionManager::new(catalog, aws))
}

/// A proxy in front of `upstream` that holds every ListObjectsV2 on `gate` until it is
/// released.
pub fn holding_listings(upstream: &str, gate: &proxy::Gate) -> proxy::Proxy {
    let hold = gate.clone();
    proxy::Proxy::start(upstream, move |r: &proxy::RequestHead| {
        if r.is_list_objects_v2() { proxy::Action::hold(&hold) } else { proxy::Action::Forward }
    })
}

/// The worker's next response, whatever it answers; panics with `timed_out()` if none has
/// come by `deadline`.
pub async fn next_response(
    worker: &mut s3lease::worker::WorkerHandle,
    deadline: tokio::time::Instant,
    timed_out: impl FnOnce() -> String,
) -> s3lease::worker::Response {
    tokio::time::timeout_at(deadline, worker.responses.recv())
        .await
        .unwrap_or_else(|_| panic!("{}", timed_out()))
        .expect("the worker stopped answering")
}

/// The worker's answer to request `id`, passing over unasked session updates, progress
/// reports and answers to other requests.
pub async fn answer(worker: &mut s3lease::worker::WorkerHandle, id: u64) -> s3lease::worker::Response {
    use s3lease::worker::{RequestId, Response};
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let response = next_response(worker, deadline, || format!("no answer to request {id} within 60 s")).await;
        if response.id() == Some(RequestId(id)) && !matches!(response, Response::TransferProgress { .. }) {
            return response;
        }
    }
}
