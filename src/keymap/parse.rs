//! The key syntax of `[keys]` (`"k"`, `"G"`, `"Ctrl-c"`, `"PageDown"`, `"F5"`) and its
//! normalised form, which both parsed keys and crossterm events are reduced to so that a
//! single hash lookup decides a keystroke.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Shown after most refusals: the shapes a user is most likely to want.
pub(crate) const EXAMPLES: &str = "write keys like \"k\", \"Ctrl-c\", \"PageDown\", \"F5\"";

/// Named keys, their accepted spellings (matched case-insensitively) and the first spelling is
/// the canonical one. The arrow glyphs are accepted because `Display` renders arrows that way
/// and what the help overlay shows must be writable back into the config.
const NAMED: &[(KeyCode, &[&str])] = &[
    (KeyCode::Up, &["Up", "↑"]),
    (KeyCode::Down, &["Down", "↓"]),
    (KeyCode::Left, &["Left", "←"]),
    (KeyCode::Right, &["Right", "→"]),
    (KeyCode::PageUp, &["PageUp", "PgUp"]),
    (KeyCode::PageDown, &["PageDown", "PgDn"]),
    (KeyCode::Home, &["Home"]),
    (KeyCode::End, &["End"]),
    (KeyCode::Enter, &["Enter", "Return"]),
    (KeyCode::Esc, &["Esc", "Escape"]),
    (KeyCode::Tab, &["Tab"]),
    (KeyCode::BackTab, &["BackTab"]),
    (KeyCode::Backspace, &["Backspace"]),
    (KeyCode::Delete, &["Delete", "Del"]),
    (KeyCode::Insert, &["Insert", "Ins"]),
    (KeyCode::Char(' '), &["Space"]),
];

const NAMED_LIST: &str = concat!(
    "Up, Down, Left, Right, PageUp, PageDown, Home, End, Enter, Esc, Tab, BackTab, Backspace, Delete, ",
    "Insert, Space, F1 to F12"
);

/// Prefix order is also the display order, so `Ctrl-Alt-x` renders the way most docs write it.
const MODIFIERS: [(&str, KeyModifiers); 3] =
    [("Ctrl", KeyModifiers::CONTROL), ("Alt", KeyModifiers::ALT), ("Shift", KeyModifiers::SHIFT)];

/// One key with its modifiers, normalised: a character never carries SHIFT (the shift is in
/// the character: `G`, `?`), and Shift-Tab is always `BackTab` without SHIFT. Equal specs
/// mean the same physical keystroke as crossterm reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    code: KeyCode,
    modifiers: KeyModifiers,
}

impl KeySpec {
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeySpec {
        normalise(code, modifiers)
    }

    /// The spec a key event stands for; `None` for releases, which would otherwise fire every
    /// action twice on terminals that report them (kitty protocol, Windows).
    pub fn from_event(event: &KeyEvent) -> Option<KeySpec> {
        match event.kind {
            KeyEventKind::Press | KeyEventKind::Repeat => Some(normalise(event.code, event.modifiers)),
            KeyEventKind::Release => None,
        }
    }

    pub fn code(&self) -> KeyCode {
        self.code
    }

    pub fn modifiers(&self) -> KeyModifiers {
        self.modifiers
    }
}

fn normalise(code: KeyCode, modifiers: KeyModifiers) -> KeySpec {
    match code {
        // Terminals disagree on whether Shift-g is `G`, `G`+SHIFT or (kitty, all keys as
        // escape codes) `g`+SHIFT; folding SHIFT into the character makes all three one key.
        KeyCode::Char(c) if modifiers.contains(KeyModifiers::SHIFT) => {
            KeySpec { code: KeyCode::Char(single_uppercase(c)), modifiers: modifiers - KeyModifiers::SHIFT }
        }
        KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
            KeySpec { code: KeyCode::BackTab, modifiers: modifiers - KeyModifiers::SHIFT }
        }
        // crossterm sends BackTab with SHIFT set; the SHIFT is implied by the code.
        KeyCode::BackTab => KeySpec { code, modifiers: modifiers - KeyModifiers::SHIFT },
        _ => KeySpec { code, modifiers },
    }
}

