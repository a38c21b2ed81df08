//! The MFA prompt: six digits, never shown, never logged, cleared after each try.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use zeroize::Zeroizing;

use super::{App, Effect, Mode};

#[derive(Clone, PartialEq, Eq)]
pub struct MfaPrompt {
    /// The identity whose STS call needs the code (the MFA session, for a chained role).
    pub identity: String,
    pub serial: String,
    code: Zeroizing<String>,
    /// Why the last try failed, in AWS's words.
    pub error: Option<String>,
    /// A code was sent and the answer is awaited.
    pub waiting: bool,
}

impl fmt::Debug for MfaPrompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaPrompt")
            .field("identity", &self.identity)
            .field("serial", &self.serial)
            .field("digits_typed", &self.code.len())
            .field("error", &self.error)
            .field("waiting", &self.waiting)
            .finish()
    }
}

impl MfaPrompt {
    pub fn new(identity: &str, serial: &str, error: Option<String>) -> Self {
        MfaPrompt {
            identity: identity.to_string(),
            serial: serial.to_string(),
            code: fresh_code(),
            error,
            waiting: false,
        }
    }

    /// How many digits are typed; the screen shows dots, never the digits.
    pub fn typed(&self) -> usize {
        self.code.len()
    }

    /// Where the typed digits are: the buffer, to check that it never moves.
    #[cfg(test)]
    fn buffer(&self) -> (*const u8, usize) {
        (self.code.as_ptr(), self.code.capacity())
    }

    pub(super) fn rejected(&mut self, message: &str) {
        self.error = Some(message.to_string());
        self.waiting = false;
        self.code.clear();
    }
}

/// Room for every digit from the start: a `String` that grows reallocates and leaves the
/// digits typed so far in the freed block, where zeroizing cannot reach them.
fn fresh_code() -> Zeroizing<String> {
    Zeroizing::new(String::with_capacity(CODE_LEN))
}

const CODE_LEN: usize = 6;

impl App {
    pub(super) fn on_mfa_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Mode::Mfa(prompt) = &mut self.mode else { return Vec::new() };
        if prompt.waiting {
            return Vec::new();
        }
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => return vec![Effect::Quit],
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                if self.session.status == super::session::Status::AwaitingMfa {
                    self.session.status = super::session::Status::Failed("no MFA code given".into());
                }
                self.notify("no MFA code given; R tries again", true);
            }
            KeyCode::Backspace => {
                prompt.code.pop();
            }
            KeyCode::Char(c) if c.is_ascii_digit() && prompt.code.len() < CODE_LEN => {
                prompt.code.push(c);
                prompt.error = None;
            }
            KeyCode::Char(_) => prompt.error = Some("the code is 6 digits".into()),
            KeyCode::Enter if prompt.code.len() == CODE_LEN => {
                prompt.waiting = true;
                prompt.error = None;
                // The buffer itself goes to the worker; the prompt gets a new one.
                let code = std::mem::replace(&mut prompt.code, fresh_code());
                return self.submit_mfa(code);
            }
            KeyCode::Enter => prompt.error = Some(format!("{} of 6 digits typed", prompt.code.len())),
            _ => {}
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digits_never_leave_their_buffer_and_never_show_in_debug() {
        let mut prompt = MfaPrompt::new("alice-mfa", "arn:aws:iam::123456789012:mfa/alice", None);
        let before = prompt.buffer();
        for c in "864213".chars() {
            prompt.code.push(c);
        }
        assert_eq!(prompt.buffer(), before, "typing six digits never moved the buffer (no copy left behind)");
        let debug = format!("{prompt:?}");
        assert!(!debug.contains("864213") && debug.contains("digits_typed: 6"), "{debug}");
        prompt.rejected("MultiFactorAuthentication failed");
        assert_eq!(prompt.typed(), 0);
    }
}
