//! The event loop: terminal events, a 1 s tick and worker responses go into `App::update`;
//! its effects go to the worker; each turn redraws from `&App`. The terminal is restored on
//! every way out: normal return, error, and panic.

use std::io::Stdout;
use std::time::{Duration, SystemTime};

use crossterm::event::{Event, EventStream};
use crossterm::{execute, terminal};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::app::{App, AppConfig, Effect, Msg};
use crate::credentials::SessionManager;
use crate::error::{Error, Result};
use crate::worker;

/// Raw mode and the alternate screen, undone on drop.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> Result<TerminalGuard> {
        terminal::enable_raw_mode().map_err(|e| Error::io("switching the terminal to raw mode", e))?;
        let guard = TerminalGuard;
        execute!(std::io::stdout(), terminal::EnterAlternateScreen, crossterm::cursor::Hide)
            .map_err(|e| Error::io("entering the alternate screen", e))?;
        Ok(guard)
    }
}

/// Puts the terminal back as the shell expects it; safe to call more than once.
pub fn restore_terminal() {
    let _ = execute!(std::io::stdout(), terminal::LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = terminal::disable_raw_mode();
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A panic must not leave the terminal raw: restore it, then let the default hook report.
/// Panic messages come from our own code, which never formats secrets.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        default(info);
    }));
}

pub async fn run(manager: SessionManager, config: AppConfig) -> Result<()> {
    install_panic_hook();
    let mut handle = worker::spawn(manager);
    let (mut app, effects) = App::new(config, SystemTime::now());
    let _guard = TerminalGuard::enter()?;
    let mut terminal: Terminal<CrosstermBackend<Stdout>> =
        Terminal::new(CrosstermBackend::new(std::io::stdout())).map_err(|e| Error::io("opening the terminal", e))?;
    let size = terminal.size().map_err(|e| Error::io("reading the terminal size", e))?;
    app.update(Msg::Resize { width: size.width, height: size.height });
    // The first frame goes out before any request is even sent.
    draw(&mut terminal, &app)?;
    if !apply(&handle.requests, effects) {
        return Ok(());
    }

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => {
                    forced_panic(&key);
                    Msg::Key(key)
                }
                Some(Ok(Event::Resize(width, height))) => Msg::Resize { width, height },
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(Error::io("reading terminal events", e)),
                None => return Ok(()),
            },
            _ = tick.tick() => Msg::Tick(SystemTime::now()),
            Some(response) = handle.responses.recv() => Msg::Worker(response),
        };
        let effects = app.update(msg);
        if !apply(&handle.requests, effects) {
            break;
        }
        draw(&mut terminal, &app)?;
    }
    drop(handle.requests);
    handle.task.abort();
    Ok(())
}

/// Debug builds only: `S3LEASE_DEBUG_PANIC_KEY=F12` makes that key panic, so a test can prove
/// the panic hook gives the terminal back.
fn forced_panic(key: &crossterm::event::KeyEvent) {
    #[cfg(debug_assertions)]
    if let Ok(name) = std::env::var("S3LEASE_DEBUG_PANIC_KEY")
        && let Ok(spec) = name.parse::<crate::keymap::KeySpec>()
        && crate::keymap::KeySpec::from_event(key) == Some(spec)
    {
        panic!("forced by S3LEASE_DEBUG_PANIC_KEY for a test");
    }
    #[cfg(not(debug_assertions))]
    let _ = key;
}

/// Sends requests to the worker; false when the app asked to quit.
fn apply(requests: &tokio::sync::mpsc::UnboundedSender<worker::Request>, effects: Vec<Effect>) -> bool {
    for effect in effects {
        match effect {
            Effect::Send(request) => {
                // The worker lives as long as this loop; a send can only fail while quitting.
                let _ = requests.send(request);
            }
            Effect::Quit => return false,
        }
    }
    true
}

fn draw(terminal: &mut Terminal<CrosstermBackend<Stdout>>, app: &App) -> Result<()> {
    terminal.draw(|frame| crate::ui::render(app, frame)).map_err(|e| Error::io("drawing the screen", e))?;
    Ok(())
}
