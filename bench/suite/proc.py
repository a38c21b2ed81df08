"""Runs one command and measures it the way the kernel sees it: wall time, CPU time (user +
sys, children included) and peak resident memory from wait4, plus when the first line of
output arrived and how many lines there were."""

import os
import statistics
import subprocess
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
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        fd = proc.stdout.fileno()
        first, lines, chunks = None, 0, []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            if first is None and b"\n" in chunk:
                first = time.perf_counter() - start
            lines += chunk.count(b"\n")
            if keep_output:
                chunks.append(chunk)
            if time.perf_counter() - start > timeout:
                proc.kill()
                raise RuntimeError(f"{cmd[0]} ran past {timeout:.0f} s")
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        first_line=first,
        lines=lines,
        code=proc.returncode,
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