/// Characters whose uppercase is several characters (`ß`) have no shifted key to match, so
/// they stay as they are.
fn single_uppercase(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Why a key string was refused; the whole message reads after "`<text>` is not a key".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KeyParseError {
    pub input: String,
    pub message: String,
}

impl FromStr for KeySpec {
    type Err = KeyParseError;

    fn from_str(input: &str) -> Result<KeySpec, KeyParseError> {
        let err = |message: String| KeyParseError { input: input.to_string(), message };
        if input.is_empty() {
            return Err(err(format!("an empty string is not a key; {EXAMPLES}")));
        }
        if input.chars().any(char::is_whitespace) {
            return Err(err(format!(
                "`{input}` is not a key: keys contain no spaces (write the space bar as \"Space\")"
            )));
        }

        let mut modifiers = KeyModifiers::NONE;
        let mut rest = input;
        // A lone "-" or the "-" in "Ctrl--" is the minus key, not a separator.
        while let Some((prefix, after)) = rest.split_once('-').filter(|(prefix, _)| !prefix.is_empty()) {
            let Some((name, flag)) = MODIFIERS.iter().find(|(name, _)| name.eq_ignore_ascii_case(prefix)) else {
                if prefix.chars().all(char::is_alphabetic) {
                    return Err(err(format!(
                        "`{input}` is not a key: `{prefix}` is not a modifier; use Ctrl-, Alt- or Shift-"
                    )));
                }
                break;
            };
            if modifiers.contains(*flag) {
                return Err(err(format!("`{input}` is not a key: `{name}-` is written twice")));
            }
            modifiers |= *flag;
            rest = after;
        }
        if rest.is_empty() {
            return Err(err(format!("`{input}` is not a key; {EXAMPLES}")));
        }

        let code = base_key(rest).map_err(|reason| err(format!("`{input}` is not a key{reason}")))?;
        if let KeyCode::Char(c) = code
            && modifiers.contains(KeyModifiers::SHIFT)
            && !c.is_alphabetic()
            && c != ' '
        {
            // Which character Shift turns `/` into depends on the keyboard layout, which a
            // terminal never tells us; the user knows it.
            return Err(err(format!(
                "`{input}` is not a key: Shift- goes only with letters and named keys; write the character \
                 Shift produces instead, e.g. \"?\""
            )));
        }
        Ok(normalise(code, modifiers))
    }
}

/// The key without modifiers; the error is the reason, to follow "`<input>` is not a key".
fn base_key(text: &str) -> Result<KeyCode, String> {
    if let Some((code, _)) = NAMED.iter().find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(text))) {
        return Ok(*code);
    }
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_control() {
            return Err(format!("; {EXAMPLES}"));
        }
        return Ok(KeyCode::Char(c));
    }
    if let Some(digits) = text.strip_prefix(['F', 'f'])
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return match digits.parse::<u8>() {
            Ok(n @ 1..=12) => Ok(KeyCode::F(n)),
            _ => Err(": function keys go from F1 to F12".to_string()),
        };
    }
    Err(format!(
        "; write a single character (\"k\", \"?\") or a named key ({NAMED_LIST}), optionally after Ctrl-, Alt- \
         or Shift-"
    ))
}

