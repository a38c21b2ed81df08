//! Shared by the integration tests: starting the server binary, and S3 clients for it and for
//! moto.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

pub const ACCESS_KEY: &str = "bench";
pub const SECRET_KEY: &str = "bench-secret";

/// The server binary on a free port; stopped (by closing its stdin) when dropped.
pub struct BenchServer {
    child: Child,
    stdin: Option<ChildStdin>,
    pub endpoint: String,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

impl BenchServer {
    pub fn start(args: &[&str]) -> BenchServer {
        Self::try_start(args).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_start(args: &[&str]) -> Result<BenchServer, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_s3lease-bench-server"))
            .args(["--port", "0", "--exit-on-stdin-eof"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the bench server: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut stderr_pipe = child.stderr.take().ok_or("no stderr")?;
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("stderr buffer").push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(120)).unwrap_or_default();
        let stdin = child.stdin.take();
        let mut server =
            BenchServer { child, stdin, endpoint: String::new(), stderr, stderr_reader: Some(stderr_reader) };
        match line.trim_end().strip_prefix("listening on ") {
            Some(endpoint) if endpoint.starts_with("http://127.0.0.1:") => {
                server.endpoint = endpoint.to_owned();
                Ok(server)
            }
            _ => {
                let status = server.wait_for_exit(Duration::from_secs(5));
                // The pipe closes when the server exits; read all it said before quoting it.
                if status.is_some()
                    && let Some(reader) = server.stderr_reader.take()
                {
                    let _ = reader.join();
                }
                Err(format!(
                    "the bench server did not start: first line {line:?}, exit {status:?}\n{}",
                    server.stderr()
                ))
            }
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr buffer").clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    /// The exit status once the server has stopped, or `None` if it is still running.
    pub fn wait_for_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn client(&self) -> aws_sdk_s3::Client {
        client(&self.endpoint, ACCESS_KEY, SECRET_KEY)
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        self.close_stdin();
        if self.wait_for_exit(Duration::from_secs(3)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A client as the tests' instructions for a local endpoint require: path style, an explicit
/// region, the latest behavior version, and static keys (nothing read from the environment).
pub fn client(endpoint: &str, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "bench-server-tests"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// An SDK error as (HTTP status, S3 error code), for comparing two servers' refusals.
pub fn status_and_code<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> (Option<u16>, Option<String>) {
    (error.raw_response().map(|r| r.status().as_u16()), error.code().map(str::to_owned))
}
