//! Living sessions end to end: the real binary in a real terminal (a private tmux server per
//! test) against a real moto server. Switching identities from the picker, AccessDenied after a
//! switch, the MFA prompt, the countdown's colours as expiry nears, and an identity made on the
//! spot from a policy template. Every check polls the screen against the deadline; nothing here
//! sleeps for a fixed time or measures how long something took.

mod common;

use common::screen::*;
use common::styled::{pens_of, plain, reversed_runs};
use common::tmux::{Tmux, popup};
use common::*;
use s3lease::testbed::Seed;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;
/// Typed into the MFA prompt (moto takes any code). Not in the account ID, the ARNs or the
/// seeded keys, so seeing it on screen can only mean the prompt echoed it.
const CODE: &str = "482917";

/// The UI as `identity`, at `location` or the bucket list, in a 120x40 terminal.
fn tui(sb: &Sandbox, identity: &str, location: Option<&str>) -> Tmux {
    let mut cmd = sb.command();
    cmd.args(["--identity", identity]);
    cmd.args(location);
    Tmux::start(&cmd, WIDTH, HEIGHT)
}

// --- Reading the screen -------------------------------------------------------------------

/// The session pane's title, from the first line: `auditor (assume-role) ● valid`.
fn session_title(screen: &str) -> String {
    screen
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("┌ "))
        .and_then(|rest| rest.split(" ─").next())
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// What the browser's body says, its wrapped lines joined and spaces collapsed.
fn browser_text(screen: &str) -> String {
    rows(screen).join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The value of a field of the new-identity form: the text after its 15-column label, without
/// the typing cursor.
fn form_value(screen: &str, label: &str) -> Option<String> {
    let form = popup(screen, " new identity: federation token ")?;
    let prefix = format!("{label:<15}");
    form.iter().find_map(|l| l.strip_prefix(&prefix)).map(|v| v.trim().trim_end_matches('▏').trim().to_string())
}

/// The error line the form shows under `label`, if any (indented past the labels).
fn form_error(screen: &str, label: &str) -> Option<String> {
    let form = popup(screen, " new identity: federation token ")?;
    let prefix = format!("{label:<15}");
    let at = form.iter().position(|l| l.starts_with(&prefix))?;
    let next = form.get(at + 1)?;
    next.strip_prefix(&" ".repeat(15)).filter(|e| !e.trim().is_empty()).map(|e| e.trim().to_string())
}

// --- Reading the styled screen (`capture-pane -e`, parsed by `common::styled`) ------------

/// Whether the picker's highlighted row is the identity `name` (the active one has a `● `).
fn picker_on(styled: &str, name: &str) -> bool {
    reversed_runs(styled).iter().any(|run| run.trim_start_matches("● ").split_whitespace().next() == Some(name))
}

// How a colour can come out of `capture-pane -e`: crossterm sends the theme's ANSI colours as
// 256-colour indices and tmux 3 gives them back that way (`38;5;3` for yellow), but the
// classic (`33`) and bright (`93`, `38;5;11`) forms are the same colour to a reader.
const YELLOW: [&str; 4] = ["33", "93", "38;5;3", "38;5;11"];
const RED: [&str; 4] = ["31", "91", "38;5;1", "38;5;9"];
const GREEN: [&str; 4] = ["32", "92", "38;5;2", "38;5;10"];

/// Asserts every cell of `needle` is drawn in one of `colours` (and bold, if asked).
fn assert_drawn_in(styled: &str, needle: &str, colours: &[&str], bold: bool, what: &str) {
    let pens = pens_of(styled, needle).unwrap_or_else(|| panic!("{needle:?} is on screen; styled:\n{styled:?}"));
    for pen in &pens {
        let fg = pen.fg.as_deref().unwrap_or("default");
        assert!(
            colours.contains(&fg),
            "{needle:?} is drawn {what} ({colours:?}), not in {fg} ({pen:?}); styled:\n{styled:?}"
        );
        assert!(!bold || pen.bold, "{needle:?} is bold ({pen:?}); styled:\n{styled:?}");
    }
}

// --- Waiting --------------------------------------------------------------------------------

fn wait_title(term: &Tmux, want: &str) -> String {
    term.wait_until(&format!("the session title {want:?}"), |s| session_title(s) == want)
}

/// The browser at `at`, listed completely, its cursor at `position` (`2 of 2`).
fn wait_listed(term: &Tmux, at: &str, position: &str) -> String {
    // capture-pane can catch a frame half drawn: the new title and the old footer with the
    // picker not yet erased. A listed screen has no picker and no "Listing…" placeholder.
    term.wait_until(&format!("{at} listed, the footer at {position:?}"), |s| {
        location(s) == at
            && progress(s) == position
            && popup(s, " switch identity ").is_none()
            && !s.contains("Listing…")
    })
}

/// `i`, the query typed, and the cursor on `name` before Enter: switches to it.
fn pick(term: &Tmux, query: &str, name: &str) {
    term.send_keys(&["i"]);
    term.wait_until("the picker", |s| popup(s, " switch identity ").is_some());
    term.type_text(query);
    let prompt = format!("> {query}▏");
    term.wait_until(&format!("the query {query:?} typed"), |s| {
        popup(s, " switch identity ").is_some_and(|p| p.first().is_some_and(|l| l.trim_end() == prompt))
    });
    term.wait_until_styled(&format!("the picker's cursor on {name:?}"), |s| picker_on(s, name));
    term.send_keys(&["Enter"]);
}

// --- The tests ------------------------------------------------------------------------------

#[test]
fn switching_from_the_picker_keeps_the_place_and_switching_back_reuses_the_session() {
    let sb = Sandbox::new(testbed());
    let term = tui(&sb, "auditor", Some("s3://demo-data/reports/"));
    wait_listed(&term, "s3://demo-data/reports/", "1 of 2");
    term.send_keys(&["j"]);
    let screen = wait_listed(&term, "s3://demo-data/reports/", "2 of 2");
    wait_highlight(&term, "2025/");
    assert_eq!(names(&screen), ["2024/", "2025/"], "{screen}");
    // A second gone from the session's hour, so a new auditor session (started later) could
    // not end on the same second as this one.
    let screen = term.wait_until("the auditor's countdown below 59m 59s", |s| {
        session_title(s) == "auditor (assume-role) ● valid" && countdown(s).is_some_and(|(left, _)| left < 3599)
    });
    let (_, auditor_clock) = countdown(&screen).expect("a countdown");

    pick(&term, "admin-role", "admin-role");
    let screen = term.wait_until("admin-role, reports/ listed again with the cursor kept on 2025/", |s| {
        session_title(s) == "admin-role (assume-role) ● valid"
            && location(s) == "s3://demo-data/reports/"
            && progress(s) == "2 of 2"
    });
    assert_eq!(names(&screen), ["2024/", "2025/"], "listed again under admin-role:\n{screen}");
    assert!(status_line(&screen).starts_with("switched to admin-role"), "the status line:\n{screen}");
    assert_eq!(field(&screen, "chain"), "assume-role admin-role <- profile admin", "{screen}");
    assert!(field(&screen, "arn").ends_with(":assumed-role/Admin/admin-role"), "{screen}");
    wait_highlight(&term, "2025/");

    // The picker shows the time left on the auditor session started earlier in this run.
    term.send_keys(&["i"]);
    let screen = term.wait_until("the picker", |s| popup(s, " switch identity ").is_some());
    let picker = popup(&screen, " switch identity ").unwrap_or_default();
    let row = |name: &str| {
        picker
            .iter()
            .find(|l| l.trim_start_matches(['●', ' ']).split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("a row for {name} in the picker:\n{screen}"))
            .clone()
    };
    assert!(row("admin-role").starts_with("● admin-role "), "the active identity is marked:\n{screen}");
    // `  auditor          assume-role     59m 58s  assume-role auditor <- profile bob`
    let auditor = row("auditor");
    let cells: Vec<&str> = auditor.split_whitespace().collect();
    let time_left = cells.get(2..4).map(|t| t.join(" ")).unwrap_or_default();
    let is_countdown = time_left
        .split(' ')
        .all(|t| t.len() >= 2 && t.ends_with(['h', 'm', 's']) && t[..t.len() - 1].chars().all(|c| c.is_ascii_digit()));
    assert!(is_countdown, "the auditor row shows its session's time left, not {time_left:?}:\n{screen}");
    term.send_keys(&["Escape"]);
    term.wait_until("the picker to close", |s| popup(s, " switch identity ").is_none());

    pick(&term, "auditor", "auditor");
    // The very first frame with auditor's title already has its session: no "starting".
    let screen = term.wait_until("auditor's title", |s| session_title(s).starts_with("auditor "));
    assert_eq!(
        session_title(&screen),
        "auditor (assume-role) ● valid",
        "switching back to a session of this run shows it at once:\n{screen}"
    );
    let (_, clock) = countdown(&screen).unwrap_or_else(|| panic!("a countdown:\n{screen}"));
    assert_eq!(clock, auditor_clock, "the same auditor session (same expiry), not a new one:\n{screen}");
    let screen = wait_listed(&term, "s3://demo-data/reports/", "2 of 2");
    assert_eq!(names(&screen), ["2024/", "2025/"], "{screen}");
    assert!(status_line(&screen).starts_with("switched to auditor"), "the status line:\n{screen}");
}

#[test]
fn an_identity_that_may_not_list_the_place_says_so_and_enter_climbs_to_where_it_may() {
    // moto in auth mode: each role may do what its policy allows and no more.
    let tb = own_testbed(Seed { prefix_keys: 0, big_keys: 0, spread_keys: 0 });
    tb.set_auth(true).unwrap_or_else(|e| panic!("turning on auth mode: {e}"));
    let sb = Sandbox::new(&tb);
    let term = tui(&sb, "admin-role", Some("s3://demo-restricted/secret/"));
    let screen = wait_listed(&term, "s3://demo-restricted/secret/", "1 of 1");
    assert_eq!(names(&screen), ["plans.txt"], "admin-role may list it:\n{screen}");
    assert_eq!(session_title(&screen), "admin-role (assume-role) ● valid", "{screen}");

    pick(&term, "auditor", "auditor");
    let screen = term.wait_until("the listing to be refused for auditor", |s| {
        session_title(s).starts_with("auditor ") && progress(s).ends_with("(failed)")
    });
    assert_eq!(location(&screen), "s3://demo-restricted/secret/", "the place is kept:\n{screen}");
    let text = browser_text(&screen);
    assert!(text.starts_with("Could not list s3://demo-restricted/secret/:"), "the pane says what failed:\n{screen}");
    for part in [
        "AccessDenied: s3:ListBucket on bucket demo-restricted as assumed-role/Auditor/audit-session",
        "Enter: go up to the nearest level this identity can list",
    ] {
        assert!(text.contains(part), "the pane says {part:?}:\n{screen}");
    }
    assert!(!names(&screen).contains(&"plans.txt".to_string()), "nothing of admin-role's listing stays:\n{screen}");

    // Enter climbs: demo-restricted/ is refused too, the bucket list (ListAllMyBuckets) is not.
    term.send_keys(&["Enter"]);
    let screen = term.wait_until("the bucket list", |s| location(s) == "s3://" && progress(s) == "4 of 4");
    assert_eq!(names(&screen), ["demo-data", "demo-empty", "demo-eu", "demo-restricted"], "{screen}");
    wait_highlight(&term, "demo-restricted");
    assert_eq!(session_title(&screen), "auditor (assume-role) ● valid", "{screen}");
}

#[test]
fn one_mfa_code_typed_in_the_prompt_serves_every_role_chained_from_the_mfa_session() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let serial = tb.manifest.user("alice").mfa_serial.clone().expect("alice has an MFA device");
    let term = tui(&sb, "auditor", Some("s3://demo-data/reports/"));
    wait_listed(&term, "s3://demo-data/reports/", "1 of 2");
    wait_title(&term, "auditor (assume-role) ● valid");
    // Neither the code nor any five of its digits may ever be on screen.
    let secret_free = |s: &str| {
        for part in [CODE, &CODE[..5], &CODE[1..]] {
            assert!(!s.contains(part), "typed MFA digits {part:?} are on screen:\n{s}");
        }
    };

    pick(&term, "mfa-admin", "mfa-admin");
    let screen = term.wait_until("the MFA prompt", |s| popup(s, " MFA code ").is_some());
    let prompt = popup(&screen, " MFA code ").unwrap_or_default().join("\n");
    assert!(prompt.contains("identity alice-mfa"), "the code is for the MFA session:\n{screen}");
    assert!(prompt.contains(&format!("device   {serial}")), "it names the device:\n{screen}");
    assert!(prompt.contains("· · · · · ·"), "no digit typed yet:\n{screen}");
    assert_eq!(serial, "arn:aws:iam::123456789012:mfa/alice");
    let screen = term.wait_until("the pane to wait for the code", |s| {
        s.lines().take(5).any(|l| l.contains("waiting for an MFA code…"))
    });
    assert!(session_title(&screen).starts_with("mfa-admin (assume-role) ● "), "{screen}");

    term.type_text(&CODE[..5]);
    let screen = term.wait_until("five dots", |s| {
        popup(s, " MFA code ").is_some_and(|p| p.iter().any(|l| l.contains("code     ● ● ● ● ● ·")))
    });
    secret_free(&screen);
    term.send_keys(&["Enter"]);
    let screen = term.wait_until("too few digits", |s| {
        popup(s, " MFA code ").is_some_and(|p| p.iter().any(|l| l.contains("5 of 6 digits typed")))
    });
    secret_free(&screen);

    term.type_text(&CODE[5..]);
    let screen = term.wait_until("six dots", |s| {
        popup(s, " MFA code ").is_some_and(|p| p.iter().any(|l| l.contains("code     ● ● ● ● ● ●")))
    });
    secret_free(&screen);
    term.send_keys(&["Enter"]);
    let screen = term.wait_until("mfa-admin valid, the prompt closed, reports/ listed", |s| {
        secret_free(s);
        session_title(s) == "mfa-admin (assume-role) ● valid"
            && popup(s, " MFA code ").is_none()
            && location(s) == "s3://demo-data/reports/"
            && progress(s) == "1 of 2"
    });
    let chain = field(&screen, "chain");
    assert!(chain.starts_with("assume-role mfa-admin <- "), "{screen}");
    assert!(chain.contains("alice-mfa (MFA)"), "the chain shows the MFA session:\n{screen}");
    assert_eq!(names(&screen), ["2024/", "2025/"], "{screen}");

    // Another role from the same MFA session: no prompt this time.
    pick(&term, "mfa-auditor", "mfa-auditor");
    let screen = term.wait_until("mfa-auditor valid, with no MFA prompt on the way", |s| {
        assert!(popup(s, " MFA code ").is_none(), "the MFA session's code is asked for again:\n{s}");
        secret_free(s);
        session_title(s) == "mfa-auditor (assume-role) ● valid" && progress(s) == "1 of 2"
    });
    let chain = field(&screen, "chain");
    assert!(chain.starts_with("assume-role mfa-auditor <- "), "{screen}");
    assert!(chain.contains("alice-mfa (MFA)"), "{screen}");
    assert!(field(&screen, "arn").ends_with(":assumed-role/Auditor/mfa-auditor"), "{screen}");
    secret_free(&term.capture_all());
}

