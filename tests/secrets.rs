//! Secrets stay secret. With known secret values (the test users' long-term secret keys, every
//! secret key and session token STS issues, MFA codes right and wrong) and logging at the most
//! verbose level, with the SDK's own body redaction switched off (`LOG_SENSITIVE_BODIES`,
//! `LOG_SIGNABLE_BODY`), every subcommand and the TUI are run, and the secrets are looked for
//! everywhere s3lease writes: stdout and stderr (where only `env` and `credential-process` must
//! print them), every screen of the TUI and of the CLI's MFA prompt with their scrollback, the
//! log, and every file under the sandbox's HOME. The calls go through the tests' fault proxy,
//! which learns every session token STS hands out, refuses a wrong MFA code as STS does, and
//! answers S3 on one bucket the way S3 answers a bad signature: with an error body that echoes
//! the signed request, session token included.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::proxy::{Action, Canned, Proxy, RequestHead};
use common::styled::reversed_runs;
use common::tmux::{Tmux, popup};
use common::*;

/// The MFA code that works (moto takes any), and one the proxy refuses. Neither is in the
/// account ID, the ARNs or the seeded keys.
const CODE: &str = "864213";
const WRONG_CODE: &str = "397150";
const MFA_FAILED: &str = "MultiFactorAuthentication failed with invalid MFA one time pass code.";
/// The bucket whose every S3 answer is a SignatureDoesNotMatch echoing the token.
const ECHOING_BUCKET: &str = "demo-restricted";

/// Refuses `WRONG_CODE`, and answers S3 on [`ECHOING_BUCKET`] like a bad signature (a HEAD gets
/// no body, as from S3).
fn rule(r: &RequestHead) -> Action {
    if r.form_param("TokenCode").as_deref() == Some(WRONG_CODE) {
        return Action::respond(Canned::sts_error(403, "AccessDenied", MFA_FAILED));
    }
    let on_echoing = r.path() == format!("/{ECHOING_BUCKET}") || r.path().starts_with(&format!("/{ECHOING_BUCKET}/"));
    if r.api_action().is_none() && on_echoing {
        let token = r.session_token().unwrap_or_default();
        let body = match r.method.as_str() {
            "HEAD" => String::new(),
            _ => format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>\
                 <Message>The request signature we calculated does not match the signature you provided. \
                 Check your key and signing method.</Message>\
                 <CanonicalRequest>{} {}\nhost:127.0.0.1\nx-amz-security-token:{token}\n</CanonicalRequest>\
                 <RequestId>proxy</RequestId></Error>",
                r.method,
                r.path()
            ),
        };
        return Action::respond(Canned::new(403, body).header("Content-Type", "application/xml"));
    }
    Action::Forward
}

