//! The CLI in a real terminal: the MFA prompt appears only there, and a code typed at it works.

mod common;
use common::tmux::Tmux;
use common::*;

#[test]
fn asks_for_the_mfa_code_on_a_terminal_once_for_the_whole_chain() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let serial = tb.manifest.user("alice").mfa_serial.clone().expect("alice has an MFA device");
    let mut cmd = sb.command();
    cmd.args(["whoami", "--identity", "mfa-admin"]);
    let term = Tmux::start(&cmd, 120, 20);
    term.wait_for(&format!("MFA code for {serial} (identity `alice-mfa`):"));
    term.type_text("123456");
    term.send_keys(&["Enter"]);
    term.wait_for("assumed-role/Admin/mfa-admin");
    assert_eq!(term.wait_exit(), 0);
    let screen = term.capture_all();
    assert!(
        screen.contains("chain     assume-role mfa-admin <- session-token alice-mfa (MFA) <- profile alice"),
        "{screen}"
    );
    assert_eq!(screen.matches("MFA code for").count(), 1, "one prompt for the chain:\n{screen}");
}

#[test]
fn a_malformed_code_typed_at_the_prompt_is_refused_without_echoing_it_back() {
    let sb = Sandbox::new(testbed());
    let mut cmd = sb.command();
    cmd.args(["whoami", "--identity", "alice-mfa"]);
    let term = Tmux::start(&cmd, 120, 20);
    term.wait_for("MFA code for");
    term.type_text("12x4");
    term.send_keys(&["Enter"]);
    assert_eq!(term.wait_exit(), 2);
    let screen = term.capture_all();
    assert!(screen.contains("identity `alice-mfa`: `mfa_code` must be digits only"), "{screen}");
    assert_eq!(screen.matches("12x4").count(), 1, "only the typed echo shows the code:\n{screen}");
}
