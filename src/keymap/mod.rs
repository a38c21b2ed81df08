//! Key bindings: which keystroke triggers which [`Action`].
//!
//! Defaults live in `assets/keybindings.toml`, embedded so the binary needs no files beside
//! it and written in the same `[keys]` shape users put in their config, so it doubles as the
//! reference to copy from. A user's list for an action replaces that action's defaults whole;
//! anything ambiguous (two actions on one key, an unknown action, a key we cannot parse) is
//! refused at start-up rather than guessed at, because a silently dead key is worse than an
//! error message.
//!
//! Keys are normalised (see [`KeySpec`]) so a binding matches however the terminal encodes
//! the keystroke, and so lookup is one hash probe per keystroke.

mod parse;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::LazyLock;

use crossterm::event::KeyEvent;
use serde::Deserialize;

pub use parse::{KeyParseError, KeySpec};

const DEFAULTS_TOML: &str = include_str!("../../assets/keybindings.toml");

/// Parsed once: `defaults()` may be called by every test and by config reloads.
static DEFAULTS: LazyLock<Result<Keymap, KeymapError>> = LazyLock::new(parse_defaults);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Filter,
    Find,
    Sort,
    Reload,
    Identities,
    RefreshSession,
    Details,
    Preview,
    Share,
    Versions,
    Download,
    Upload,
    Delete,
    Mark,
    MarkAll,
    Transfers,
    Focus,
    Help,
    Quit,
    Cancel,
}

impl Action {
    /// In help-overlay order, which is also declaration order: `Keymap` indexes by `as usize`.
    pub const ALL: [Action; 28] = [
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Open,
        Action::Back,
        Action::Filter,
        Action::Find,
        Action::Sort,
        Action::Reload,
        Action::Identities,
        Action::RefreshSession,
        Action::Details,
        Action::Preview,
        Action::Share,
        Action::Versions,
        Action::Download,
        Action::Upload,
        Action::Delete,
        Action::Mark,
        Action::MarkAll,
        Action::Transfers,
        Action::Focus,
        Action::Help,
        Action::Quit,
        Action::Cancel,
    ];

    /// The name used in `[keys]`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Open => "open",
            Action::Back => "back",
            Action::Filter => "filter",
            Action::Find => "find",
            Action::Sort => "sort",
            Action::Reload => "reload",
            Action::Identities => "identities",
            Action::RefreshSession => "refresh_session",
            Action::Details => "details",
            Action::Preview => "preview",
            Action::Share => "share",
            Action::Versions => "versions",
            Action::Download => "download",
            Action::Upload => "upload",
            Action::Delete => "delete",
            Action::Mark => "mark",
            Action::MarkAll => "mark_all",
            Action::Transfers => "transfers",
            Action::Focus => "focus",
            Action::Help => "help",
            Action::Quit => "quit",
            Action::Cancel => "cancel",
        }
    }

    /// One line for the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Action::Up => "Move up",
            Action::Down => "Move down",
            Action::PageUp => "Move up a page",
            Action::PageDown => "Move down a page",
            Action::Top => "Go to the first entry",
            Action::Bottom => "Go to the last entry",
            Action::Open => "Open the bucket or prefix",
            Action::Back => "Go up a level",
            Action::Filter => "Filter the list",
            Action::Find => "Find keys below here, in every folder",
            Action::Sort => "Cycle the sort order",
            Action::Reload => "Reload the listing",
            Action::Identities => "Switch identity (roles, federation, profiles)",
            Action::RefreshSession => "Refresh the session's credentials now",
            Action::Details => "Object details: metadata, encryption, tags",
            Action::Preview => "Preview the object (first 64 KiB)",
            Action::Share => "Copy a link: s3:// URI, URL, presigned URL",
            Action::Versions => "Versions and delete markers of the object",
            Action::Download => "Download marked, or this object or prefix",
            Action::Upload => "Upload a file or folder here",
            Action::Delete => "Delete (asks first; a prefix by typing its name)",
            Action::Mark => "Mark or unmark the object",
            Action::MarkAll => "Mark every loaded object (again: clear)",
            Action::Transfers => "Transfers: progress, speed, cancel",
            Action::Focus => "Switch focus between panes",
            Action::Help => "Show or hide this help",
            Action::Quit => "Quit",
            Action::Cancel => "Close overlay, clear filter or stop loading",
        }
    }

    /// The inverse of [`Action::name`]; exact, as TOML keys are.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A refused `[keys]` table. `action` is the entry at fault, or empty for a conflict, which
/// belongs to two entries that `message` names both of.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[keys]{}: {message}", action_label(.action))]
pub struct KeymapError {
    pub action: String,
    pub message: String,
}

