"""The five cases of issue 6. Each measures s3lease and its peers side by side on the same bench
server, checks that every tool printed exactly the seeded keys, and adds rows to the report."""

import os
import re
import subprocess
import time
from pathlib import Path
from dataclasses import dataclass, field

from . import proc, setup, tools
from .report import Report
from .tui import Tui

LATENCY_MS = 20


@dataclass
class Sizes:
    keys: int  # cases 1, 2 and 5
    big: int  # case 3 and the TUI at scale (case 4)
    runs: int
    prefixes: int = 16

    @staticmethod
    def full():
        return Sizes(keys=100_000, big=1_000_000, runs=5)

    @staticmethod
    def quick():
        return Sizes(keys=3_000, big=20_000, runs=1)


@dataclass
class Context:
    bins: dict
    peers: dict
    sizes: Sizes
    quick: bool
    report: Report = field(default_factory=Report)


def repeat(ctx, cmd, env, expect_lines, keep_output=False):
    return [proc.checked(cmd, env, expect_lines, keep_output) for _ in range(ctx.sizes.runs)]


def same_keys(name, expected, got):
    if got != expected:
        missing = sorted(set(expected) - set(got))[:5]
        extra = sorted(set(got) - set(expected))[:5]
        raise SystemExit(
            f"bench: {name} listed {len(got)} keys, expected {len(expected)}; missing {missing}, extra {extra}"
        )


def seeded(ctx, keys, layout="flat"):
    """The keys the bench server seeds, in S3's (byte) order, without asking the server."""
    out = subprocess.run(
        [str(ctx.bins["server"]), "--print-keys", "--seed-keys", str(keys), "--layout", layout,
         "--prefixes", str(ctx.sizes.prefixes)],
        check=True, capture_output=True,
    ).stdout.decode("utf-8")
    return sorted(out.splitlines(), key=lambda k: k.encode())


def peer_runs(ctx, home, bucket, n, keys):
    """awscli's and rclone's listings of the whole bucket, each checked against `keys`."""
    runs = {}
    for tool, cmd in (
        ("rclone", tools.rclone_ls(ctx.peers["rclone"], bucket)),
        ("aws", tools.aws_ls(ctx.peers["aws"], home, bucket)),
    ):
        measured = repeat(ctx, cmd, home.env, n, keep_output=True)
        for run in measured:
            same_keys(tool, keys, sorted(tools.keys_of(tool, run.out), key=lambda k: k.encode()))
        runs[tool] = measured
    return runs


def case1(ctx):
    """Recursive listing of 100k keys: wall and CPU time against rclone and awscli."""
    n = ctx.sizes.keys
    keys = seeded(ctx, n)
    with setup.BenchServer(ctx.bins["server"], ["flat"], n) as server, tools.Home(server.url) as home:
        ours = repeat(ctx, tools.s3lease_ls(ctx.bins["s3lease"], "flat"), home.env, n, keep_output=True)
        for run in ours:
            same_keys("s3lease", keys, tools.keys_of("s3lease", run.out))
        peers = peer_runs(ctx, home, "flat", n, keys)
    r = ctx.report
    wall = proc.median(x.wall for x in ours)
    cpu = proc.median(x.cpu for x in ours)
    for tool, runs in [("s3lease", ours), *peers.items()]:
        r.add(1, f"ls --recursive, {n:,} keys: wall", tool, proc.median(x.wall for x in runs), "s")
        r.add(1, f"ls --recursive, {n:,} keys: CPU (user+sys)", tool, proc.median(x.cpu for x in runs), "s")
    rclone_wall = proc.median(x.wall for x in peers["rclone"])
    rclone_cpu = proc.median(x.cpu for x in peers["rclone"])
    aws_cpu = proc.median(x.cpu for x in peers["aws"])
    r.target(1, "wall vs rclone", wall / rclone_wall, "<=", 1.0)
    r.target(1, "CPU vs rclone", cpu / rclone_cpu, "<=", 0.5)
    r.target(1, "CPU vs awscli", cpu / aws_cpu, "<=", 0.1)