/// A sandbox whose AWS calls go through `proxy`, logging everything it can.
fn sandbox(tb: &s3lease::testbed::Testbed, proxy: &Proxy) -> Sandbox {
    let mut sb = Sandbox::with_config(tb, &tb.config_toml().replace(tb.endpoint(), &proxy.url()));
    sb.env = [("S3LEASE_LOG", "trace"), ("LOG_SENSITIVE_BODIES", "true"), ("LOG_SIGNABLE_BODY", "true")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    sb
}

fn home(sb: &Sandbox) -> PathBuf {
    sb.path().join("home")
}

fn data_dir(sb: &Sandbox) -> PathBuf {
    home(sb).join(".local/share/s3lease")
}

// --- Knowing the secrets, and finding them -------------------------------------------------

/// Every secret value known so far, by a label that names it without showing it.
#[derive(Default)]
struct Secrets {
    values: Vec<(String, String)>,
}

impl Secrets {
    /// The test users' long-term secret keys and both MFA codes.
    fn long_term(tb: &s3lease::testbed::Testbed) -> Secrets {
        let mut secrets = Secrets::default();
        for (name, user) in &tb.manifest.users {
            secrets.add(&format!("the long-term secret key of user {name}"), &user.secret_access_key);
        }
        secrets
    }

    fn add(&mut self, label: &str, value: &str) {
        assert!(value.len() >= 16, "{label} is too short to look for safely ({} chars)", value.len());
        if !self.values.iter().any(|(_, v)| v == value) {
            self.values.push((label.to_string(), value.to_string()));
        }
    }

    /// Every session token the proxy saw issued or used.
    fn add_tokens(&mut self, proxy: &Proxy) {
        for issued in proxy.tokens().all() {
            self.add(&format!("the session token {} issued", issued.action), &issued.token);
        }
        for seen in proxy.requests() {
            if let Some(token) = seen.session_token() {
                self.add(&format!("the session token of request {}", seen.seq), &token);
            }
        }
    }

    /// The labels of the secrets in `text`, in any of the forms they could take there.
    fn found_in(&self, text: &str) -> Vec<String> {
        let mut found: Vec<String> = self
            .values
            .iter()
            .filter(|(_, value)| forms(value).iter().any(|form| text.contains(form.as_str())))
            .map(|(label, _)| label.clone())
            .collect();
        for code in [CODE, WRONG_CODE] {
            if has_code(text, code) {
                found.push(format!("the MFA code {code}"));
            }
        }
        found.extend(shaped_like_secrets(text).into_iter().map(|s| format!("a secret-shaped string {s:?}")));
        found
    }

    fn assert_absent(&self, what: &str, text: &str) {
        let found = self.found_in(text);
        assert!(found.is_empty(), "{what} shows {found:?}:\n{text}");
    }
}

/// A secret as it could appear: itself, percent-encoded (a query or form), JSON with `\/`, and
/// as Rust's `Debug` of its bytes (`[65, 81, 111, ...]`, how the SDK prints a body).
fn forms(secret: &str) -> Vec<String> {
    let encoded = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC).to_string();
    let bytes: Vec<String> = secret.bytes().map(|b| b.to_string()).collect();
    vec![secret.to_string(), encoded, secret.replace('/', "\\/"), bytes.join(", ")]
}

/// `code` as a number of its own: not inside a longer number, and not a decimal fraction (a
/// log line's microseconds), which any six digits can be by chance.
fn has_code(text: &str, code: &str) -> bool {
    text.match_indices(code).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + code.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit() || c == '.') && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// Runs of base64 shaped like an AWS secret key (exactly 40 characters, with upper and lower
/// case letters and digits) or a session token (100 or more): secrets this test could not learn,
/// such as those of roles assumed inside the TUI.
fn shaped_like_secrets(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
        .filter(|run| {
            let key = run.len() == 40
                && run.chars().any(|c| c.is_ascii_uppercase())
                && run.chars().any(|c| c.is_ascii_lowercase())
                && run.chars().any(|c| c.is_ascii_digit());
            key || run.len() >= 100
        })
        .map(str::to_string)
        .collect()
}

/// `NAME=value` pairs from `env` output in any of its formats.
fn env_vars(format: &str, stdout: &str) -> Vec<(String, String)> {
    let unquote = |v: &str| v.trim_end_matches(';').trim_matches('\'').to_string();
    match format {
        "json" => {
            let map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(stdout).unwrap_or_else(|e| panic!("env --format json: {e}\n{stdout}"));
            map.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string())).collect()
        }
        "sh" => stdout
            .lines()
            .filter_map(|l| l.strip_prefix("export ")?.split_once('=').map(|(k, v)| (k.to_string(), unquote(v))))
            .collect(),
        _ => stdout
            .lines()
            .filter_map(|l| l.strip_prefix("set -gx ")?.split_once(' ').map(|(k, v)| (k.to_string(), unquote(v))))
            .collect(),
    }
}

fn var<'a>(vars: &'a [(String, String)], name: &str) -> Option<&'a str> {
    vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

// --- Files ------------------------------------------------------------------------------------

/// Every file under `dir`, recursively, and every directory.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, dirs: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    dirs.push(dir.to_path_buf());
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files, dirs);
        } else {
            files.push(path);
        }
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or_default()
}