fn action_label(action: &str) -> String {
    if action.is_empty() { String::new() } else { format!(" `{action}`") }
}

/// Every action's keys, and the reverse map consulted on each keystroke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    keys: [Vec<KeySpec>; Action::ALL.len()],
    lookup: HashMap<KeySpec, Action>,
}

impl Keymap {
    /// The bindings from `assets/keybindings.toml`.
    ///
    /// The asset is compiled in and checked by `defaults_cover_every_action_and_key`, so the
    /// panic below can only fire in a build whose tests fail.
    pub fn defaults() -> Keymap {
        match &*DEFAULTS {
            Ok(keymap) => keymap.clone(),
            Err(e) => panic!("assets/keybindings.toml is invalid: {e}"),
        }
    }

    /// The defaults with the user's `[keys]` table applied: each listed action gets exactly
    /// the keys listed, unlisted actions keep their defaults.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap, KeymapError> {
        let defaults = DEFAULTS.as_ref().map_err(Clone::clone)?;
        let mut keys = defaults.keys.clone();
        for (name, texts) in overrides {
            let Some(action) = Action::from_name(name) else {
                let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                return Err(KeymapError {
                    action: name.clone(),
                    message: format!("`{name}` is not an action; the actions are {}", names.join(", ")),
                });
            };
            if texts.is_empty() {
                let quoted: Vec<String> = defaults.keys(action).iter().map(|k| format!("\"{k}\"")).collect();
                return Err(KeymapError {
                    action: name.clone(),
                    message: format!(
                        "an empty list would leave `{name}` without a key; list at least one (the defaults are {})",
                        quoted.join(", ")
                    ),
                });
            }
            keys[action.index()] = parse_keys(action, texts)?;
        }
        Keymap::from_keys(keys)
    }

    /// The action `event` triggers. Releases trigger nothing, repeats act like presses so
    /// holding ↓ scrolls.
    pub fn action(&self, event: &KeyEvent) -> Option<Action> {
        KeySpec::from_event(event).and_then(|spec| self.lookup.get(&spec).copied())
    }

    /// Never empty: an action without keys is refused when the keymap is built.
    pub fn keys(&self, action: Action) -> &[KeySpec] {
        &self.keys[action.index()]
    }

    /// "↑/k": the action's keys as shown in hints and the help overlay.
    pub fn describe(&self, action: Action) -> String {
        let shown: Vec<String> = self.keys(action).iter().map(ToString::to_string).collect();
        shown.join("/")
    }

    /// Every action with its keys, in help-overlay order.
    pub fn bindings(&self) -> impl Iterator<Item = (Action, &[KeySpec])> {
        Action::ALL.into_iter().map(|action| (action, self.keys(action)))
    }

    fn from_keys(keys: [Vec<KeySpec>; Action::ALL.len()]) -> Result<Keymap, KeymapError> {
        let mut lookup = HashMap::new();
        // Walking in `ALL` order makes the pair named in a conflict deterministic.
        for action in Action::ALL {
            for spec in &keys[action.index()] {
                if let Some(other) = lookup.insert(*spec, action)
                    && other != action
                {
                    return Err(KeymapError {
                        action: String::new(),
                        message: format!("`{spec}` is bound to both `{other}` and `{action}`; bind it to one"),
                    });
                }
            }
        }
        Ok(Keymap { keys, lookup })
    }
}

