//! The event loop: terminal events, a 1 s tick and worker responses go into `App::update`;
//! its effects go to the worker; each turn redraws from `&App`. The terminal is restored on
//! every way out: normal return, error, and panic.

use std::sync::atomic::{AtomicBool, Ordering};
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

/// Whether the terminal is ours (raw, alternate screen). Restoring twice is not harmless:
/// leaving the alternate screen again moves the cursor back over what was printed since,
/// such as a panic report.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// Raw mode and the alternate screen, undone on drop.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> Result<TerminalGuard> {
        terminal::enable_raw_mode().map_err(|e| Error::io("switching the terminal to raw mode", e))?;
        TAKEN.store(true, Ordering::SeqCst);
        let guard = TerminalGuard;
        execute!(std::io::stdout(), terminal::EnterAlternateScreen, crossterm::cursor::Hide)
            .map_err(|e| Error::io("entering the alternate screen", e))?;
        Ok(guard)
    }
}

/// Puts the terminal back as the shell expects it, once: later calls do nothing.
pub fn restore_terminal() {
    if TAKEN.swap(false, Ordering::SeqCst) {
        let _ = execute!(std::io::stdout(), terminal::LeaveAlternateScreen, crossterm::cursor::Show);
        let _ = terminal::disable_raw_mode();
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A panic must not leave the terminal raw (the UI's, or the CLI's MFA prompt): restore it
/// first, then report. The report is the default one, its message passed through
/// [`crate::panic_report::redact`]: our own messages never format a secret, but a panic
/// inside a library might.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        give_terminal_back();
        eprintln!("{}", crate::panic_report::report(info));
    }));
}

/// Before s3lease ends abnormally (a panic, a signal): the UI's screen and raw mode undone, or
/// the CLI's MFA prompt's raw mode, so that what is printed next starts on a line of its own.
pub fn give_terminal_back() {
    restore_terminal();
    // Still raw here only at the CLI's MFA prompt: the report starts below the prompt.
    if terminal::is_raw_mode_enabled().unwrap_or(false) {
        let _ = terminal::disable_raw_mode();
        eprintln!();
    }
}

pub async fn run(manager: SessionManager, config: AppConfig) -> Result<()> {
    install_panic_hook();
    let _guard = TerminalGuard::enter()?;
    let terminal =
        Terminal::new(CrosstermBackend::new(std::io::stdout())).map_err(|e| Error::io("opening the terminal", e))?;
    let events = EventStream::new().map(|event| event.map_err(|e| Error::io("reading terminal events", e)));
    run_loop(terminal, events, manager, config, Duration::from_secs(1), |_| {}).await.map(|_| ())
}

/// The loop itself, for any backend and any source of terminal events: the binary passes the
/// real terminal, tests pass `TestBackend` and a channel. `observe` sees the app after every
/// update. Returns the app as it was when it quit (or the events ended).
pub async fn run_loop<B, E>(
    mut terminal: Terminal<B>,
    mut events: E,
    manager: SessionManager,
    config: AppConfig,
    tick_every: Duration,
    mut observe: impl FnMut(&App),
) -> Result<App>
where
    B: ratatui::backend::Backend,
    E: futures::Stream<Item = Result<Event>> + Unpin,
{
    let mut handle = worker::spawn(manager);
    let (mut app, effects) = App::new(config, SystemTime::now());
    let size =
        terminal.size().map_err(|e| Error::io("reading the terminal size", std::io::Error::other(e.to_string())))?;
    app.update(Msg::Resize { width: size.width, height: size.height });
    // The first frame goes out before any request is even sent.
    draw(&mut terminal, &app)?;
    observe(&app);
    let mut running = apply(&handle.requests, effects);
    let mut tick = tokio::time::interval(tick_every);
    while running {
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => {
                    forced_panic(&key, &app);
                    Msg::Key(key)
                }
                Some(Ok(Event::Resize(width, height))) => Msg::Resize { width, height },
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e),
                None => break,
            },
            _ = tick.tick() => Msg::Tick(SystemTime::now()),
            Some(response) = handle.responses.recv() => Msg::Worker(response),
        };
        let effects = app.update(msg);
        running = apply(&handle.requests, effects);
        draw(&mut terminal, &app)?;
        observe(&app);
    }
    drop(handle.requests);
    handle.task.abort();
    Ok(app)
}

/// Debug builds only: `S3LEASE_DEBUG_PANIC_KEY=F12` makes that key panic, so a test can prove
/// the panic hook gives the terminal back. The message carries the session and the mode (an
/// MFA prompt with digits typed, say), as a real panic's context might, so the test can also
/// prove a report holds no secret.
fn forced_panic(key: &crossterm::event::KeyEvent, app: &App) {
    #[cfg(debug_assertions)]
    if let Ok(name) = std::env::var("S3LEASE_DEBUG_PANIC_KEY")
        && let Ok(spec) = name.parse::<crate::keymap::KeySpec>()
        && crate::keymap::KeySpec::from_event(key) == Some(spec)
    {
        panic!("forced by S3LEASE_DEBUG_PANIC_KEY for a test\ncontext: {:?} {:?}", app.mode, app.session);
    }
    #[cfg(not(debug_assertions))]
    let _ = (key, app);
}

/// Sends requests to the worker; false when the app asked to quit.
fn apply(requests: &tokio::sync::mpsc::UnboundedSender<worker::Request>, effects: Vec<Effect>) -> bool {
    for effect in effects {
        match effect {
            Effect::Send(request) => {
                // The worker lives as long as this loop; a send can only fail while quitting.
                let _ = requests.send(request);
            }
            Effect::Clipboard(text) => copy_to_clipboard(&text),
            Effect::Quit => return false,
        }
    }
    true
}

/// OSC 52: the terminal puts the text on the clipboard, locally or over SSH. Terminals that
/// ignore it still show the text in the share menu.
fn copy_to_clipboard(text: &str) {
    use base64::Engine;
    use std::io::Write;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    let _ = out.flush();
}

fn draw<B: ratatui::backend::Backend>(terminal: &mut Terminal<B>, app: &App) -> Result<()> {
    terminal
        .draw(|frame| crate::ui::render(app, frame))
        .map_err(|e| Error::io("drawing the screen", std::io::Error::other(e.to_string())))?;
    Ok(())
}
