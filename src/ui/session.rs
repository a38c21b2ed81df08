//! The session pane: who we are, where the credentials came from, and how long they last.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::session::{State, Status, remaining};
use crate::app::{App, Focus};
use crate::duration::Countdown;
use crate::escape::untrusted;

fn field<'a>(name: &'a str, value: String) -> Line<'a> {
    Line::from(vec![Span::styled(format!("{name:<8}"), theme::label()), Span::raw(value)])
}

/// `08:10:32 UTC  in 42m 10s`, or what the state says instead of a countdown.
fn countdown(app: &App, state: State) -> Span<'static> {
    let info = app.session.info.as_ref();
    let text = match (state, info.and_then(|i| i.expires_at)) {
        (State::Starting, _) => "starting…".to_string(),
        (State::Failed, _) => "failed".to_string(),
        (_, None) => "long-term keys, no expiry".to_string(),
        (State::Expired, Some(at)) => format!("expired at {} UTC", clock(at)),
        (State::Refreshing, Some(at)) => format!("refreshing… (expires {} UTC)", clock(at)),
        (_, Some(at)) => {
            let left = remaining(at, app.now).unwrap_or_default();
            format!("expires in {} ({} UTC)", Countdown(left), clock(at))
        }
    };
    Span::styled(text, theme::state(state))
}

fn clock(t: std::time::SystemTime) -> String {
    crate::timefmt::listing(t).split(' ').nth(1).unwrap_or_default().to_string()
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

    let mut lines = vec![Line::from(countdown(app, state))];
    if let Status::Failed(error) = &pane.status {
        lines.push(Line::from(Span::styled(untrusted(error).into_owned(), theme::error())));
    }
    match &pane.info {
        Some(info) => {
            lines.push(field("chain", untrusted(&info.chain).into_owned()));
            lines.push(field("arn", untrusted(info.arn.as_deref().unwrap_or("(unknown)")).into_owned()));
            if focused {
                lines.push(field("region", info.region.clone()));
                lines.push(field("endpoint", untrusted(&info.endpoint).into_owned()));
                if let Some(at) = info.expires_at {
                    lines.push(field("expires", crate::timefmt::rfc3339(at)));
                }
                if let Some(size) = info.packed_policy_size {
                    lines.push(field("policy", format!("{size}% of the packed session policy limit")));
                }
            }
        }
        None if matches!(pane.status, Status::Starting) => {
            lines.push(field("chain", "asking STS…".to_string()));
        }
        None => {}
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
