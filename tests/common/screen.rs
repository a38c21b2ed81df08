//! Reading the real binary's screen as tmux captured it: the browser's breadcrumb, rows and
//! footer, the session pane's fields and countdown, the status line. Shared by the tmux tests
//! so that they all read a screen the same way.

use super::styled::highlighted;
use super::tmux::Tmux;

/// The browser's breadcrumb, from its top border: `s3://demo-data/logs/`.
pub fn location(screen: &str) -> String {
    screen
        .lines()
        .find_map(|l| l.strip_prefix("┌ s3://"))
        .and_then(|rest| rest.split(" ─").next())
        .map(|rest| format!("s3://{rest}"))
        .unwrap_or_default()
}

/// The browser's footer without its border: `sort: name ↑ · 3 of 5`.
pub fn footer(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.starts_with("└ sort: "))
        .map(|l| l.trim_start_matches('└').trim_end_matches(['─', '┘']).trim().to_string())
        .unwrap_or_default()
}

/// The cursor position and progress at the end of the footer: `3 of 5`, `1 of 1,000+ loading…`.
/// Its parts are set apart by ` · ` (or, in older layouts, by runs of spaces).
pub fn progress(screen: &str) -> String {
    let footer = footer(screen);
    let last = footer.rsplit_once(" · ").or_else(|| footer.rsplit_once("  ")).map_or("", |(_, p)| p);
    last.trim().to_string()
}

/// The rows of the browser between the column header and the footer.
pub fn rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.starts_with("│NAME"))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .map(|l| l.trim_start_matches('│').trim_end_matches('│').trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The first column of every row.
pub fn names(screen: &str) -> Vec<String> {
    rows(screen).iter().filter_map(|r| r.split_whitespace().next().map(str::to_string)).collect()
}

/// A labelled line of the session pane (`chain`, `arn`), its value with spaces collapsed.
pub fn field(screen: &str, label: &str) -> String {
    let session: Vec<&str> = screen.lines().take_while(|l| !l.starts_with("┌ s3://")).collect();
    session
        .iter()
        .map(|l| l.trim_start_matches('│').trim_end_matches('│'))
        .find_map(|l| l.strip_prefix(label).filter(|rest| rest.starts_with(' ')))
        .map(|rest| rest.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The last line: a notice or an error on the left, key hints on the right.
pub fn status_line(screen: &str) -> String {
    screen.lines().last().unwrap_or_default().to_string()
}

/// Waits until the highlighted row is `name` (the bar is reverse video, so only the styled
/// screen shows it).
pub fn wait_highlight(term: &Tmux, name: &str) {
    term.wait_until_styled(&format!("the highlight on {name:?}"), |s| highlighted(s).as_deref() == Some(name));
}

/// `expires in 59m 58s (08:10:32 UTC)`, with or without a banner after it, as (seconds
/// left, clock).
pub fn countdown(screen: &str) -> Option<(u64, String)> {
    let line = screen.lines().find(|l| l.contains("expires in "))?;
    let text = line.split("expires in ").nth(1)?;
    let (left, rest) = text.split_once(" (")?;
    let (clock, _) = rest.split_once(" UTC)")?;
    let clock_ok = clock.len() == 8
        && clock.chars().enumerate().all(|(i, c)| if i == 2 || i == 5 { c == ':' } else { c.is_ascii_digit() });
    let mut seconds = 0;
    for part in left.split(' ') {
        let unit = match part.chars().last()? {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        seconds += unit * part[..part.len() - 1].parse::<u64>().ok()?;
    }
    clock_ok.then(|| (seconds, clock.to_string()))
}