def round_trip(ctx, server, bucket, prefix):
    """One bare ListObjectsV2 of 1,000 keys on a warm connection (bench/suite/round_trip.py):
    the floor any client's first page stands on."""
    import sys

    script = Path(__file__).with_name("round_trip.py")
    samples = str(max(ctx.sizes.runs, 5) * 2)
    out = subprocess.run([sys.executable, str(script), server.url, bucket, prefix, samples], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench: timing one round trip failed:\n{out.stderr[-2000:]}")
    return float(out.stdout)


def case2(ctx):
    """Time to the first output line for a 100k-key prefix, against one round trip."""
    n = ctx.sizes.keys
    with setup.BenchServer(ctx.bins["server"], ["lat"], n, latency_ms=LATENCY_MS) as server, \
            tools.Home(server.url) as home:
        rtt = round_trip(ctx, server, "lat", "data/")
        ours = repeat(ctx, tools.s3lease_ls(ctx.bins["s3lease"], "lat", "data/"), home.env, n)
        rclone = repeat(ctx, tools.rclone_ls(ctx.peers["rclone"], "lat", "data/"), home.env, n)
        aws = repeat(ctx, tools.aws_ls(ctx.peers["aws"], home, "lat", "data/"), home.env, n)
    r = ctx.report
    r.add(2, f"one ListObjectsV2 round trip (1,000 keys, {LATENCY_MS} ms latency)", "botocore+http.client", rtt, "s")
    first = proc.median(x.first_line for x in ours)
    for tool, runs in (("s3lease", ours), ("rclone", rclone), ("aws", aws)):
        r.add(2, f"first output line, {n:,}-key prefix", tool, proc.median(x.first_line for x in runs), "s")
    r.target(2, "first line vs one round trip", first / rtt, "<=", 2.0)


def case3(ctx):
    """Peak memory of ls --recursive: constant in the number of keys."""
    r = ctx.report
    sizes = [ctx.sizes.keys, ctx.sizes.big]
    peaks = {}
    for n in sizes:
        with setup.BenchServer(ctx.bins["server"], ["mem"], n) as server, tools.Home(server.url) as home:
            runs = repeat(ctx, tools.s3lease_ls(ctx.bins["s3lease"], "mem"), home.env, n)
            peaks[n] = proc.median(x.rss_mb for x in runs)
            r.add(3, f"ls --recursive peak RSS, {n:,} keys", "s3lease", peaks[n], "MB")
            r.add(3, f"ls --recursive wall, {n:,} keys", "s3lease", proc.median(x.wall for x in runs), "s")
            if n == ctx.sizes.big:
                # Once: at a million keys a peer takes minutes, and its memory is not in question.
                rclone = proc.checked(tools.rclone_ls(ctx.peers["rclone"], "mem"), home.env, n)
                r.add(3, f"ls --recursive peak RSS, {n:,} keys", "rclone", rclone.rss_mb, "MB")
    r.target(3, f"peak RSS at {ctx.sizes.big:,} keys", peaks[ctx.sizes.big], "<", 50, "MB")
    r.add(3, f"peak RSS at {sizes[1]:,} / at {sizes[0]:,} keys", "s3lease", peaks[sizes[1]] / peaks[sizes[0]], "x")


def cargo(ctx, args, env=None):
    out = subprocess.run(["cargo", *args], cwd=setup.ROOT, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"bench: cargo {' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return out.stdout


CRITERION = re.compile(r"(\S+)\s+time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]")
UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def case4_criterion(ctx):
    """Frame, filter and sort over a million entries (benches/tui.rs), and bytes per entry
    (benches/memory.rs). Quick mode runs each once in the debug build, over fewer entries."""
    r = ctx.report
    env = dict(os.environ, S3LEASE_BENCH_ENTRIES=str(ctx.sizes.big))
    if ctx.quick:
        cargo(ctx, ["test", "--locked", "--bench", "tui"], env)
        mem = cargo(ctx, ["test", "--locked", "--bench", "memory"], env)
    else:
        out = cargo(ctx, ["bench", "--locked", "--bench", "tui"], env)
        found = {name: float(value) * UNITS[unit] for name, value, unit in CRITERION.findall(out)}
        if not found:
            raise SystemExit(f"bench: no criterion results in:\n{out[-2000:]}")
        for name, seconds in sorted(found.items()):
            r.add(4, f"TUI {name} (200x60, {ctx.sizes.big:,} entries)", "s3lease", seconds, "s")
        for name in ("render_1m/top", "render_1m/end"):
            r.target(4, f"one frame, {name}", found[name] * 1000, "<", 2, "ms")
        filters = [v for k, v in found.items() if k.startswith("filter_1m/")]
        sorts = [v for k, v in found.items() if k.startswith("sort_1m/")]
        r.target(4, "slowest filter keystroke", max(filters) * 1000, "<", 50, "ms")
        r.target(4, "slowest sort", max(sorts) * 1000, "<", 300, "ms")
        mem = cargo(ctx, ["bench", "--locked", "--bench", "memory"], env)
    fields = dict(re.findall(r"(\w+)=([\d.]+)", mem))
    if int(fields.get("entries", 0)) != ctx.sizes.big:
        raise SystemExit(f"bench: the memory bench did not load {ctx.sizes.big} entries:\n{mem}")
    r.add(4, "listing heap per entry", "s3lease", float(fields["bytes_per_entry"]), "B")
    r.add(4, f"listing heap, {ctx.sizes.big:,} entries", "s3lease", float(fields["heap_mb"]), "MB")


def first_frame(ctx):
    """From exec to the first frame on the terminal while STS never answers."""
    times = []
    with setup.StsStub(hang=True) as sts, setup.BenchServer(ctx.bins["server"], ["any"], 10) as server, \
            tools.Home(server.url, sts.url) as home:
        for _ in range(ctx.sizes.runs * 2):
            with Tui([str(ctx.bins["s3lease"]), "s3://any/"], home.env) as tui:
                times.append(tui.wait_for(lambda t: "bench" in t and "s3://any" in t, what="the first frame"))
    return proc.median(times)


def open_and_wait(tui, row, what):
    """Waits for `row` on screen, opens it, and times until the first seeded key shows."""
    tui.wait_for(lambda t: row in t, what=f"{row} in {what}")
    pressed = time.perf_counter()
    tui.send("\r")
    return tui.wait_since(pressed, lambda t: "key-0000001.json" in t, what=f"the first key in {what}")


def case4_tui(ctx):
    r = ctx.report
    frame = first_frame(ctx)
    r.add(4, "start to first frame, STS call in flight", "s3lease", frame, "s")
    r.target(4, "start to first frame", frame * 1000, "<", 50, "ms")

    # A whole million-entry prefix loaded into the real binary, as a person would leave it.
    n = ctx.sizes.big
    loaded = re.compile(rf"\b1 of {n:,}\b(?! loading)(?!\+)")
    with setup.StsStub() as sts, setup.BenchServer(ctx.bins["server"], ["big"], n) as server, \
            tools.Home(server.url, sts.url) as home:
        with Tui([str(ctx.bins["s3lease"]), "s3://big/data/"], home.env) as tui:
            took = tui.wait_for(lambda t: loaded.search(t) is not None, timeout=600, what=f"{n:,} entries")
            rss = tui.peak_rss_mb()
    r.add(4, f"TUI with {n:,} entries: time to load them all", "s3lease", took, "s")
    r.add(4, f"TUI with {n:,} entries: peak RSS", "s3lease", rss, "MB")
    r.target(4, f"TUI peak RSS at {n:,} entries", rss, "<", 300, "MB")

    # First rows of a 100k-key prefix, opened from its parent, with a region's round trip.
    n = ctx.sizes.keys
    with setup.StsStub() as sts, setup.BenchServer(ctx.bins["server"], ["lat"], n, latency_ms=LATENCY_MS) as server, \
            tools.Home(server.url, sts.url) as home:
        ours = []
        for _ in range(ctx.sizes.runs):
            with Tui([str(ctx.bins["s3lease"]), "s3://lat/"], home.env) as tui:
                ours.append(open_and_wait(tui, "data/", "s3lease"))
        r.add(4, f"TUI: open a {n:,}-key prefix to its first rows ({LATENCY_MS} ms latency)", "s3lease",
              proc.median(ours), "s")
        if "stu" in ctx.peers:
            theirs = []
            stu_env = dict(home.env, STU_ROOT_DIR=str(home.path / "stu"))
            for _ in range(ctx.sizes.runs):
                cmd = [ctx.peers["stu"], "--endpoint-url", server.url, "--path-style", "always", "--bucket", "lat"]
                with Tui(cmd, stu_env) as tui:
                    theirs.append(open_and_wait(tui, "data/", "stu"))
            r.add(4, f"TUI: open a {n:,}-key prefix to its first rows ({LATENCY_MS} ms latency)", "stu",
                  proc.median(theirs), "s")
            r.target(4, "first rows vs stu", proc.median(ours) / proc.median(theirs), "<", 1.0)


def case5_ls(ctx, server, home, n, keys):
    r = ctx.report
    seq = repeat(ctx, tools.s3lease_ls(ctx.bins["s3lease"], "spread", concurrency=1), home.env, n, keep_output=True)
    par = repeat(ctx, tools.s3lease_ls(ctx.bins["s3lease"], "spread"), home.env, n, keep_output=True)
    for run in seq + par:
        if run.out != seq[0].out:
            raise SystemExit("bench: the parallel listing printed something other than the sequential one")
    same_keys("s3lease", keys, tools.keys_of("s3lease", seq[0].out))
    peers = peer_runs(ctx, home, "spread", n, keys)
    label = f"ls --recursive, {n:,} keys over {ctx.sizes.prefixes} prefixes, {LATENCY_MS} ms latency: wall"
    r.add(5, label, "s3lease --concurrency 1", proc.median(x.wall for x in seq), "s")
    r.add(5, label, "s3lease (8 at a time)", proc.median(x.wall for x in par), "s")
    for tool, runs in peers.items():
        r.add(5, label, tool, proc.median(x.wall for x in runs), "s")
    speedup = proc.median(x.wall for x in seq) / proc.median(x.wall for x in par)
    r.target(5, "ls --recursive: sequential / parallel", speedup, ">=", 4.0)


FOUND = re.compile(r"([\d,]+) match(?:es)? in ([\d,]+) keys? scanned")


def find_in_tui(ctx, server, concurrency, needle):
    """F in the TUI at the bucket's top: seconds from Enter until the find says done, and its counts."""
    with setup.StsStub() as sts, \
            tools.Home(server.url, sts.url, settings={"list_concurrency": concurrency}) as home:
        with Tui([str(ctx.bins["s3lease"]), "s3://spread/"], home.env) as tui:
            tui.wait_for(lambda t: "p000/" in t, what="the bucket's folders")
            tui.send("F")
            tui.wait_for(lambda t: "find under" in t, what="the find prompt")
            tui.send(needle)
            tui.wait_for(lambda t: needle in t, what="the typed needle")
            pressed = time.perf_counter()
            tui.send("\r")
            took = tui.wait_since(pressed, lambda t: FOUND.search(t) and " · done" in t, timeout=600, what="done")
            matched, scanned = (int(x.replace(",", "")) for x in FOUND.search(tui.text()).groups())
    return took, matched, scanned


def case5(ctx):
    """Fan-out over sub-prefixes with bounded concurrency: ls --recursive and the TUI's find."""
    n = ctx.sizes.keys
    keys = seeded(ctx, n, "spread")
    with setup.BenchServer(ctx.bins["server"], ["spread"], n, layout="spread", prefixes=ctx.sizes.prefixes,
                           latency_ms=LATENCY_MS) as server, tools.Home(server.url) as home:
        case5_ls(ctx, server, home, n, keys)
        needle = "7.json"
        expected = sum(1 for k in keys if needle in k)
        results = {}
        for concurrency in (1, 8):
            runs = [find_in_tui(ctx, server, concurrency, needle) for _ in range(ctx.sizes.runs)]
            for took, matched, scanned in runs:
                if (matched, scanned) != (expected, n):
                    raise SystemExit(
                        f"bench: find with concurrency {concurrency} matched {matched} of {scanned} keys, "
                        f"expected {expected} of {n}"
                    )
            results[concurrency] = proc.median(took for took, _, _ in runs)
    r = ctx.report
    label = f"TUI find \"{needle}\" over {n:,} keys ({expected:,} matches): Enter to done"
    r.add(5, label, "s3lease, list_concurrency = 1", results[1], "s")
    r.add(5, label, "s3lease, list_concurrency = 8", results[8], "s")
    r.target(5, "TUI find: sequential / parallel", results[1] / results[8], ">=", 4.0)


# Case 4 has two halves: the criterion benches (4a) and the real binary in a terminal (4b).
CASES = {"1": case1, "2": case2, "3": case3, "4a": case4_criterion, "4b": case4_tui, "5": case5}
