"""What the suite needs before it can measure: release binaries, the peers, bench servers and
a stand-in STS endpoint."""

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
ACCESS_KEY, SECRET_KEY = "bench", "bench-secret"
# The version the suite was written against; stu's keys and screens change between releases.
STU_VERSION = "0.7.6"


def say(text):
    print(f"bench: {text}", file=sys.stderr, flush=True)


def target_dir() -> Path:
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT, check=True, capture_output=True
    )
    return Path(json.loads(meta.stdout)["target_directory"])


def build(release=True, skip=False) -> dict:
    """Release binaries to measure; the quick mode takes the debug ones the tests built."""
    profile = ["--release"] if release else []
    if not skip:
        say(f"building {'release' if release else 'debug'} binaries")
        subprocess.run(
            ["cargo", "build", *profile, "--locked", "-p", "s3lease", "-p", "s3lease-bench-server"],
            cwd=ROOT, check=True,
        )
    out = target_dir() / ("release" if release else "debug")
    return {"s3lease": out / "s3lease", "server": out / "s3lease-bench-server"}


def install_peers(with_stu: bool) -> dict:
    """rclone from Debian and stu from crates.io into bench/.tools, each only when missing;
    awscli is already in bench/.venv, which run.py makes before anything else."""
    aws = BENCH / ".venv" / "bin" / "aws"
    rclone = shutil.which("rclone")
    if rclone is None:
        say("installing rclone (Debian)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "rclone"], check=True, env=env, stdout=subprocess.DEVNULL)
        rclone = shutil.which("rclone")
    peers = {"aws": str(aws), "rclone": rclone}
    if with_stu:
        tools = BENCH / ".tools"
        stu = tools / "bin" / "stu"
        if not stu.exists():
            say(f"installing stu {STU_VERSION} (crates.io; a few minutes)")
            subprocess.run(
                ["cargo", "install", "--quiet", "--locked", "stu", "--version", STU_VERSION, "--root", str(tools)],
                check=True,
            )
        peers["stu"] = str(stu)
    return peers


class BenchServer:
    """One s3lease-bench-server process: every bucket it holds has the same seeded keys."""

    def __init__(self, binary, buckets, keys, layout="flat", prefixes=16, latency_ms=0):
        self.buckets, self.keys, self.latency_ms = buckets, keys, latency_ms
        args = [str(binary), "--port", "0", "--exit-on-stdin-eof", "--seed-keys", str(keys), "--layout", layout]
        args += ["--prefixes", str(prefixes), "--latency-ms", str(latency_ms)]
        args += ["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY]
        for bucket in buckets:
            args += ["--bucket", bucket]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.close()
            raise SystemExit(f"bench: the bench server did not start: {line!r}")
        self.url = line.split()[-1]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


CALLER = """<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/bench</Arn><UserId>AIDABENCH</UserId>
<Account>123456789012</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></GetCallerIdentityResponse>"""


class StsStub:
    """The bench server speaks only S3. The TUI asks STS who it is at start; this answers
    GetCallerIdentity, or (`hang=True`) keeps every call in flight, to time the first frame
    while the session is still being resolved."""

    def __init__(self, hang=False):
        release = threading.Event()
        self.release = release

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                if hang:
                    release.wait()
                    return
                body = CALLER.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
