//! The real binary streams `ls` output page by page: the first page is on stdout while the
//! test proxy still holds the request for the second.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use common::Sandbox;
use common::proxy::{Action, Gate, Proxy, RequestHead};

const DEADLINE: Duration = Duration::from_secs(60);
/// What moto returns per ListObjectsV2 page (S3's default MaxKeys).
const PAGE: usize = 1000;

/// Kills the child if the test fails before it exits.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

#[test]
fn ls_recursive_prints_the_first_page_while_the_next_is_pending() {
    let tb = common::testbed();
    let gate = Gate::new();
    let hold = gate.clone();
    let proxy = Proxy::start(tb.endpoint(), move |r: &RequestHead| {
        if r.is_list_objects_v2() && r.has_query_key("continuation-token") {
            Action::hold(&hold)
        } else {
            Action::Forward
        }
    });
    let config = tb.config_toml().replace(tb.endpoint(), &proxy.url());
    assert!(config.contains(&proxy.url()));
    let sb = Sandbox::with_config(tb, &config);

    let mut child = sb
        .command()
        // Page after page: the parallel walk (tests/walk.rs) prints folders as they come.
        .args(["ls", "--recursive", "--concurrency", "1", "s3://demo-data"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn s3lease");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let mut child = Reaper(child);
    let (tx, lines) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let deadline = Instant::now() + DEADLINE;
    let mut got: Vec<String> = Vec::new();
    while got.len() < PAGE {
        match lines.recv_timeout(remaining(deadline)) {
            Ok(line) => got.push(line),
            Err(e) => panic!(
                "only {} lines before {e:?} while the second page was held; proxy saw {:#?}",
                got.len(),
                proxy.requests().iter().map(|s| &s.target).collect::<Vec<_>>()
            ),
        }
    }
    assert!(gate.wait_held(1, remaining(deadline)), "the request for page 2 never reached the proxy");
    // Page 2 is held, so nothing beyond page 1 can have been printed, and the process is still running.
    assert_eq!(lines.try_recv(), Err(TryRecvError::Empty), "more than one page printed before the release");
    assert!(!gate.is_released());

    gate.release();
    loop {
        match lines.recv_timeout(remaining(deadline)) {
            Ok(line) => got.push(line),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("stdout not closed within {DEADLINE:?}; {} lines", got.len()),
        }
    }
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait for s3lease") {
            break status;
        }
        assert!(Instant::now() < deadline, "s3lease did not exit within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    reader.join().expect("stdout reader");
    let stderr = stderr_reader.join().expect("stderr reader");
    assert_eq!(status.code(), Some(0), "stderr:\n{stderr}");

    let expected = tb.manifest.object_counts["demo-data"];
    assert_eq!(got.len(), expected, "one line per seeded object; stderr:\n{stderr}");
    // `YYYY-MM-DD HH:MM:SS` + ` ` + size right-aligned in 10 + ` ` + key.
    let keys: HashSet<&str> = got.iter().map(|l| l.get(31..).unwrap_or_else(|| panic!("short line {l:?}"))).collect();
    assert_eq!(keys.len(), expected, "every key once");
    assert!(keys.contains("logs/event-02599.json") && keys.contains("README.txt"), "keys: {:?}", got.first());
    assert!(gate.arrived() >= 2, "{expected} keys take three pages: {gate:?}");
    // Listing needs only the credentials: S3 is not kept waiting for a GetCallerIdentity.
    let asked: Vec<_> = proxy.requests().into_iter().filter_map(|r| r.api_action).collect();
    assert!(!asked.iter().any(|a| a == "GetCallerIdentity"), "ls asked STS: {asked:?}");
}
