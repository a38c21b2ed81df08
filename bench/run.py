#!/usr/bin/env python3
"""The s3lease benchmark suite (issue 6): builds release binaries, starts the bench server,
runs every case several times against s3lease and its peers in one run, and prints a table of
medians, targets and ratios.

    python3 bench/run.py              # the full suite (about 15 minutes on 2 cores, after the build)
    python3 bench/run.py --quick      # small sizes, one run each, debug binaries: proves it works (CI)
    python3 bench/run.py --cases 1,5  # only some cases

Peers are installed on first use: awscli and pyte into bench/.venv (PyPI), rclone from Debian,
stu from crates.io into bench/.tools. Nothing here fails on a time: a case fails only when an
answer is wrong (a missing or extra key, a tool that exits non-zero)."""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
PYTHON_DEPS = ["awscli==1.46.3", "pyte==0.8.2"]


def in_bench_venv():
    """The suite runs inside bench/.venv, which holds awscli (a peer), botocore (to time one bare
    ListObjectsV2 round trip) and pyte (to read the TUIs' screens)."""
    python = VENV / "bin" / "python"
    marker = VENV / ".s3lease-deps"
    if not marker.exists() or marker.read_text() != "\n".join(PYTHON_DEPS):
        print("bench: installing awscli and pyte into bench/.venv", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run(pip + PYTHON_DEPS, check=True)
        marker.write_text("\n".join(PYTHON_DEPS))
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each, debug build (CI)")
    parser.add_argument("--runs", type=int, help="runs per measurement (default 5, quick 1)")
    parser.add_argument("--cases", default="1,2,3,4,5", help="comma-separated cases (4 is 4a and 4b)")
    parser.add_argument("--no-stu", action="store_true", help="skip stu (its install compiles for minutes)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--no-build", action="store_true", help="measure the binaries already built")
    args = parser.parse_args()
    in_bench_venv()

    sys.path.insert(0, str(HERE.parent))
    from bench.suite import cases, setup

    wanted = {c.strip() for c in args.cases.split(",") if c.strip()}
    sizes = cases.Sizes.quick() if args.quick else cases.Sizes.full()
    if args.runs:
        sizes.runs = args.runs
    bins = setup.build(release=not args.quick, skip=args.no_build)
    peers = setup.install_peers(with_stu=not args.no_stu)
    ctx = cases.Context(bins=bins, peers=peers, sizes=sizes, quick=args.quick)

    started = time.time()
    for name, case in cases.CASES.items():
        if name in wanted or name[0] in wanted:
            setup.say(f"case {name}")
            case(ctx)
    ctx.report.print(quick=args.quick)
    if args.json:
        args.json.write_text(json.dumps(ctx.report.rows, indent=2))
    setup.say(f"done in {time.time() - started:.0f} s; every correctness check passed")


if __name__ == "__main__":
    main()