/// Parses one action's list, dropping repeats (`"G"` and `"Shift-g"` are one key) so the
/// help overlay does not show a key twice.
fn parse_keys(action: Action, texts: &[String]) -> Result<Vec<KeySpec>, KeymapError> {
    let mut specs = Vec::with_capacity(texts.len());
    for text in texts {
        let spec: KeySpec = text
            .parse()
            .map_err(|e: KeyParseError| KeymapError { action: action.name().to_string(), message: e.message })?;
        if !specs.contains(&spec) {
            specs.push(spec);
        }
    }
    Ok(specs)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsFile {
    keys: BTreeMap<String, Vec<String>>,
}

fn parse_defaults() -> Result<Keymap, KeymapError> {
    let file: DefaultsFile = toml::from_str(DEFAULTS_TOML)
        .map_err(|e| KeymapError { action: String::new(), message: format!("assets/keybindings.toml: {e}") })?;
    let mut keys: [Vec<KeySpec>; Action::ALL.len()] = Default::default();
    for (name, texts) in &file.keys {
        let action = Action::from_name(name).ok_or_else(|| KeymapError {
            action: name.clone(),
            message: "is in assets/keybindings.toml but is not an action".to_string(),
        })?;
        keys[action.index()] = parse_keys(action, texts)?;
    }
    if let Some(action) = Action::ALL.into_iter().find(|a| keys[a.index()].is_empty()) {
        return Err(KeymapError {
            action: action.name().to_string(),
            message: "has no keys in assets/keybindings.toml".to_string(),
        });
    }
    Keymap::from_keys(keys)
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};

    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    fn plain(code: KeyCode) -> KeyEvent {
        press(code, KeyModifiers::NONE)
    }

    fn ch(c: char) -> KeyEvent {
        plain(KeyCode::Char(c))
    }

    fn overrides(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs.iter().map(|(a, keys)| (a.to_string(), keys.iter().map(|k| k.to_string()).collect())).collect()
    }

    fn refusal(pairs: &[(&str, &[&str])]) -> KeymapError {
        match Keymap::with_overrides(&overrides(pairs)) {
            Ok(_) => panic!("{pairs:?} should be refused"),
            Err(e) => e,
        }
    }

    #[test]
    fn actions_are_in_declaration_order_with_unique_names() {
        for (i, action) in Action::ALL.into_iter().enumerate() {
            assert_eq!(action.index(), i);
            assert_eq!(Action::from_name(action.name()), Some(action));
            assert!(!action.description().is_empty());
        }
        assert_eq!(Action::from_name("Up"), None);
    }

    #[test]
    fn defaults_cover_every_action_and_key() {
        let map = parse_defaults().unwrap_or_else(|e| panic!("embedded defaults are invalid: {e}"));
        let expected = [
            (Action::Up, vec![plain(KeyCode::Up), ch('k')]),
            (Action::Down, vec![plain(KeyCode::Down), ch('j')]),
            (Action::PageUp, vec![plain(KeyCode::PageUp)]),
            (Action::PageDown, vec![plain(KeyCode::PageDown)]),
            (Action::Top, vec![ch('g'), plain(KeyCode::Home)]),
            (
                Action::Bottom,
                vec![
                    ch('G'),
                    press(KeyCode::Char('G'), KeyModifiers::SHIFT),
                    press(KeyCode::Char('g'), KeyModifiers::SHIFT),
                    plain(KeyCode::End),
                ],
            ),
            (Action::Open, vec![plain(KeyCode::Enter), plain(KeyCode::Right), ch('l')]),
            (Action::Back, vec![plain(KeyCode::Backspace), plain(KeyCode::Left), ch('h')]),
            (Action::Filter, vec![ch('/')]),
            (Action::Find, vec![ch('F'), press(KeyCode::Char('F'), KeyModifiers::SHIFT)]),
            (Action::Sort, vec![ch('s')]),
            (Action::Reload, vec![ch('r')]),
            (Action::Identities, vec![ch('i')]),
            (Action::Details, vec![ch('d')]),
            (Action::Preview, vec![ch('p')]),
            (Action::Share, vec![ch('y')]),
            (Action::Versions, vec![ch('v')]),
            (Action::Download, vec![ch('D'), press(KeyCode::Char('D'), KeyModifiers::SHIFT)]),
            (Action::Transfers, vec![ch('T'), press(KeyCode::Char('T'), KeyModifiers::SHIFT)]),
            (Action::Upload, vec![ch('u')]),
            (Action::Delete, vec![ch('x')]),
            (Action::Mark, vec![ch(' ')]),
            (Action::MarkAll, vec![ch('*')]),
            (Action::RefreshSession, vec![ch('R'), press(KeyCode::Char('R'), KeyModifiers::SHIFT)]),
            (Action::Focus, vec![plain(KeyCode::Tab)]),
            (Action::Help, vec![ch('?'), press(KeyCode::Char('?'), KeyModifiers::SHIFT)]),
            (Action::Quit, vec![ch('q'), press(KeyCode::Char('c'), KeyModifiers::CONTROL)]),
            (Action::Cancel, vec![plain(KeyCode::Esc)]),
        ];
        for (action, events) in expected {
            for event in events {
                assert_eq!(map.action(&event), Some(action), "{event:?}");
            }
        }
        assert_eq!(map, Keymap::defaults());
        assert_eq!(map.action(&ch('c')), None, "Ctrl-c must not also fire on plain c");
        assert_eq!(map.action(&ch('z')), None, "z is free");
    }

    #[test]
    fn defaults_are_listed_in_help_order() {
        let positions: Vec<usize> = Action::ALL
            .iter()
            .map(|a| {
                DEFAULTS_TOML
                    .find(&format!("\n{} = ", a.name()))
                    .unwrap_or_else(|| panic!("`{a}` missing from keybindings.toml"))
            })
            .collect();
        assert!(positions.is_sorted(), "keybindings.toml should list actions in Action::ALL order");
    }

    #[test]
    fn describe_summarises_keys_for_hints() {
        let map = Keymap::defaults();
        assert_eq!(map.describe(Action::Up), "↑/k");
        assert_eq!(map.describe(Action::PageDown), "PgDn");
        assert_eq!(map.describe(Action::Quit), "q/Ctrl-c");
        assert_eq!(map.describe(Action::Cancel), "Esc");
        assert_eq!(map.bindings().count(), Action::ALL.len());
    }

    #[test]
    fn every_default_key_displays_as_text_that_parses_back() {
        for (action, keys) in Keymap::defaults().bindings() {
            for key in keys {
                let shown = key.to_string();
                let back: KeySpec = shown.parse().unwrap_or_else(|e| panic!("`{action}` key {shown:?}: {e}"));
                assert_eq!(back, *key, "{shown:?}");
            }
        }
    }

    #[test]
    fn releases_map_to_nothing_and_repeats_act_as_presses() {
        let map = Keymap::defaults();
        let with_kind = |kind| KeyEvent::new_with_kind(KeyCode::Down, KeyModifiers::NONE, kind);
        assert_eq!(map.action(&with_kind(KeyEventKind::Release)), None);
        assert_eq!(map.action(&with_kind(KeyEventKind::Repeat)), Some(Action::Down));
        assert_eq!(map.action(&with_kind(KeyEventKind::Press)), Some(Action::Down));
    }

    #[test]
    fn an_override_replaces_only_its_action() {
        let map = Keymap::with_overrides(&overrides(&[("up", &["Up", "k", "w"])])).unwrap();
        let defaults = Keymap::defaults();
        assert_eq!(map.action(&ch('w')), Some(Action::Up));
        assert_eq!(map.describe(Action::Up), "↑/k/w");
        for action in Action::ALL.into_iter().filter(|a| *a != Action::Up) {
            assert_eq!(map.keys(action), defaults.keys(action), "`{action}`");
        }

        let map = Keymap::with_overrides(&overrides(&[("up", &["w"])])).unwrap();
        assert_eq!(map.action(&ch('k')), None, "a list replaces the defaults, it does not add to them");
        assert_eq!(map.action(&plain(KeyCode::Up)), None);

        assert_eq!(Keymap::with_overrides(&BTreeMap::new()).unwrap(), defaults);
    }

    #[test]
    fn overrides_may_move_keys_between_actions() {
        let map = Keymap::with_overrides(&overrides(&[("down", &["Down", "/"]), ("filter", &["j"])])).unwrap();
        assert_eq!(map.action(&ch('/')), Some(Action::Down));
        assert_eq!(map.action(&ch('j')), Some(Action::Filter));
    }

    #[test]
    fn repeated_keys_in_one_list_are_kept_once() {
        let map = Keymap::with_overrides(&overrides(&[("bottom", &["G", "Shift-g", "End"])])).unwrap();
        assert_eq!(map.describe(Action::Bottom), "G/End");
    }

    #[test]
    fn a_conflict_is_refused_naming_the_key_and_both_actions() {
        let e = refusal(&[("filter", &["j"])]);
        assert_eq!(e.action, "");
        assert_eq!(e.to_string(), "[keys]: `j` is bound to both `down` and `filter`; bind it to one");

        let e = refusal(&[("sort", &["Shift-g"])]);
        assert_eq!(e.to_string(), "[keys]: `G` is bound to both `bottom` and `sort`; bind it to one");
    }

    #[test]
    fn unknown_actions_and_bad_keys_are_refused_clearly() {
        let e = refusal(&[("scroll", &["k"])]);
        assert_eq!(e.action, "scroll");
        assert!(e.to_string().starts_with("[keys] `scroll`: `scroll` is not an action; the actions are up, down,"));

        let e = refusal(&[("up", &["Ctrl-"])]);
        assert_eq!(
            e.to_string(),
            "[keys] `up`: `Ctrl-` is not a key; write keys like \"k\", \"Ctrl-c\", \"PageDown\", \"F5\""
        );

        let e = refusal(&[("up", &["Up", ""])]);
        assert!(e.to_string().starts_with("[keys] `up`: an empty string is not a key; write keys like"), "{e}");

        let e = refusal(&[("reload", &["F13"])]);
        assert_eq!(e.to_string(), "[keys] `reload`: `F13` is not a key: function keys go from F1 to F12");

        let e = refusal(&[("quit", &["Hyper-x"])]);
        assert_eq!(
            e.to_string(),
            "[keys] `quit`: `Hyper-x` is not a key: `Hyper` is not a modifier; use Ctrl-, Alt- or Shift-"
        );

        let e = refusal(&[("quit", &[])]);
        assert!(e.to_string().contains("without a key") && e.to_string().contains("\"q\", \"Ctrl-c\""), "{e}");
    }
}
