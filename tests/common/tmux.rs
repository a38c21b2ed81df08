//! Drives the real binary in a real terminal: a private tmux server per test, keys sent with
//! `send-keys`, the screen read with `capture-pane` and polled against a deadline.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    dir: tempfile::TempDir,
}

/// Long enough for a debug build on a loaded 2-core machine; a pass is usually far quicker.
pub const DEADLINE: Duration = Duration::from_secs(60);

const EXIT_MARK: &str = "[s3lease exited ";

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Tmux {
    /// Runs `cmd` (program, arguments and environment changes) in a `width`x`height` terminal.
    /// The pane stays after the program exits, so its last screen and exit status can be read.
    pub fn start(cmd: &Command, width: u16, height: u16) -> Tmux {
        Self::launch(cmd, width, height, None)
    }

    /// As [`Tmux::start`], and once the program has exited (and its status is printed) the
    /// pane's shell runs `after` in the same terminal, e.g. `stty -a` to show the tty modes the
    /// program left behind.
    pub fn start_then(cmd: &Command, width: u16, height: u16, after: &str) -> Tmux {
        Self::launch(cmd, width, height, Some(after))
    }

    fn launch(cmd: &Command, width: u16, height: u16, after: Option<&str>) -> Tmux {
        let dir = tempfile::tempdir().expect("tmux dir");
        std::fs::write(dir.path().join("tmux.conf"), "set -g remain-on-exit on\nset -g status off\n").unwrap();
        // The pane's shell reports the exit status itself: tmux's own `pane_dead_status` is not
        // reliable here (the exited child is sometimes left unreaped).
        let mut line = String::from("env");
        // `env` reads options before assignments: every `-u` must come first, or a later one
        // is taken for the program to run.
        for (key, value) in cmd.get_envs() {
            if value.is_none() {
                line.push_str(&format!(" -u {}", quote(&key.to_string_lossy())));
            }
        }
        for (key, value) in cmd.get_envs() {
            if let Some(v) = value {
                line.push_str(&format!(" {}", quote(&format!("{}={}", key.to_string_lossy(), v.to_string_lossy()))));
            }
        }
        line.push_str(&format!(" {}", quote(&cmd.get_program().to_string_lossy())));
        for arg in cmd.get_args() {
            line.push_str(&format!(" {}", quote(&arg.to_string_lossy())));
        }
        line.push_str(&format!("; printf '\\n{EXIT_MARK}%d]\\n' $?"));
        if let Some(after) = after {
            line.push_str(&format!("; {after}"));
        }
        let tmux = Tmux { dir };
        let status = tmux
            .command()
            .args(["new-session", "-d", "-s", "t", "-x", &width.to_string(), "-y", &height.to_string(), &line])
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux runs (install it: apt-get install tmux)");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(self.socket()).arg("-f").arg(self.dir.path().join("tmux.conf"));
        c
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    /// Keys in tmux's names: "j", "Enter", "Escape", "C-c", "BSpace", "Up"...
    pub fn send_keys(&self, keys: &[&str]) {
        let status = self.command().args(["send-keys", "-t", "t"]).args(keys).status().expect("tmux send-keys");
        assert!(status.success(), "send-keys {keys:?}");
    }

    /// Types text literally (no key-name interpretation).
    pub fn type_text(&self, text: &str) {
        let status = self.command().args(["send-keys", "-t", "t", "-l", text]).status().expect("tmux send-keys");
        assert!(status.success(), "type {text:?}");
    }

    pub fn capture(&self) -> String {
        let out = self.command().args(["capture-pane", "-p", "-t", "t"]).output().expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen and the scrollback: a pane that has exited keeps its last lines there.
    pub fn capture_all(&self) -> String {
        let out =
            self.command().args(["capture-pane", "-p", "-S", "-", "-t", "t"]).output().expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen with its attributes as SGR escape sequences (`capture-pane -e`): reverse video,
    /// colours and bold, which [`Tmux::capture`] drops.
    pub fn capture_styled(&self) -> String {
        let out = self.command().args(["capture-pane", "-p", "-e", "-t", "t"]).output().expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format about the pane, e.g. `#{alternate_on}`, `#{cursor_flag}`, `#{pane_in_mode}`.
    pub fn display(&self, format: &str) -> String {
        self.query(format)
    }

    /// Resizes the terminal (the program gets SIGWINCH).
    pub fn resize(&self, width: u16, height: u16) {
        let status = self
            .command()
            .args(["resize-window", "-t", "t", "-x", &width.to_string(), "-y", &height.to_string()])
            .status()
            .expect("tmux resize-window");
        assert!(status.success(), "resize-window {width}x{height}");
    }

    /// As [`Tmux::wait_until`], against [`Tmux::capture_styled`].
    pub fn wait_until_styled(&self, what: &str, predicate: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let styled = self.capture_styled();
            if predicate(&styled) {
                return styled;
            }
            if start.elapsed() > DEADLINE {
                panic!("timed out waiting for {what}; screen:\n{}", self.capture());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// As [`Tmux::wait_until`], against the screen and the scrollback.
    pub fn wait_until_all(&self, what: &str, predicate: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let all = self.capture_all();
            if predicate(&all) {
                return all;
            }
            if start.elapsed() > DEADLINE {
                panic!("timed out waiting for {what}; screen and scrollback:\n{all}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn query(&self, format: &str) -> String {
        let out = self.command().args(["display-message", "-p", "-t", "t", format]).output().expect("tmux display");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Polls the screen until `predicate` holds; panics with the last screen at the deadline.
    pub fn wait_until(&self, what: &str, predicate: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if predicate(&screen) {
                return screen;
            }
            if start.elapsed() > DEADLINE {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(&format!("{needle:?}"), |s| s.contains(needle))
    }

    /// Waits for `stty -a` (run by [`Tmux::start_then`]) after the exit and checks the terminal
    /// is cooked again: line editing, echo, signals and output processing all on, as a fresh
    /// pane has them.
    pub fn assert_cooked_after_exit(&self) {
        let all = self.wait_until_all("stty -a after the exit", |a| {
            tty_flags_after_exit(a).iter().any(|t| t.trim_start_matches('-') == "iexten")
        });
        let flags = tty_flags_after_exit(&all);
        for flag in ["icanon", "echo", "isig", "iexten", "icrnl", "ixon", "opost", "onlcr"] {
            assert!(flags.contains(flag), "`{flag}` is on again after the exit; stty -a said:\n{all}");
            assert!(!flags.contains(&format!("-{flag}")), "`-{flag}` after the exit (still raw); stty -a said:\n{all}");
        }
    }

    /// Sends `signal` (`TERM`, `HUP`...) to the program, as `kill` from another terminal would.
    /// The pane's process is the shell that runs it and prints its status; the program is that
    /// shell's child.
    pub fn signal_program(&self, signal: &str) {
        let shell: u32 = self.query("#{pane_pid}").parse().expect("tmux knows the pane's pid");
        let children: Vec<u32> = std::fs::read_dir("/proc")
            .expect("/proc")
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| parent_of(*pid) == Some(shell))
            .collect();
        assert_eq!(children.len(), 1, "the shell runs one program: {children:?}");
        let status = Command::new("kill").args(["-s", signal, &children[0].to_string()]).status().expect("kill runs");
        assert!(status.success(), "kill -s {signal} {}", children[0]);
    }

    /// Waits for the program to exit and returns its exit status.
    pub fn wait_exit(&self) -> i32 {
        let start = Instant::now();
        loop {
            let all = self.capture_all();
            if let Some(code) = all.rsplit_once(EXIT_MARK).and_then(|(_, rest)| rest.split(']').next()?.parse().ok()) {
                return code;
            }
            if start.elapsed() > DEADLINE {
                panic!("timed out waiting for exit; screen:\n{all}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The tty flags `stty -a` printed after the program exited.
fn tty_flags_after_exit(all: &str) -> std::collections::HashSet<String> {
    let after = all.rsplit_once(EXIT_MARK).map_or("", |(_, rest)| rest);
    after.split(|c: char| c.is_whitespace() || c == ';').filter(|t| !t.is_empty()).map(str::to_string).collect()
}

/// The inside of the overlay whose top border carries `title` (` MFA code `), line by line:
/// the columns between its borders, from its title down to its bottom border.
pub fn popup(screen: &str, title: &str) -> Option<Vec<String>> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let needle: Vec<char> = format!("┌{title}").chars().collect();
    let (top, left) = lines
        .iter()
        .enumerate()
        .find_map(|(y, line)| line.windows(needle.len()).position(|w| w == needle.as_slice()).map(|x| (y, x)))?;
    let right = left + lines[top][left..].iter().position(|&c| c == '┐')?;
    let mut inside = Vec::new();
    for line in &lines[top + 1..] {
        if line.get(left) == Some(&'└') {
            return Some(inside);
        }
        let cut: String = line.get(left + 1..right).map(|cells| cells.iter().collect()).unwrap_or_default();
        inside.push(cut.trim_end().to_string());
    }
    None
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

/// A process's parent, from `/proc/PID/stat` (its fourth field, after the command in brackets).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}
