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
            code: Zeroizing::new(String::new()),
            error,
            waiting: false,
        }
    }

    /// How many digits are typed; the screen shows dots, never the digits.
    pub fn typed(&self) -> usize {
        self.code.len()
    }

    pub(super) fn rejected(&mut self, message: &str) {
        self.error = Some(message.to_string());
        self.waiting = false;
        self.code.clear();
    }
}

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
            KeyCode::Char(c) if c.is_ascii_digit() && prompt.code.len() < 6 => {
                prompt.code.push(c);
                prompt.error = None;
            }
            KeyCode::Char(_) => prompt.error = Some("the code is 6 digits".into()),
            KeyCode::Enter if prompt.code.len() == 6 => {
                prompt.waiting = true;
                prompt.error = None;
                let code = std::mem::take(&mut *prompt.code);
                return self.submit_mfa(code);
            }
            KeyCode::Enter => prompt.error = Some(format!("{} of 6 digits typed", prompt.code.len())),
            _ => {}
        }
        Vec::new()
    }
}