impl fmt::Display for KeySpec {
    /// Renders the form the help overlay shows, which `FromStr` accepts back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, flag) in MODIFIERS {
            if self.modifiers.contains(flag) {
                write!(f, "{name}-")?;
            }
        }
        match self.code {
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            code => match NAMED.iter().find(|(named, _)| *named == code) {
                Some((_, names)) => f.write_str(names[0]),
                // Only reachable for keys built from events (media keys, CapsLock…), which are
                // never bound but may be shown in a log.
                None => write!(f, "{code}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> KeySpec {
        s.parse().unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn refusal(s: &str) -> String {
        match s.parse::<KeySpec>() {
            Ok(k) => panic!("{s:?} should be refused, parsed as {k:?}"),
            Err(e) => e.message,
        }
    }

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeySpec {
        KeySpec { code, modifiers }
    }

    #[test]
    fn single_characters_keep_their_case() {
        assert_eq!(parse("k"), key(KeyCode::Char('k'), KeyModifiers::NONE));
        assert_eq!(parse("G"), key(KeyCode::Char('G'), KeyModifiers::NONE));
        assert_ne!(parse("g"), parse("G"));
        assert_eq!(parse("?"), key(KeyCode::Char('?'), KeyModifiers::NONE));
        assert_eq!(parse("*"), key(KeyCode::Char('*'), KeyModifiers::NONE));
        assert_eq!(parse("-"), key(KeyCode::Char('-'), KeyModifiers::NONE));
        assert_eq!(parse("é"), key(KeyCode::Char('é'), KeyModifiers::NONE));
    }

    #[test]
    fn names_and_modifiers_ignore_case() {
        assert_eq!(parse("pageup"), key(KeyCode::PageUp, KeyModifiers::NONE));
        assert_eq!(parse("PGDN"), key(KeyCode::PageDown, KeyModifiers::NONE));
        assert_eq!(parse("space"), key(KeyCode::Char(' '), KeyModifiers::NONE));
        assert_eq!(parse("f5"), key(KeyCode::F(5), KeyModifiers::NONE));
        assert_eq!(parse("F12"), key(KeyCode::F(12), KeyModifiers::NONE));
        assert_eq!(parse("ctrl-c"), key(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(parse("CTRL-ALT-x"), key(KeyCode::Char('x'), KeyModifiers::CONTROL | KeyModifiers::ALT));
        assert_eq!(parse("Alt-Ctrl-x"), parse("Ctrl-Alt-x"));
        assert_eq!(parse("Ctrl--"), key(KeyCode::Char('-'), KeyModifiers::CONTROL));
        assert_eq!(parse("Shift-Up"), key(KeyCode::Up, KeyModifiers::SHIFT));
    }

    #[test]
    fn shift_folds_into_letters_and_tab() {
        assert_eq!(parse("Shift-g"), parse("G"));
        assert_eq!(parse("Shift-G"), parse("G"));
        assert_eq!(parse("Shift-Tab"), parse("BackTab"));
        assert_eq!(parse("Ctrl-Shift-c"), key(KeyCode::Char('C'), KeyModifiers::CONTROL));
    }

    #[test]
    fn events_normalise_like_parsed_keys() {
        let ev = |code, modifiers| KeySpec::from_event(&KeyEvent::new(code, modifiers));
        let g = Some(parse("G"));
        assert_eq!(ev(KeyCode::Char('G'), KeyModifiers::NONE), g);
        assert_eq!(ev(KeyCode::Char('G'), KeyModifiers::SHIFT), g);
        assert_eq!(ev(KeyCode::Char('g'), KeyModifiers::SHIFT), g);
        assert_eq!(ev(KeyCode::Char('?'), KeyModifiers::SHIFT), Some(parse("?")));
        assert_eq!(ev(KeyCode::BackTab, KeyModifiers::SHIFT), Some(parse("Shift-Tab")));
        assert_eq!(ev(KeyCode::Tab, KeyModifiers::SHIFT), Some(parse("Shift-Tab")));
        assert_eq!(ev(KeyCode::Up, KeyModifiers::SHIFT), Some(parse("Shift-Up")));
        let release = KeyEvent::new_with_kind(KeyCode::Char('k'), KeyModifiers::NONE, KeyEventKind::Release);
        assert_eq!(KeySpec::from_event(&release), None);
    }

    #[test]
    fn refusals_say_what_is_wrong_and_what_is_accepted() {
        assert!(refusal("").contains("empty"), "{}", refusal(""));
        assert_eq!(refusal("Ctrl-"), format!("`Ctrl-` is not a key; {EXAMPLES}"));
        assert_eq!(refusal("ctrl-alt-"), format!("`ctrl-alt-` is not a key; {EXAMPLES}"));
        assert!(refusal("F13").contains("F1 to F12"), "{}", refusal("F13"));
        assert!(refusal("F0").contains("F1 to F12"), "{}", refusal("F0"));
        let hyper = refusal("Hyper-x");
        assert!(hyper.contains("`Hyper` is not a modifier") && hyper.contains("Ctrl-, Alt- or Shift-"), "{hyper}");
        let typo = refusal("PageDwn");
        assert!(typo.contains("`PageDwn` is not a key") && typo.contains("PageDown"), "{typo}");
        assert!(refusal(" ").contains("\"Space\""), "{}", refusal(" "));
        assert!(refusal("k ").contains("no spaces"));
        assert!(refusal("Ctrl-Ctrl-x").contains("twice"));
        assert!(refusal("Shift-/").contains("\"?\""));
        assert!(refusal("\u{7}").contains(EXAMPLES));
    }

    #[test]
    fn display_renders_the_help_overlay_forms_and_parses_back() {
        let cases = [
            ("Up", "↑"),
            ("k", "k"),
            ("PageUp", "PgUp"),
            ("pagedown", "PgDn"),
            ("ctrl-c", "Ctrl-c"),
            ("Enter", "Enter"),
            ("Escape", "Esc"),
            ("Space", "Space"),
            ("Shift-g", "G"),
            ("BackTab", "Shift-Tab"),
            ("alt-shift-left", "Alt-Shift-←"),
            ("Ctrl--", "Ctrl--"),
            ("f7", "F7"),
            ("Del", "Delete"),
        ];
        for (input, shown) in cases {
            let spec = parse(input);
            assert_eq!(spec.to_string(), shown, "display of {input:?}");
            assert_eq!(parse(shown), spec, "{shown:?} should parse back to {input:?}");
        }
    }
}
