//! Drawing: a pure function of `&App`. It reads no clock (the countdown uses `app.now`) and
//! changes nothing, so any screen can be rebuilt in a test from messages alone.

mod adhoc;
mod browser;
mod changes;
mod find;
pub mod format;
mod help;
pub mod layout;
mod mfa;
mod object;
mod overlay;
mod picker;
pub mod preview;
mod session;
mod status;
mod table;
pub mod theme;
mod transfers;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::{App, Mode};

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if layout::too_small(area.width, area.height) {
        let text = vec![
            Line::from("Terminal too small"),
            Line::from(format!(
                "{}x{}: s3lease needs at least {}x{}",
                area.width,
                area.height,
                layout::MIN_WIDTH,
                layout::MIN_HEIGHT
            )),
            Line::from("Enlarge the window, or press q to quit"),
        ];
        let [middle] = Layout::vertical([Constraint::Length(3)]).flex(Flex::Center).areas(area);
        frame.render_widget(Paragraph::new(text).centered().wrap(Wrap { trim: true }), middle);
        return;
    }
    let areas = layout::areas(area, app.focus);
    session::render(app, frame, areas.session);
    match &app.mode {
        Mode::Find(view) => find::render(app, view, frame, areas.browser),
        _ => browser::render(app, frame, areas.browser),
    }
    status::render(app, frame, areas.status);
    match &app.mode {
        Mode::Help(state) => help::render(app, state, frame, area),
        Mode::Picker(picker) => picker::render(app, picker, frame, area),
        Mode::Mfa(prompt) => mfa::render(prompt, frame, area),
        Mode::AdHoc(form) => adhoc::render(app, form, frame, area),
        Mode::Details(view) => object::render_details(view, frame, area),
        Mode::Preview(view) => preview::render(view, frame, area),
        Mode::Share(menu) => object::render_share(menu, frame, area),
        Mode::Versions(view) => object::render_versions(view, frame, area),
        Mode::Download(prompt) => transfers::render_prompt(prompt, frame, area),
        Mode::Transfers(panel) => transfers::render_panel(app, panel, frame, area),
        Mode::ConfirmDelete(confirm) => changes::render_confirm(confirm, frame, area),
        Mode::Upload(prompt) => changes::render_upload(prompt, frame, area),
        Mode::Normal | Mode::Filter | Mode::FindPrompt(_) | Mode::Find(_) => {}
    }
}
