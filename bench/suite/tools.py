"""How each tool is pointed at a bench server, and how its output lines name keys."""

import json
import os
import tempfile
from pathlib import Path

from .setup import ACCESS_KEY, SECRET_KEY

REGION = "us-east-1"


class Home:
    """A private HOME with each tool's config, so nothing of the user's is read or written."""

    def __init__(self, s3_url, sts_url=None, settings=None):
        self.dir = tempfile.TemporaryDirectory(prefix="s3lease-bench-")
        home = Path(self.dir.name)
        self.path = home
        config = home / "s3lease.toml"
        sts = f'sts_endpoint_url = "{sts_url}"\n' if sts_url else ""
        sts += "".join(f"{key} = {value}\n" for key, value in (settings or {}).items())
        config.write_text(
            f'[settings]\nregion = "{REGION}"\nendpoint_url = "{s3_url}"\n{sts}'
            'auto_refresh = false\n\n[[identity]]\nname = "bench"\nkind = "profile"\n'
        )
        aws_config = home / "aws-config"
        aws_config.write_text(f"[default]\nregion = {REGION}\ns3 =\n    addressing_style = path\n")
        (home / "rclone.conf").write_text("")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_", "S3LEASE_"))}
        self.env = dict(
            base,
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_STATE_HOME=str(home / ".local/state"),
            XDG_CACHE_HOME=str(home / ".cache"),
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
            AWS_CONFIG_FILE=str(aws_config),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "no-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            S3LEASE_CONFIG=str(config),
            RCLONE_CONFIG=str(home / "rclone.conf"),
            RCLONE_CONFIG_BENCH_TYPE="s3",
            RCLONE_CONFIG_BENCH_PROVIDER="Other",
            RCLONE_CONFIG_BENCH_ENDPOINT=s3_url,
            RCLONE_CONFIG_BENCH_REGION=REGION,
            RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=ACCESS_KEY,
            RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=SECRET_KEY,
            RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE="true",
            RCLONE_CONFIG_BENCH_LIST_VERSION="2",
        )
        self.s3_url = s3_url

    def close(self):
        self.dir.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def s3lease_ls(binary, bucket, prefix="", concurrency=None):
    cmd = [str(binary), "ls", "--recursive", "--json"]
    if concurrency is not None:
        cmd += ["--concurrency", str(concurrency)]
    return cmd + [f"s3://{bucket}/{prefix}"]


def aws_ls(aws, home, bucket, prefix=""):
    return [aws, "s3", "ls", "--recursive", f"s3://{bucket}/{prefix}", "--endpoint-url", home.s3_url]


def rclone_ls(rclone, bucket, prefix=""):
    # --files-only: lsf -R also prints every directory, which the others do not.
    return [rclone, "lsf", "-R", "--files-only", f"bench:{bucket}/{prefix}"]


def keys_of(tool, out: bytes, prefix=""):
    """The keys a tool printed, in its order."""
    lines = out.decode("utf-8").splitlines()
    if tool == "s3lease":
        return [json.loads(line)["key"] for line in lines]
    if tool == "aws":
        return [line.split(maxsplit=3)[3] for line in lines]
    if tool == "rclone":
        return [prefix + line for line in lines]
    raise ValueError(tool)
