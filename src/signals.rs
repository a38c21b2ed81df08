//! Signals that end s3lease from outside: `kill` (SIGTERM), a closed terminal window (SIGHUP),
//! Ctrl-\ (SIGQUIT). Their default action kills the process where it stands, which would leave
//! the terminal raw and on the alternate screen under the UI or the MFA prompt. Instead the
//! terminal is given back, and s3lease exits with the status a shell gives a command killed by
//! that signal (128 + its number), so scripts see the same outcome as before.
//!
//! SIGINT is left alone: in raw mode Ctrl-C arrives as a key, and where it is a signal (plain
//! commands, `demo --serve`) its default, or the command's own handler, is right.

use tokio::signal::unix::{SignalKind, signal};

/// The signals watched, by name and number (the same on every Unix s3lease runs on).
const WATCHED: [(&str, u8); 3] = [("SIGHUP", 1), ("SIGQUIT", 3), ("SIGTERM", 15)];

/// Starts listening; call inside the runtime, before the terminal is taken. If a signal cannot
/// be watched (no signal driver), its default action stays, as it was.
pub fn watch() {
    for (name, number) in WATCHED {
        let Ok(mut stream) = signal(SignalKind::from_raw(i32::from(number))) else {
            tracing::warn!(signal = name, "cannot watch; its default action stays");
            continue;
        };
        tokio::spawn(async move {
            if stream.recv().await.is_some() {
                stop(name, number);
            }
        });
    }
}

fn stop(name: &str, number: u8) -> ! {
    crate::runtime::give_terminal_back();
    tracing::info!(signal = name, "stopped by a signal");
    eprintln!("s3lease: stopped by {name}");
    std::process::exit(128 + i32::from(number))
}
