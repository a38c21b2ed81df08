//! Keys built to attack a terminal (escape sequences, C0 and C1 controls, DEL, bidi overrides
//! and isolates, zero-width characters, a 1,024-byte key, keys of `/` only) are stored in a
//! bucket of this test's own on the shared moto server, then read back through the real
//! binary: `ls` plain and recursive (no steering byte in stdout, each key recognisably
//! escaped), `ls --json` (valid JSON carrying the exact keys) and the TUI in tmux (title kept,
//! screen not cleared, layout intact, the long key cut to its column).

mod common;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use aws_sdk_s3::primitives::ByteStream;
use common::hostile::{self, SHOWN, assert_clean};
use common::styled::{highlighted, pens_of};
use common::tmux::Tmux;
use common::*;
use s3lease::credentials::mfa::GivenCode;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

/// The bucket holding every hostile key, made once for the whole binary.
fn bucket() -> &'static str {
    static BUCKET: OnceLock<String> = OnceLock::new();
    BUCKET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async {
            let tb = testbed();
            let (_dir, mut manager) = session_manager(tb, tb.endpoint(), "").await;
            let session = manager.start("admin-role", &mut GivenCode::new(None, "none needed")).await.unwrap();
            let bucket = format!("hostile-{}", std::process::id());
            session.s3.create_bucket().bucket(&bucket).send().await.expect("create the test's own bucket");
            for key in hostile::all() {
                if key.contains('\n') {
                    post_object(tb.endpoint(), &bucket, &key);
                    continue;
                }
                session
                    .s3
                    .put_object()
                    .bucket(&bucket)
                    .key(&key)
                    .body(ByteStream::from_static(b"hostile\n"))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("put {key:?}: {e:?}"));
            }
            bucket
        })
    })
}

/// Stores `key` with a browser-style POST upload, the key in a form field: moto's URL routes
/// refuse a key with a line feed in the path, which is where PutObject puts it. The shared
/// server runs without auth, so the form needs no policy.
fn post_object(endpoint: &str, bucket: &str, key: &str) {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let boundary = "s3lease-hostile-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n{key}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\
         Content-Type: application/octet-stream\r\n\r\nhostile\n\r\n--{boundary}--\r\n"
    );
    let request = format!(
        "POST /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(host).expect("connect to moto");
    stream.write_all(request.as_bytes()).expect("send the upload");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    assert!(answer.starts_with("HTTP/1.1 20"), "POST {key:?}: {answer}");
}

fn admin(sb: &Sandbox, args: &[&str]) -> Run {
    let mut all = vec!["ls", "--identity", "admin-role"];
    all.extend_from_slice(args);
    sb.run(&all).ok()
}

#[test]
fn plain_ls_escapes_every_key_and_sends_no_steering_byte() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let uri = format!("s3://{}/", bucket());

    let run = admin(&sb, &["--recursive", &uri]);
    assert_clean("ls --recursive stdout", &run.stdout);
    assert_clean("ls --recursive stderr", &run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), hostile::all().len(), "one line per key, none broken in two:\n{}", run.stdout);
    for shown in SHOWN {
        assert!(lines.iter().any(|l| l.ends_with(&format!(" {shown}"))), "{shown:?} is listed:\n{}", run.stdout);
    }
    let long = hostile::long_key();
    assert!(lines.iter().any(|l| l.ends_with(&format!(" {long}"))), "the 1,024-byte key is listed whole");
    for slashes in hostile::SLASHES {
        assert!(lines.iter().any(|l| l.ends_with(&format!(" {slashes}"))), "{slashes:?} is listed:\n{}", run.stdout);
    }

    // One level: the slash-only keys are under the prefix `/`.
    let run = admin(&sb, &[&uri]);
    assert_clean("ls stdout", &run.stdout);
    assert!(run.stdout.lines().any(|l| l.trim() == "PRE /"), "{}", run.stdout);
    for shown in SHOWN {
        assert!(run.stdout.lines().any(|l| l.ends_with(&format!(" {shown}"))), "{shown:?}:\n{}", run.stdout);
    }
    let run = admin(&sb, &[&format!("{uri}/")]);
    assert_clean("ls of `/` stdout", &run.stdout);
    // Names are relative to the prefix, as in `aws s3 ls`: `//` shows as `PRE /`, and the key
    // `/` itself as an object with an empty name.
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_eq!(lines[0].trim(), "PRE /", "{}", run.stdout);
    assert!(lines[1].ends_with(" 8 "), "{}", run.stdout);
}

