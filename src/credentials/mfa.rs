//! Where MFA codes come from. The CLI asks at the terminal or takes `--mfa-code`; the TUI
//! (through the worker) supplies the code the user typed in its modal. Codes are held in
//! `Zeroizing` buffers and never logged.

use std::io::IsTerminal;

use zeroize::Zeroizing;

use super::hidden_input;
use crate::error::{Error, Result};
use crate::secret::Secret;

pub trait MfaSource: Send {
    /// A code for the device `serial`, needed to start `identity`.
    fn code(&mut self, identity: &str, serial: &str) -> Result<Zeroizing<String>>;
}

/// A code given up front (a flag, or the TUI's modal); used once, since codes are single-use.
pub struct GivenCode {
    code: Option<Zeroizing<String>>,
    hint: &'static str,
}

impl GivenCode {
    /// `hint` says how to supply a code when none was given, e.g. "pass --mfa-code CODE".
    pub fn new(code: Option<String>, hint: &'static str) -> Self {
        Self::secret(code.map(Zeroizing::new), hint)
    }

    /// As [`GivenCode::new`], for a code already held in a wiped-on-drop buffer.
    pub fn secret(code: Option<Zeroizing<String>>, hint: &'static str) -> Self {
        GivenCode { code, hint }
    }
}

impl MfaSource for GivenCode {
    fn code(&mut self, identity: &str, serial: &str) -> Result<Zeroizing<String>> {
        self.code.take().ok_or_else(|| Error::MfaRequired {
            identity: identity.to_string(),
            serial: serial.to_string(),
            hint: self.hint.to_string(),
        })
    }
}

/// The CLI's source: the `--mfa-code` flag first, then a prompt on the terminal that does not
/// echo what is typed. Without a terminal (scripts, credential_process under an SDK) it fails
/// with the flag to pass.
pub struct CliMfa {
    given: GivenCode,
}

impl CliMfa {
    pub fn new(flag: Option<Secret>) -> Self {
        CliMfa {
            given: GivenCode::secret(flag.map(Secret::into_zeroizing), "pass --mfa-code CODE (no terminal to ask on)"),
        }
    }
}

impl MfaSource for CliMfa {
    fn code(&mut self, identity: &str, serial: &str) -> Result<Zeroizing<String>> {
        if let Ok(code) = self.given.code(identity, serial) {
            return Ok(code);
        }
        let stdin = std::io::stdin();
        if !stdin.is_terminal() || !std::io::stderr().is_terminal() {
            return self.given.code(identity, serial);
        }
        let typed = hidden_input::read_hidden(&format!("MFA code for {serial} (identity `{identity}`): "))?;
        Ok(Zeroizing::new(typed.trim().to_string()))
    }
}