/// Everything s3lease wrote under HOME holds no secret, and is private: files 0600, directories
/// 0700. Returns the files.
fn assert_home_private_and_clean(sb: &Sandbox, secrets: &Secrets) -> Vec<PathBuf> {
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    walk(&home(sb), &mut files, &mut dirs);
    for dir in &dirs {
        assert_eq!(mode(dir), 0o700, "{} is private", dir.display());
    }
    for file in &files {
        assert_eq!(mode(file), 0o600, "{} is private", file.display());
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap_or_default()).into_owned();
        secrets.assert_absent(&file.display().to_string(), &text);
    }
    files
}

/// The log, read whole: it exists, and it is at the most verbose level.
fn read_log(sb: &Sandbox) -> String {
    let path = data_dir(sb).join("s3lease.log");
    let log = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("the log at {}: {e}", path.display()));
    assert!(log.lines().any(|l| l.contains(" TRACE ")), "S3LEASE_LOG=trace logs at TRACE:\n{log}");
    log
}

// --- The command line ---------------------------------------------------------------------------

#[test]
fn no_subcommand_prints_or_logs_a_secret_except_env_and_credential_process_which_must() {
    use std::os::unix::fs::PermissionsExt;
    let tb = testbed();
    let proxy = Proxy::start(tb.endpoint(), rule);
    let sb = sandbox(tb, &proxy);
    let mut secrets = Secrets::long_term(tb);
    // A data directory and log left readable by others (by hand, or an older version).
    std::fs::create_dir_all(data_dir(&sb)).expect("data dir");
    std::fs::write(data_dir(&sb).join("s3lease.log"), "").expect("old log");
    for (path, mode) in [(data_dir(&sb), 0o755), (data_dir(&sb).join("s3lease.log"), 0o644)] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    // The parents are the user's: private as a home directory is, and left alone by s3lease.
    for dir in [home(&sb), home(&sb).join(".local"), home(&sb).join(".local/share")] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }

    // The two commands that print secrets, on purpose: what they print is the real thing.
    let mut printing = Vec::new();
    for (identity, code) in [("auditor", None), ("mfa-admin", Some(CODE)), ("readonly-fed", None), ("admin", None)] {
        for format in ["sh", "fish", "json"] {
            let mut args = vec!["env", "--identity", identity, "--format", format];
            args.extend(code.iter().flat_map(|c| ["--mfa-code", c]));
            let run = sb.run(&args).ok();
            let vars = env_vars(format, &run.stdout);
            let key =
                var(&vars, "AWS_SECRET_ACCESS_KEY").unwrap_or_else(|| panic!("{args:?}: a secret key\n{}", run.stdout));
            secrets.add(&format!("the secret key `{}` printed", args.join(" ")), key);
            match var(&vars, "AWS_SESSION_TOKEN") {
                Some(token) => {
                    assert!(
                        proxy.tokens().all().iter().any(|t| t.token == token),
                        "{args:?} prints the token STS issued"
                    );
                    secrets.add(&format!("the session token `{}` printed", args.join(" ")), token);
                }
                None => {
                    assert_eq!(identity, "admin", "only the long-term keys have no token");
                    assert_eq!(key, tb.manifest.user("admin").secret_access_key, "the profile's own secret key");
                }
            }
            printing.push((args.join(" "), run));
        }
    }
    for (identity, code) in [("auditor", None), ("alice-mfa", Some(CODE))] {
        let mut args = vec!["credential-process", "--identity", identity];
        args.extend(code.iter().flat_map(|c| ["--mfa-code", c]));
        let run = sb.run(&args).ok();
        let out: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.stdout));
        assert_eq!(out["Version"], 1);
        let (key, token) = (out["SecretAccessKey"].as_str().unwrap_or(""), out["SessionToken"].as_str().unwrap_or(""));
        assert!(proxy.tokens().all().iter().any(|t| t.token == token), "{args:?} prints the token STS issued");
        secrets.add(&format!("the secret key `{}` printed", args.join(" ")), key);
        secrets.add(&format!("the session token `{}` printed", args.join(" ")), token);
        printing.push((args.join(" "), run));
    }

    // Everything else, successes and failures.
    let quiet: Vec<(Vec<&str>, i32)> = vec![
        (vec!["identities"], 0),
        (vec!["identities", "--json"], 0),
        (vec!["whoami", "--identity", "auditor"], 0),
        (vec!["whoami", "--identity", "chained", "--json"], 0),
        (vec!["whoami", "--identity", "mfa-admin", "--mfa-code", CODE], 0),
        (vec!["whoami", "--identity", "readonly-fed"], 0),
        (vec!["ls", "--identity", "auditor"], 0),
        (vec!["ls", "--identity", "auditor", "s3://demo-data/"], 0),
        (vec!["ls", "--identity", "mfa-admin", "--mfa-code", CODE, "--recursive", "s3://demo-data/reports/"], 0),
        (vec!["ls", "--identity", "readonly-fed", "--json", "--recursive", "s3://demo-data/shared/"], 0),
        // A wrong code, a refused call that echoes the token, and a malformed code.
        (vec!["whoami", "--identity", "alice-mfa", "--mfa-code", WRONG_CODE], 1),
        (vec!["ls", "--identity", "auditor", "s3://demo-restricted/"], 1),
        (vec!["ls", "--identity", "auditor", "--recursive", "s3://demo-restricted/secret/"], 1),
        (vec!["env", "--identity", "alice-mfa", "--mfa-code", WRONG_CODE], 1),
        (vec!["credential-process", "--identity", "mfa-admin", "--mfa-code", WRONG_CODE], 1),
        (vec!["whoami", "--identity", "alice-mfa", "--mfa-code", "86421x"], 2),
    ];
    let quiet: Vec<(String, Run)> =
        quiet.into_iter().map(|(args, code)| (args.join(" "), sb.run(&args).expect_code(code))).collect();
    let stderr_of = |name: &str| quiet.iter().find(|(n, _)| n.starts_with(name)).map_or("", |(_, r)| r.stderr.as_str());
    assert!(stderr_of("whoami --identity alice-mfa --mfa-code 3").contains(MFA_FAILED), "AWS's words for a wrong code");
    assert!(stderr_of("ls --identity auditor s3://demo-restricted/").contains("SignatureDoesNotMatch"), "the refusal");
    assert!(stderr_of("whoami --identity alice-mfa --mfa-code 8").contains("`mfa_code` must be digits only"));
    assert!(proxy.count_action("GetSessionToken") >= 4, "the MFA session was started, and refused, through the proxy");

    secrets.add_tokens(&proxy);
    assert!(secrets.values.len() >= 20, "enough secrets were learned to look for: {}", secrets.values.len());
    for (name, run) in &quiet {
        secrets.assert_absent(&format!("stdout of `{name}`"), &run.stdout);
        secrets.assert_absent(&format!("stderr of `{name}`"), &run.stderr);
    }
    for (name, run) in &printing {
        secrets.assert_absent(&format!("stderr of `{name}`"), &run.stderr);
    }
    let log = read_log(&sb);
    for call in ["AssumeRole", "GetSessionToken", "GetFederationToken", "ListObjectsV2", "SignatureDoesNotMatch"] {
        assert!(log.contains(call), "the log follows {call}");
    }
    secrets.assert_absent("the log", &log);
    let files = assert_home_private_and_clean(&sb, &secrets);
    assert_eq!(files, [data_dir(&sb).join("s3lease.log")], "the log is the only file s3lease keeps");
}

