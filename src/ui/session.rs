//! The session pane: who we are, where the credentials came from, and how long they last.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{format, theme};
use crate::app::session::{State, Status, remaining};
use crate::app::{App, Focus};
use crate::duration::Countdown;
use crate::escape::untrusted;

/// A labelled value, cut with `…` to the pane's inner width.
fn field(name: &str, value: &str, width: usize) -> Line<'static> {
    const LABEL: usize = 9;
    Line::from(vec![
        Span::styled(format!("{name:<LABEL$}"), theme::label()),
        Span::raw(format::fit(value, width.saturating_sub(LABEL))),
    ])
}

/// `08:10:32 UTC  in 42m 10s`, or what the state says instead of a countdown.
fn countdown(app: &App, state: State) -> Span<'static> {
    let info = app.session.info.as_ref();
    let text = match (state, info.and_then(|i| i.expires_at)) {
        (State::Starting, _) if app.session.status == Status::AwaitingMfa => "waiting for an MFA code…".to_string(),
        (State::Starting, _) => "starting…".to_string(),
        (State::Failed, _) => match &app.session.status {
            Status::Failed(error) => untrusted(error).into_owned(),
            _ => "failed".to_string(),
        },
        (_, None) => "long-term keys, no expiry".to_string(),
        (State::Expired, Some(at)) => format!("expired at {} UTC", crate::timefmt::clock(at)),
        (State::Refreshing, Some(at)) => format!("refreshing… (expires {} UTC)", crate::timefmt::clock(at)),
        (_, Some(at)) => {
            let left = remaining(at, app.now).unwrap_or_default();
            format!("expires in {} ({} UTC)", Countdown(left), crate::timefmt::clock(at))
        }
    };
    Span::styled(text, theme::state(state))
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let focused = app.focus == Focus::Session;
    let state = app.session.state(app.now, app.thresholds);
    let pane = &app.session;
    let title = Line::from(vec![
        Span::raw(" "),
        Span::styled(untrusted(&pane.identity).into_owned(), theme::header()),
        Span::raw(format!(" ({}) ", pane.kind)),
        Span::styled(format!("● {} ", state.label()), theme::state(state)),
    ]);
    let block = Block::bordered().title(title).border_style(theme::border(focused));

    let width = usize::from(area.width.saturating_sub(2));
    // A failure is the whole story: its message gets the pane, wrapped.
    if state == State::Failed {
        let error = Paragraph::new(Line::from(countdown(app, state))).block(block).wrap(Wrap { trim: true });
        frame.render_widget(error, area);
        return;
    }
    let mut first = vec![countdown(app, state)];
    if let Some(banner) = app.banner() {
        first.push(Span::raw("  "));
        first.push(Span::styled(format!("⚠ {banner}"), theme::state(state)));
    }
    let mut lines = vec![Line::from(first)];
    match &pane.info {
        Some(info) => {
            lines.push(field("chain", &untrusted(&info.chain), width));
            lines.push(field("arn", &untrusted(info.arn.as_deref().unwrap_or("(unknown)")), width));
            if focused {
                lines.push(field("region", &info.region, width));
                lines.push(field("endpoint", &untrusted(&info.endpoint), width));
                if let Some(at) = info.expires_at {
                    lines.push(field("expires", &crate::timefmt::rfc3339(at), width));
                }
                if let Some(size) = info.packed_policy_size {
                    lines.push(field("policy", &format!("{size}% of the packed session policy limit"), width));
                }
            }
        }
        None => lines.push(field("chain", "asking STS…", width)),
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