#[test]
fn the_countdown_turns_yellow_then_red_and_r_refreshes_it() {
    let tb = testbed();
    let anchor = "allow_short_durations = true\n";
    let standard = tb.config_toml();
    assert!(standard.contains(anchor), "the test bed config has a [settings] table:\n{standard}");
    let settings = "warn_before = \"30s\"\ncritical_before = \"15s\"\nrefresh_before = \"10s\"\nauto_refresh = false\n";
    let config = format!(
        "{}\n[[identity]]\nname = \"short\"\nkind = \"assume-role\"\nsource = \"bob\"\nrole_arn = \"{}\"\n\
         session_name = \"short\"\nduration = \"40s\"\n",
        standard.replacen(anchor, &format!("{anchor}{settings}"), 1),
        tb.manifest.role("Auditor"),
    );
    let sb = Sandbox::with_config(tb, &config);
    let term = tui(&sb, "short", None);

    // Each check reads one styled capture, so the text and its colours are of the same frame.
    let styled = term.wait_until_styled("a valid session", |s| {
        session_title(&plain(s)) == "short (assume-role) ● valid" && countdown(&plain(s)).is_some()
    });
    let screen = plain(&styled);
    let (left, clock) = countdown(&screen).expect("a countdown");
    assert!(left <= 40, "a 40 s session:\n{screen}");
    assert_drawn_in(&styled, "● valid", &GREEN, false, "green");
    assert!(!screen.contains('⚠'), "no banner yet:\n{screen}");

    // 30 s left: warning, in bold yellow, with the banner (no auto-refresh here).
    let styled = term.wait_until_styled("the warning state", |s| session_title(&plain(s)).ends_with("● warning"));
    let screen = plain(&styled);
    assert_eq!(session_title(&screen), "short (assume-role) ● warning", "{screen}");
    assert_drawn_in(&styled, "● warning", &YELLOW, true, "yellow");
    assert!(screen.contains("⚠ press R to refresh"), "the banner says what to do:\n{screen}");
    assert_drawn_in(&styled, "⚠ press R to refresh", &YELLOW, true, "yellow");
    assert_eq!(countdown(&screen).map(|(_, c)| c), Some(clock.clone()), "the same session:\n{screen}");

    // 15 s left: critical, in bold red, still asking for R.
    let styled = term.wait_until_styled("the critical state", |s| session_title(&plain(s)).ends_with("● critical"));
    let screen = plain(&styled);
    assert_eq!(session_title(&screen), "short (assume-role) ● critical", "{screen}");
    assert_drawn_in(&styled, "● critical", &RED, true, "red");
    assert!(screen.contains("⚠ press R to refresh"), "the banner says what to do:\n{screen}");
    assert_drawn_in(&styled, "⚠ press R to refresh", &RED, true, "red");
    assert!(!screen.contains("auto-refresh at"), "auto_refresh is off:\n{screen}");
    assert_eq!(countdown(&screen).map(|(_, c)| c), Some(clock.clone()), "the same session:\n{screen}");

    term.send_keys(&["R"]);
    let screen = term.wait_until("a new session, valid again", |s| {
        session_title(s) == "short (assume-role) ● valid" && countdown(s).is_some_and(|(_, c)| c != clock)
    });
    let (left, new_clock) = countdown(&screen).expect("a countdown");
    assert!(left > 30, "a fresh 40 s session is above the warning threshold:\n{screen}");
    let status = status_line(&screen);
    assert!(
        status.starts_with(&format!("credentials refreshed; valid until {new_clock} UTC")),
        "the status line says until when:\n{screen}"
    );
    assert!(!screen.contains("⚠"), "no banner on a valid session:\n{screen}");
}