// --- The CLI's MFA prompt --------------------------------------------------------------------

#[test]
fn the_cli_prompt_shows_no_code_typed_at_it_right_or_wrong() {
    let tb = testbed();
    let proxy = Proxy::start(tb.endpoint(), rule);
    let sb = sandbox(tb, &proxy);
    let mut secrets = Secrets::long_term(tb);
    let mut screens = Vec::new();
    for (code, exit) in [(WRONG_CODE, 1), (CODE, 0)] {
        let mut cmd = sb.command();
        cmd.args(["whoami", "--identity", "mfa-admin"]);
        // Wide enough for AWS's message on one line.
        let term = Tmux::start(&cmd, 200, 30);
        term.wait_for("MFA code for");
        term.type_text(code);
        term.send_keys(&["Enter"]);
        assert_eq!(term.wait_exit(), exit, "{}", term.capture_all());
        let screen = term.capture_all();
        let said = if exit == 0 { "assumed-role/Admin/mfa-admin" } else { MFA_FAILED };
        assert!(screen.contains(said), "{screen}");
        screens.push((format!("the prompt given {code}"), screen));
    }
    assert!(
        proxy.requests().iter().any(|r| r.request.form_param("TokenCode").as_deref() == Some(WRONG_CODE)),
        "the wrong code was typed, sent and refused"
    );
    secrets.add_tokens(&proxy);
    for (what, screen) in &screens {
        secrets.assert_absent(what, screen);
    }
    secrets.assert_absent("the log", &read_log(&sb));
}

