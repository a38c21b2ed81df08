"""A TUI in a pseudo-terminal, read through a terminal emulator (pyte), so a benchmark can wait
for what a person would see: the first frame, a row, a footer. Times are taken when the bytes
that completed the screen arrived, not when the emulator finished with them."""

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time

import pyte


class Tui:
    def __init__(self, cmd, env, width=200, height=60):
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        env = dict(env, TERM="xterm-256color", COLUMNS=str(width), LINES=str(height))
        self.start = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.master = master
        self.closed = False

    @property
    def pid(self):
        return self.proc.pid

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def send(self, keys: str):
        os.write(self.master, keys.encode())

    def _pump(self, timeout) -> float | None:
        """Reads what is ready within `timeout`; returns when it arrived, or None."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return None
        arrived = time.perf_counter()
        try:
            data = os.read(self.master, 1 << 20)
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return None
        self.stream.feed(data)
        return arrived

    def wait_for(self, ready, timeout=120.0, what="the screen") -> float:
        """Seconds from start until `ready(text)` first held."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.closed:
                raise RuntimeError(f"the TUI exited while waiting for {what}:\n{self.text()}")
            arrived = self._pump(0.05)
            if arrived is not None and ready(self.text()):
                return arrived - self.start
        raise RuntimeError(f"timed out waiting for {what}; the screen was:\n{self.text()}")

    def wait_since(self, since, ready, timeout=120.0, what="the screen") -> float:
        """Seconds from the moment `since` (perf_counter) until `ready(text)` held."""
        return self.wait_for(ready, timeout, what) + self.start - since

    def peak_rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc status")

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.close(self.master)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
