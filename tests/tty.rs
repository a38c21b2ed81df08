//! The CLI in a real terminal: the MFA prompt appears only there, a code typed at it works,
//! and what is typed is never shown (as getpass and sudo read passwords): not while typing,
//! not in an error. Every way out of the prompt (Enter, Ctrl-C, a panic, a signal) gives the
//! terminal back cooked.

mod common;
use common::proxy::Proxy;
use common::tmux::Tmux;
use common::*;

/// A code moto takes, in neither the account ID, the ARNs nor the seeded keys.
const CODE: &str = "864213";

/// The prompt's line as it stays on screen: the prompt alone, the cursor moved on by the
/// newline printed after the read.
fn prompt_line(serial: &str, identity: &str) -> String {
    format!("MFA code for {serial} (identity `{identity}`):")
}

fn assert_nowhere(typed: &str, screen: &str) {
    assert!(!screen.contains(typed), "{typed:?} is on screen:\n{screen}");
}

#[test]
fn asks_for_the_mfa_code_on_a_terminal_once_for_the_whole_chain_and_never_shows_it() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let serial = tb.manifest.user("alice").mfa_serial.clone().expect("alice has an MFA device");
    let mut cmd = sb.command();
    cmd.args(["whoami", "--identity", "mfa-admin"]);
    let term = Tmux::start(&cmd, 120, 20);
    term.wait_for(&prompt_line(&serial, "alice-mfa"));
    term.type_text(CODE);
    term.send_keys(&["Enter"]);
    term.wait_for("assumed-role/Admin/mfa-admin");
    assert_eq!(term.wait_exit(), 0);
    let screen = term.capture_all();
    assert!(
        screen.contains("chain     assume-role mfa-admin <- session-token alice-mfa (MFA) <- profile alice"),
        "{screen}"
    );
    assert_eq!(screen.matches("MFA code for").count(), 1, "one prompt for the chain:\n{screen}");
    assert!(
        screen.lines().any(|l| l.trim_end() == prompt_line(&serial, "alice-mfa")),
        "the prompt's line holds the prompt alone, ended by the newline after the read:\n{screen}"
    );
    assert_nowhere(CODE, &screen);
}

#[test]
fn a_malformed_code_typed_at_the_prompt_is_refused_and_never_shown() {
    let sb = Sandbox::new(testbed());
    let mut cmd = sb.command();
    cmd.args(["whoami", "--identity", "alice-mfa"]);
    let term = Tmux::start_then(&cmd, 120, 40, "stty -a; read -r _");
    term.wait_for("MFA code for");
    // Typed with a slip corrected: Backspace edits what nobody can see.
    term.type_text("12y");
    term.send_keys(&["BSpace"]);
    term.type_text("x4");
    term.send_keys(&["Enter"]);
    assert_eq!(term.wait_exit(), 2);
    let screen = term.capture_all();
    assert!(screen.contains("identity `alice-mfa`: `mfa_code` must be digits only"), "{screen}");
    for typed in ["12x4", "12y", "x4"] {
        assert_nowhere(typed, &screen);
    }
    term.assert_cooked_after_exit();
}

/// `whoami` as alice-mfa behind a proxy that counts STS calls, at its prompt with `typed`
/// typed but not sent. The sandbox is returned to live as long as the terminal.
fn at_the_prompt_with(typed: &str) -> (Proxy, Sandbox, Tmux) {
    let tb = testbed();
    let proxy = Proxy::forwarding(tb.endpoint());
    let sb = Sandbox::with_config(tb, &tb.config_toml().replace(tb.endpoint(), &proxy.url()));
    let mut cmd = sb.command();
    cmd.args(["whoami", "--identity", "alice-mfa"]);
    let term = Tmux::start_then(&cmd, 120, 40, "stty -a; read -r _");
    term.wait_for("MFA code for");
    term.type_text(typed);
    (proxy, sb, term)
}

#[test]
fn ctrl_c_at_the_prompt_stops_with_nothing_sent_and_the_terminal_cooked() {
    let (proxy, _sb, term) = at_the_prompt_with("7305");
    term.send_keys(&["C-c"]);
    assert_eq!(term.wait_exit(), 130, "{}", term.capture_all());
    let screen = term.capture_all();
    assert!(screen.contains("error: interrupted at the MFA code prompt; no code was sent"), "{screen}");
    assert_nowhere("7305", &screen);
    assert_eq!(proxy.count_action("GetSessionToken"), 0, "no STS call after Ctrl-C");
    term.assert_cooked_after_exit();
}

#[test]
fn killed_at_the_prompt_it_gives_the_terminal_back_and_sends_nothing() {
    let (proxy, _sb, term) = at_the_prompt_with("7305");
    term.signal_program("TERM");
    assert_eq!(term.wait_exit(), 143, "as a shell reports SIGTERM:\n{}", term.capture_all());
    let screen = term.capture_all();
    assert!(
        screen.lines().any(|l| l.trim_end() == "s3lease: stopped by SIGTERM"),
        "says why, on a line of its own:\n{screen}"
    );
    assert_nowhere("7305", &screen);
    assert_eq!(proxy.count_action("GetSessionToken"), 0, "no STS call");
    term.assert_cooked_after_exit();
}

#[test]
fn a_panic_at_the_prompt_gives_the_terminal_back_before_its_report() {
    let sb = Sandbox::new(testbed());
    let mut cmd = sb.command();
    cmd.args(["whoami", "--identity", "alice-mfa"]).env("S3LEASE_DEBUG_PANIC_KEY", "F12").env("RUST_BACKTRACE", "0");
    let term = Tmux::start_then(&cmd, 120, 40, "stty -a; read -r _");
    term.wait_for("MFA code for");
    term.type_text("7305");
    term.send_keys(&["F12"]);
    assert_eq!(term.wait_exit(), 101, "a panic exits 101:\n{}", term.capture_all());
    let screen = term.capture_all();
    // Printed once the terminal was cooked again: each line starts at the left margin, where
    // a raw terminal would have left it at the column the line before ended.
    assert!(
        screen.lines().any(|l| l.trim_end() == "forced by S3LEASE_DEBUG_PANIC_KEY for a test, at the MFA code prompt"),
        "the report's message is on a line of its own:\n{screen}"
    );
    assert!(
        screen.lines().any(|l| l.starts_with("thread 'main' panicked at ")),
        "the report starts on a line of its own, below the prompt:\n{screen}"
    );
    assert_nowhere("7305", &screen);
    term.assert_cooked_after_exit();
}

#[test]
fn without_a_terminal_it_asks_for_the_flag_instead() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let serial = tb.manifest.user("alice").mfa_serial.clone().expect("alice has an MFA device");
    // No terminal on stdin (the sandbox's commands read from /dev/null), as under a script:
    // the error alone, no prompt before it.
    let run = sb.run(&["whoami", "--identity", "alice-mfa"]).expect_code(2);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "error: identity `alice-mfa` needs an MFA code for {serial}; pass --mfa-code CODE (no terminal to ask on)"
        )
    );
}