// --- The terminal UI ---------------------------------------------------------------------------

/// Every screen the TUI shows, with the scrollback, captured as the test goes.
struct Screens<'a> {
    term: &'a Tmux,
    seen: Vec<(String, String)>,
}

impl Screens<'_> {
    /// Waits for `what`, then keeps the screen and the scrollback.
    fn wait(&mut self, what: &str, predicate: impl Fn(&str) -> bool) -> String {
        let screen = self.term.wait_until(what, predicate);
        self.seen.push((what.to_string(), self.term.capture_all()));
        screen
    }
}

#[test]
fn the_tui_shows_and_logs_no_secret_on_any_screen() {
    let tb = testbed();
    let proxy = Proxy::start(tb.endpoint(), rule);
    let sb = sandbox(tb, &proxy);
    let mut secrets = Secrets::long_term(tb);
    // GetSessionToken's secret key: moto's is the same every time, so this is the TUI's too.
    let env = sb.run(&["env", "--identity", "alice-mfa", "--mfa-code", CODE, "--format", "json"]).ok();
    let vars = env_vars("json", &env.stdout);
    secrets.add("the MFA session's secret key", var(&vars, "AWS_SECRET_ACCESS_KEY").unwrap_or_default());

    let mut cmd = sb.command();
    cmd.args(["--identity", "auditor", "s3://demo-data/shared/"]);
    let term = Tmux::start(&cmd, 120, 40);
    let mut screens = Screens { term: &term, seen: Vec::new() };
    screens.wait("the auditor's listing of shared/", |s| s.contains("handbook.md") && s.contains("● valid"));

    term.send_keys(&["?"]);
    screens.wait("the help", |s| popup(s, " keys ").is_some());
    // Each Escape is waited out: a key right behind it would read as Alt+key.
    term.send_keys(&["Escape"]);
    term.wait_until("the help closed", |s| popup(s, " keys ").is_none());
    term.send_keys(&["G"]);
    term.wait_until_styled("the cursor on handbook.md", |s| reversed_runs(s).iter().any(|r| r.contains("handbook.md")));
    term.send_keys(&["d"]);
    screens.wait("the details of handbook.md", |s| popup(s, " details ").is_some_and(|p| p.join(" ").contains("ETag")));
    term.send_keys(&["Escape"]);
    term.wait_until("the details closed", |s| popup(s, " details ").is_none());

    // Up to the bucket list, and into the bucket whose answers echo the token.
    term.send_keys(&["h"]);
    screens.wait("demo-data", |s| s.contains("┌ s3://demo-data/ ") && s.contains("shared/"));
    term.send_keys(&["h"]);
    screens.wait("the bucket list", |s| s.contains(ECHOING_BUCKET) && !s.contains("shared/"));
    term.send_keys(&["G"]);
    term.wait_until_styled("the cursor on the last bucket", |s| {
        reversed_runs(s).iter().any(|r| r.contains(ECHOING_BUCKET))
    });
    term.send_keys(&["Enter"]);
    screens.wait("the error screen", |s| s.contains("Could not list") && s.contains("SignatureDoesNotMatch"));

    // The picker, and an identity that needs an MFA code: a wrong one, then the right one.
    term.send_keys(&["i"]);
    screens.wait("the picker", |s| popup(s, " switch identity ").is_some());
    term.type_text("mfa-admin");
    term.wait_until_styled("the picker on mfa-admin", |s| {
        reversed_runs(s).iter().any(|r| r.trim_start_matches("● ").split_whitespace().next() == Some("mfa-admin"))
    });
    term.send_keys(&["Enter"]);
    screens.wait("the MFA prompt", |s| popup(s, " MFA code ").is_some());
    term.type_text(WRONG_CODE);
    screens.wait("six digits typed", |s| s.contains("● ● ● ● ● ●"));
    term.send_keys(&["Enter"]);
    screens.wait("AWS's answer to the wrong code", |s| {
        popup(s, " MFA code ").is_some_and(|p| p.join(" ").contains("MultiFactorAuthentication failed"))
    });
    term.type_text(CODE);
    term.send_keys(&["Enter"]);
    screens
        .wait("mfa-admin valid", |s| s.contains("mfa-admin (assume-role) ● valid") && popup(s, " MFA code ").is_none());
    term.send_keys(&["Tab"]);
    screens.wait("the session pane focused, with its details", |s| s.contains("endpoint"));
    term.send_keys(&["Tab"]);

    term.send_keys(&["q"]);
    assert_eq!(term.wait_exit(), 0, "{}", term.capture_all());
    screens.seen.push(("after quitting".into(), term.capture_all()));

    assert!(proxy.tokens().all().iter().any(|t| t.action == "AssumeRole"), "roles were assumed through the proxy");
    assert!(
        proxy.requests().iter().any(|r| r.request.form_param("TokenCode").as_deref() == Some(WRONG_CODE)),
        "the wrong code was sent, and refused"
    );
    secrets.add_tokens(&proxy);
    for (what, screen) in &screens.seen {
        secrets.assert_absent(&format!("the screen at {what}"), screen);
    }
    let log = read_log(&sb);
    assert!(log.contains("AssumeRole") && log.contains("GetSessionToken"), "the log follows the calls");
    secrets.assert_absent("the log", &log);
    let files = assert_home_private_and_clean(&sb, &secrets);
    assert_eq!(files, [data_dir(&sb).join("s3lease.log")], "no credentials are kept for the next run");
}

