"""Runs one command and measures it the way the kernel sees it: wall time, CPU time (user +
sys, children included) and peak resident memory from wait4, plus when the first line of
output arrived and how many lines there were."""

import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    first_line: float | None
    lines: int
    code: int
    stderr: str
    out: bytes = field(repr=False, default=b"")


def measure(cmd, env, keep_output=False, timeout=1800.0) -> Run:
    # posix_spawn, not fork: a forked child starts out counting the parent's resident pages
    # (this Python, holding a million seeded keys), and the kernel's peak RSS keeps them
    # across exec, so every tool would seem to peak at Python's size.
    path = shutil.which(cmd[0], path=env.get("PATH")) or cmd[0]
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as err:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, write_end, 1),
            (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
            (os.POSIX_SPAWN_CLOSE, read_end),
        ]
        start = time.perf_counter()
        pid = os.posix_spawn(path, list(cmd), env, file_actions=actions)
        os.close(write_end)
        first, lines, chunks = None, 0, []
        try:
            while True:
                chunk = os.read(read_end, 1 << 16)
                if not chunk:
                    break
                if first is None and b"\n" in chunk:
                    first = time.perf_counter() - start
                lines += chunk.count(b"\n")
                if keep_output:
                    chunks.append(chunk)
                if time.perf_counter() - start > timeout:
                    os.kill(pid, 9)
                    raise RuntimeError(f"{cmd[0]} ran past {timeout:.0f} s")
        finally:
            os.close(read_end)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        first_line=first,
        lines=lines,
        code=os.waitstatus_to_exitcode(status),
        stderr=stderr,
        out=b"".join(chunks),
    )


def checked(cmd, env, expect_lines, keep_output=False) -> Run:
    """A run whose exit code and line count are right: a benchmark of a wrong answer is worthless."""
    run = measure(cmd, env, keep_output)
    if run.code != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} exited {run.code}:\n{run.stderr[-2000:]}")
    if expect_lines is not None and run.lines != expect_lines:
        raise SystemExit(f"bench: {' '.join(cmd)} printed {run.lines} lines, expected {expect_lines}:\n{run.stderr[-2000:]}")
    return run


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None