#[test]
fn json_ls_carries_the_exact_keys_with_no_steering_byte() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let run = admin(&sb, &["--recursive", "--json", &format!("s3://{}/", bucket())]);
    assert_clean("ls --json stdout", &run.stdout);
    let keys: BTreeSet<String> = run
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            v["key"].as_str().expect("a key").to_string()
        })
        .collect();
    assert_eq!(keys, hostile::all().into_iter().collect::<BTreeSet<_>>());
}

/// The browser's rows: lines inside its side borders.
fn rows(screen: &str) -> Vec<&str> {
    screen.lines().filter(|l| l.starts_with('│') && l.trim_end().ends_with('│')).collect()
}

#[test]
fn the_tui_shows_hostile_keys_escaped_and_keeps_its_title_and_layout() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let mut cmd = sb.command();
    cmd.args(["--identity", "admin-role", &format!("s3://{}/", bucket())]);
    let tmux = Tmux::start(&cmd, WIDTH, HEIGHT);
    let title_before = tmux.display("#{pane_title}");
    let screen = tmux.wait_until("the listing is complete", |s| s.contains(&format!("of {} ", SHOWN.len() + 2)));

    // Title: an OSC 0 that got through would have set it to "pwned".
    let title = tmux.display("#{pane_title}");
    assert!(!title.contains("pwned"), "the window title changed to {title:?}");
    assert_eq!(title, title_before);

    // Layout: the session pane, the browser's borders, title and footer are all there, so
    // nothing cleared the screen or moved the cursor under the UI.
    assert!(screen.contains("admin-role"), "{screen}");
    assert!(screen.lines().any(|l| l.starts_with(&format!("┌ s3://{}/ ", bucket()))), "{screen}");
    assert!(screen.lines().any(|l| l.starts_with("└ sort: ")), "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    assert_eq!(lines.len(), usize::from(HEIGHT), "{screen}");
    for line in &lines {
        assert!(line.chars().count() <= usize::from(WIDTH), "a line runs past the screen: {line:?}");
    }

    // Each key escaped on one row, inside the borders; the long one cut with an ellipsis.
    let rows = rows(&screen);
    for shown in SHOWN {
        // The name column may cut the longest names: their start must be on a row.
        let head: String = shown.chars().take(40).collect();
        assert!(rows.iter().any(|r| r.contains(&head)), "{head:?} is on a row:\n{screen}");
    }
    let long = rows.iter().find(|r| r.contains("long-xxx")).unwrap_or_else(|| panic!("the long key:\n{screen}"));
    // Cut to its column: the size, date and class columns and the border keep their places.
    assert_eq!(long.chars().count(), usize::from(WIDTH), "{long:?}");
    assert!(long.ends_with(" 8 B 2026-") || long.contains(" 8 B "), "{long:?}");
    assert!(long.trim_end().ends_with("STANDARD    │"), "{long:?}");
    assert!(rows.iter().any(|r| r.trim_start_matches('│').trim_start().starts_with("/ ")), "the prefix `/`:\n{screen}");
    // The long key is not wrapped: no row holds only the rest of it.
    assert!(!rows.iter().any(|r| r.contains("xx") && r.trim_matches(['│', ' ', 'x', '.', 't']).is_empty()), "{screen}");

    // Colours: a raw CSI 31 would have turned the rest of its row red.
    let styled = tmux.capture_styled();
    let pens = pens_of(&styled, "colour\\u{1b}[0m.txt").expect("the colour key's row");
    assert!(pens.iter().all(|p| p.fg.as_deref() != Some("31")), "the key turned red: {pens:?}");
    assert_clean("the screen", &screen);

    // Details of the OSC key: escaped there too, and still no title change.
    tmux.send_keys(&["g"]);
    for _ in 0..SHOWN.len() + 2 {
        if highlighted(&tmux.capture_styled()).is_some_and(|h| h.starts_with("title")) {
            break;
        }
        tmux.send_keys(&["j"]);
    }
    tmux.send_keys(&["d"]);
    let details = tmux.wait_until("the details answer", |s| s.contains(" details ") && s.contains("content type"));
    assert!(details.contains("title\\u{1b}]0;pwned\\u{7}.txt"), "{details}");
    assert_clean("the details", &details);
    assert_eq!(tmux.display("#{pane_title}"), title_before);
    tmux.send_keys(&["Escape"]);
    tmux.send_keys(&["q"]);
    let _ = tmux.wait_exit();
}
