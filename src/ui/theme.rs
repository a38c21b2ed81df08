//! Colours and emphasis in one place.

use ratatui::style::{Color, Modifier, Style};

use crate::app::session::State;

pub fn state(state: State) -> Style {
    match state {
        State::Valid => Style::new().fg(Color::Green),
        State::Warning => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        State::Critical => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        State::Expired => Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
        State::Refreshing => Style::new().fg(Color::Cyan),
        State::Failed => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        State::Starting => Style::new().fg(Color::DarkGray),
    }
}

pub fn border(focused: bool) -> Style {
    if focused { Style::new().fg(Color::Cyan) } else { Style::new().fg(Color::DarkGray) }
}

pub fn label() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn header() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn container() -> Style {
    Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD)
}

pub fn error() -> Style {
    Style::new().fg(Color::Red)
}

pub fn hint() -> Style {
    Style::new().fg(Color::DarkGray)
}