#[test]
fn a_federation_identity_made_from_a_template_lists_the_place_and_is_saved() {
    let sb = Sandbox::new(testbed());
    let term = tui(&sb, "auditor", Some("s3://demo-data/reports/"));
    wait_listed(&term, "s3://demo-data/reports/", "1 of 2");
    wait_title(&term, "auditor (assume-role) ● valid");

    term.send_keys(&["i"]);
    term.wait_until("the picker", |s| popup(s, " switch identity ").is_some());
    // Past every identity to the last row (the picker has no End key).
    term.send_keys(&["Down"; 20]);
    term.wait_until_styled("the cursor on the last row", |s| {
        reversed_runs(s).iter().any(|r| r == "+ get a federation token…")
    });
    term.send_keys(&["Enter"]);
    let screen = term.wait_until("the federation form", |s| form_value(s, "name").is_some());
    let value = |s: &str, label: &str| form_value(s, label).unwrap_or_default();
    assert_eq!(value(&screen, "name"), "adhoc-federated", "{screen}");
    assert_eq!(value(&screen, "source"), "admin", "the first profile (long-term keys):\n{screen}");
    assert_eq!(value(&screen, "federated name"), "s3lease-share", "{screen}");
    assert_eq!(value(&screen, "policy"), "◀ read-only on one prefix ▶", "a prefix is open:\n{screen}");
    assert_eq!(value(&screen, "bucket"), "demo-data", "{screen}");
    assert_eq!(value(&screen, "prefix"), "reports/", "{screen}");
    assert_eq!(value(&screen, "duration"), "1h", "{screen}");
    assert_eq!(value(&screen, "save to config"), "[ ] this run only", "{screen}");

    // The name: cleared (its error shows under it), then the new one.
    term.send_keys(&["BSpace"; "adhoc-federated".len()]);
    term.wait_until("the empty name's error", |s| form_error(s, "name").as_deref() == Some("give the identity a name"));
    term.type_text("share-reports");
    term.wait_until("the new name, without error", |s| {
        form_value(s, "name").as_deref() == Some("share-reports") && form_error(s, "name").is_none()
    });

    // The federated name: cleared, its limit shown inline; Enter then refuses and stays on it.
    term.send_keys(&["Down", "Down"]);
    term.send_keys(&["BSpace"; "s3lease-share".len()]);
    let screen = term.wait_until("the federated name's error", |s| {
        form_value(s, "federated name").as_deref() == Some("") && form_error(s, "federated name").is_some()
    });
    let error = form_error(&screen, "federated name").unwrap_or_default();
    assert!(
        error.starts_with("federated name is 0 characters long; STS accepts 2 to 32"),
        "the error names the limit:\n{screen}"
    );
    term.send_keys(&["Down", "Enter"]);
    let screen = term.wait_until("Enter to go back to the field in error", |s| {
        form_error(s, "federated name").is_some()
            && popup(s, " new identity: federation token ")
                .is_some_and(|f| f.iter().any(|l| l.starts_with("federated name") && l.ends_with('▏')))
    });
    assert!(popup(&screen, " new identity: federation token ").is_some(), "nothing is created:\n{screen}");
    term.type_text("reports-share");
    term.wait_until("the federated name fixed", |s| {
        form_value(s, "federated name").as_deref() == Some("reports-share") && form_error(s, "federated name").is_none()
    });

    // Down to "save to config": federated name, policy, bucket, prefix, duration, save.
    term.send_keys(&["Down"; 5]);
    term.wait_until("the save field focused", |s| {
        popup(s, " new identity: federation token ").is_some()
            && form_value(s, "save to config").is_some()
            && form_value(s, "duration").as_deref() == Some("1h")
    });
    term.wait_until_styled("the save field focused", |s| {
        reversed_runs(s).iter().any(|r| r.starts_with("save to config"))
    });
    term.send_keys(&["Space"]);
    term.wait_until("save ticked", |s| {
        form_value(s, "save to config").as_deref() == Some("[x] append to the config file")
    });
    term.send_keys(&["Enter"]);

    let screen = term.wait_until("share-reports valid, reports/ listed under it", |s| {
        session_title(s) == "share-reports (federation) ● valid"
            && location(s) == "s3://demo-data/reports/"
            && progress(s) == "1 of 2"
    });
    assert!(popup(&screen, " new identity: federation token ").is_none(), "{screen}");
    assert_eq!(names(&screen), ["2024/", "2025/"], "{screen}");
    assert!(field(&screen, "chain").starts_with("federation share-reports"), "{screen}");
    assert!(field(&screen, "arn").contains(":federated-user/reports-share"), "{screen}");

    // Saved: the config file now has the identity (the worker writes it in the background).
    let start = std::time::Instant::now();
    let saved = loop {
        let text = std::fs::read_to_string(&sb.config).expect("the config file");
        let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("the config stays valid TOML ({e}):\n{text}"));
        let found = table
            .get("identity")
            .and_then(|v| v.as_array())
            .and_then(|ids| ids.iter().find(|i| i.get("name").and_then(|n| n.as_str()) == Some("share-reports")))
            .cloned();
        if let Some(found) = found {
            break found;
        }
        assert!(start.elapsed() < common::tmux::DEADLINE, "share-reports is saved to the config:\n{text}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(saved.get("kind").and_then(|v| v.as_str()), Some("federation"), "{saved:#?}");
    assert_eq!(saved.get("source").and_then(|v| v.as_str()), Some("admin"), "{saved:#?}");
    assert_eq!(saved.get("federated_name").and_then(|v| v.as_str()), Some("reports-share"), "{saved:#?}");
    let policy = saved.get("policy").and_then(|v| v.as_str()).unwrap_or_default();
    assert!(policy.contains("demo-data") && policy.contains("reports/"), "the template's policy:\n{saved:#?}");
    // Both things that one Enter did stay in view, the path cut to fit if it must.
    let dir = sb.config.parent().expect("a directory").display().to_string();
    term.wait_until("the status line to say it switched and where it was saved", |s| {
        let line = status_line(s);
        line.starts_with("switched to share-reports (federation); saved to ")
            && line.contains(&dir[..dir.len().min(20)])
    });
}