// --- The demo -------------------------------------------------------------------------------------

#[test]
fn the_demo_keeps_its_keys_private_and_prints_none() {
    use std::io::BufRead;
    let sb = Sandbox::bare();
    let mut cmd = sb.command();
    cmd.args(["demo", "--serve"])
        .env("S3LEASE_TESTBED_VENV", venv())
        .env("S3LEASE_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("s3lease demo --serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = String::new();
    while !printed.contains("Ctrl-C stops the server.") {
        match rx.recv_timeout(std::time::Duration::from_secs(180)) {
            Ok(line) => printed.push_str(&format!("{line}\n")),
            Err(e) => {
                let _ = child.kill();
                panic!("the demo server did not come up ({e}); it printed:\n{printed}");
            }
        }
    }
    let demo = data_dir(&sb).join("demo");
    let credentials_text = std::fs::read_to_string(demo.join("aws/credentials")).unwrap_or_default();
    let mut secrets = Secrets::default();
    for line in credentials_text.lines() {
        if let Some(key) = line.strip_prefix("aws_secret_access_key = ") {
            secrets.add("a demo user's long-term secret key", key);
        }
    }
    assert!(secrets.values.len() >= 3, "the demo wrote its users' keys:\n{} keys", secrets.values.len());
    // Stop it the way a person does, and let it clean up.
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    assert!(status.is_ok_and(|s| s.success()), "SIGINT sent");
    let output = child.wait_with_output().expect("the demo exits");
    assert!(output.status.success(), "Ctrl-C ends the demo cleanly: {:?}", output.status);

    secrets.assert_absent("what `demo --serve` printed", &printed);
    secrets.assert_absent("the demo's stderr", &String::from_utf8_lossy(&output.stderr));
    secrets.assert_absent("the log", &read_log(&sb));
    for file in ["config.toml", "aws/config", "aws/credentials"] {
        assert_eq!(mode(&demo.join(file)), 0o600, "demo/{file} is private");
    }
    for dir in [data_dir(&sb), demo.clone(), demo.join("aws")] {
        assert_eq!(mode(&dir), 0o700, "{} is private", dir.display());
    }
    let leftovers: BTreeSet<String> = std::fs::read_dir(demo.join("aws"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    assert_eq!(leftovers, BTreeSet::from(["config".to_string(), "credentials".to_string()]), "no temporary files");
}

// --- Debug output ----------------------------------------------------------------------------------

#[test]
fn debug_output_of_everything_that_holds_a_secret_shows_none() {
    use clap::Parser;
    let tb = testbed();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (_dir, mut manager) = rt.block_on(session_manager(tb, tb.endpoint(), ""));
    let mut secrets = Secrets::long_term(tb);
    let mut shown = Vec::new();
    for (identity, code) in [("auditor", None), ("alice-mfa", Some(CODE)), ("readonly-fed", None), ("admin", None)] {
        let mut mfa = s3lease::credentials::mfa::GivenCode::new(code.map(str::to_string), "no code");
        let session = rt.block_on(manager.start(identity, &mut mfa)).unwrap_or_else(|e| panic!("{identity}: {e}"));
        let credentials = session.lease.credentials();
        secrets.add(&format!("{identity}'s secret key"), credentials.secret_access_key());
        if let Some(token) = credentials.session_token() {
            secrets.add(&format!("{identity}'s session token"), token);
        }
        shown.push((format!("the {identity} session"), format!("{session:?} {session:#?}")));
        shown.push((format!("{identity}'s credentials"), format!("{credentials:?} {credentials:#?}")));
        shown.push((format!("{identity}'s S3 client"), format!("{:?}", session.s3)));
    }
    shown.push(("the catalog, read from the AWS files".into(), format!("{:?}", manager.catalog())));
    shown.push(("the AWS context".into(), format!("{:?}", manager.aws())));

    let code = || Some(zeroize::Zeroizing::new(CODE.to_string()));
    let id = s3lease::worker::RequestId(1);
    let start = s3lease::worker::Request::StartSession { id, identity: "alice-mfa".into(), mfa_code: code() };
    let refresh = s3lease::worker::Request::RefreshSession { id, identity: "alice-mfa".into(), mfa_code: code() };
    shown.push(("requests carrying a code".into(), format!("{start:?} {refresh:#?}")));
    let cli = s3lease::cli::Cli::try_parse_from(["s3lease", "--identity", "alice-mfa", "--mfa-code", CODE])
        .unwrap_or_else(|e| panic!("{e}"));
    shown.push(("the parsed command line".into(), format!("{cli:?}")));
    let env = s3lease::cli::Cli::try_parse_from(["s3lease", "env", "-i", "alice-mfa", "--mfa-code", CODE])
        .unwrap_or_else(|e| panic!("{e}"));
    shown.push(("the parsed env command line".into(), format!("{env:?}")));
    let catalog = std::sync::Arc::new(manager.catalog().clone());
    let keymap = s3lease::keymap::Keymap::with_overrides(&catalog.keys).unwrap_or_else(|e| panic!("{e}"));
    let config = s3lease::app::AppConfig::for_catalog(
        &catalog,
        "alice-mfa",
        s3lease::app::listing::Location::Buckets,
        keymap,
        Some(CODE.to_string()),
    );
    shown.push(("the app's config with a code from the command line".into(), format!("{config:?}")));
    let (app, effects) = s3lease::app::App::new(config, std::time::SystemTime::now());
    shown.push(("the app and its first effects".into(), format!("{app:?} {effects:?}")));

    // Errors: a wrong code, as the worker and the CLI see it.
    let proxy = Proxy::start(tb.endpoint(), rule);
    let (_dir2, mut via_proxy) = rt.block_on(session_manager(tb, &proxy.url(), ""));
    let mut wrong = s3lease::credentials::mfa::GivenCode::new(Some(WRONG_CODE.to_string()), "no code");
    let err = rt.block_on(via_proxy.start("alice-mfa", &mut wrong)).expect_err("a wrong code is refused");
    assert!(err.to_string().contains(MFA_FAILED), "{err}");
    shown.push(("the error for a wrong code".into(), format!("{err} {err:?}")));
    let failure = s3lease::worker::Failure::from(&err);
    shown.push(("the failure the UI gets".into(), format!("{failure:?}")));

    for (what, text) in &shown {
        secrets.assert_absent(what, text);
    }
}
