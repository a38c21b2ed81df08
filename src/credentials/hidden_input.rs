//! Reading an MFA code at the terminal without echoing it, as getpass and sudo do.
//!
//! The terminal is switched to raw mode for the read: nothing typed is echoed, and Ctrl-C
//! arrives as a key rather than a signal, so it ends the read through the same path as any
//! other way out. A guard puts the terminal back on every one of them: Enter, a read error,
//! Ctrl-C, and a panic (the panic hook restores it before its report, the guard again while
//! unwinding). crossterm reads the keys from stdin, or from `/dev/tty` when stdin is not one.

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Bytes kept of what is typed. MFA codes are 6 digits; the buffer never grows past this, so
/// no reallocation leaves a copy of the code behind.
const CAPACITY: usize = 256;

/// Raw mode, left on drop.
struct RawMode;

impl RawMode {
    fn enter() -> Result<RawMode> {
        terminal::enable_raw_mode().map_err(|e| Error::io("switching the terminal to raw mode for the MFA code", e))?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// What a key does to the code being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    More,
    Done,
    Interrupted,
}

/// Applies `key` to `code`. Enter (or Ctrl-D, end of input) ends the code, Ctrl-C abandons
/// it, Backspace and Ctrl-U edit it; a character past [`CAPACITY`] is dropped rather than let
/// the buffer grow.
fn apply(code: &mut Zeroizing<String>, key: KeyEvent) -> Step {
    if key.kind == KeyEventKind::Release {
        return Step::More;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Enter => Step::Done,
        KeyCode::Char('c') if ctrl => Step::Interrupted,
        KeyCode::Char('d') if ctrl => Step::Done,
        KeyCode::Char('u') if ctrl => {
            code.clear();
            Step::More
        }
        KeyCode::Backspace => {
            code.pop();
            Step::More
        }
        KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
            if code.len() + c.len_utf8() <= code.capacity() {
                code.push(c);
            }
            Step::More
        }
        _ => Step::More,
    }
}

/// Prints `prompt` on stderr and reads a line from the terminal without echo; a newline
/// follows once it is read, as the echoed Enter would have. Ctrl-C ends it with
/// [`Error::Interrupted`].
pub fn read_hidden(prompt: &str) -> Result<Zeroizing<String>> {
    use std::io::Write;
    let mut code = Zeroizing::new(String::with_capacity(CAPACITY));
    let step = {
        // Raw before the prompt shows: a key typed as soon as it appears is not echoed either.
        let _raw = RawMode::enter()?;
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        loop {
            match event::read() {
                Ok(Event::Key(key)) => {
                    forced_panic(&key);
                    match apply(&mut code, key) {
                        Step::More => {}
                        step => break Ok(step),
                    }
                }
                Ok(_) => {}
                Err(e) => break Err(Error::io("reading the MFA code from the terminal", e)),
            }
        }
    };
    // Cooked again: the newline is the one Enter would have echoed.
    eprintln!();
    match step? {
        Step::Interrupted => Err(Error::Interrupted("at the MFA code prompt; no code was sent".into())),
        _ => Ok(code),
    }
}

/// Debug builds only: `S3LEASE_DEBUG_PANIC_KEY=F12` makes that key panic at the prompt too, so
/// a test can prove the terminal comes back from raw mode.
fn forced_panic(key: &KeyEvent) {
    #[cfg(debug_assertions)]
    if let Ok(name) = std::env::var("S3LEASE_DEBUG_PANIC_KEY")
        && let Ok(spec) = name.parse::<crate::keymap::KeySpec>()
        && crate::keymap::KeySpec::from_event(key) == Some(spec)
    {
        panic!("forced by S3LEASE_DEBUG_PANIC_KEY for a test, at the MFA code prompt");
    }
    #[cfg(not(debug_assertions))]
    let _ = key;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn typed(keys: &[KeyEvent]) -> (String, Step) {
        let mut code = Zeroizing::new(String::with_capacity(CAPACITY));
        for (i, k) in keys.iter().enumerate() {
            let step = apply(&mut code, *k);
            if step != Step::More {
                assert_eq!(i, keys.len() - 1, "the read ends at the last key");
                return (code.to_string(), step);
            }
        }
        (code.to_string(), Step::More)
    }

    #[test]
    fn digits_then_enter() {
        let keys: Vec<KeyEvent> =
            "864213".chars().map(|c| key(KeyCode::Char(c))).chain([key(KeyCode::Enter)]).collect();
        assert_eq!(typed(&keys), ("864213".into(), Step::Done));
    }

    #[test]
    fn backspace_and_ctrl_u_edit_and_ctrl_d_ends() {
        let keys = [
            key(KeyCode::Char('9')),
            key(KeyCode::Char('x')),
            key(KeyCode::Backspace),
            ctrl('u'),
            key(KeyCode::Char('1')),
            key(KeyCode::Char('2')),
            key(KeyCode::Backspace),
            key(KeyCode::Char('3')),
            ctrl('d'),
        ];
        assert_eq!(typed(&keys), ("13".into(), Step::Done));
    }

    #[test]
    fn ctrl_c_abandons_the_code() {
        let keys = [key(KeyCode::Char('1')), ctrl('c')];
        assert_eq!(typed(&keys).1, Step::Interrupted);
    }

    #[test]
    fn control_keys_and_releases_type_nothing() {
        let mut release = key(KeyCode::Char('7'));
        release.kind = KeyEventKind::Release;
        let keys = [ctrl('z'), key(KeyCode::Esc), key(KeyCode::Left), release, key(KeyCode::Enter)];
        assert_eq!(typed(&keys), (String::new(), Step::Done));
    }

    #[test]
    fn the_buffer_never_grows() {
        let mut code = Zeroizing::new(String::with_capacity(CAPACITY));
        let start = code.as_ptr();
        for _ in 0..CAPACITY * 2 {
            apply(&mut code, key(KeyCode::Char('é')));
        }
        assert_eq!(code.as_ptr(), start, "never reallocated");
        assert!(code.len() <= CAPACITY && code.len() > CAPACITY - 2, "{}", code.len());
    }
}
