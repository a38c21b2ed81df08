"""Seeded moto server: the local S3 + STS + IAM test bed shared by the tests and the demo.

Seeding goes through moto's backends in-process (thousands of objects per second, where
HTTP seeding manages ~220/s), then the server is started on a free loopback port. One JSON
line on stdout announces the endpoint and every credential the seed created. The process
exits when its stdin closes, so a test runner that dies never leaves a server behind.
"""

import argparse
import json
import socket
import sys
import threading

from moto.iam.models import iam_backends
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer

ACCOUNT = "123456789012"
REGION = "us-east-1"
EXTERNAL_ID = "partner-ext-42"


def trust(condition=None):
    # moto matches a trust principal only by exact ARN or "*"; "*" also lets roles chain.
    statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_ALL = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
AUDITOR = policy(
    {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "Resource": "*"},
    {
        "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:GetObject"],
        "Resource": ["arn:aws:s3:::demo-data", "arn:aws:s3:::demo-data/*"],
    },
)
PARTNER = policy(
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo-data"},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo-data/shared/*"},
)
ASSUME_ONLY = policy({"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:GetCallerIdentity"], "Resource": "*"})

ODD_KEYS = [
    "odd/with space.txt",
    "odd/unicodé ключ 鍵.txt",
    "odd/a+b=c.txt",
    "odd/100%.txt",
    "odd/percent%20literal.txt",
    "odd/semi;colon&amp.txt",
    "odd/deep/er/still/leaf.txt",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_iam():
    iam = iam_backends[ACCOUNT]["global"]
    users = {}
    for name, doc in (("admin", ALLOW_ALL), ("alice", ALLOW_ALL), ("bob", ASSUME_ONLY)):
        user = iam.create_user(REGION, name)
        iam.put_user_policy(name, f"{name}-policy", doc)
        key = iam.create_access_key(name)
        users[name] = {
            "arn": user.arn,
            "access_key_id": key.access_key_id,
            "secret_access_key": key.secret_access_key,
        }
    device = iam.create_virtual_mfa_device("alice", "/")
    iam.enable_mfa_device("alice", device.serial_number, "123456", "654321")
    users["alice"]["mfa_serial"] = device.serial_number

    roles = {}
    for name, trust_doc, doc in (
        ("Admin", trust(), ALLOW_ALL),
        ("Auditor", trust(), AUDITOR),
        ("PartnerAccess", trust({"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}), PARTNER),
        # In auth mode moto checks sts:ExternalId only when the request carries one (a wrong
        # ID is refused, a missing one passes) and does not evaluate the MFA condition at all.
        ("MfaAdmin", trust({"Bool": {"aws:MultiFactorAuthPresent": "true"}}), ALLOW_ALL),
    ):
        role = iam.create_role(name, trust_doc, "/", None, f"s3lease test bed role {name}", [], "43200")
        iam.put_role_policy(name, f"{name}-policy", doc)
        roles[name] = role.arn
    return users, roles


def spread_key(i):
    """Key i of demo-spread: folders side by side (one of several pages), objects between
    them and at the top, and names that need URL-encoding. tests/fault_schedules.rs
    computes the same keys."""
    if i % 50 == 0:
        return f"top-{i:05d}.txt"
    if i % 50 == 25:
        return f"f{i % 20:02d}-{i:05d}.txt"
    if i % 3 == 0:
        return f"big/{i:05d}.json"
    name = f"{i:05d} caf\u00e9 + 100%.txt" if i % 101 == 1 else f"{i:05d}.txt"
    return f"f{i % 20:02d}/s{i % 3}/{name}"


def seed_s3(prefix_keys, big_keys, spread_keys):
    s3 = s3_backends[ACCOUNT]["aws"]
    counts = {}

    def put(bucket, key, body=None):
        s3.put_object(bucket, key, body if body is not None else f"{bucket}/{key}\n".encode())
        counts[bucket] = counts.get(bucket, 0) + 1

    for bucket in ("demo-data", "demo-restricted", "demo-empty"):
        s3.create_bucket(bucket, REGION)
        counts[bucket] = 0
    s3.create_bucket("demo-eu", "eu-west-1")
    counts["demo-eu"] = 0

    for year in (2024, 2025):
        for quarter in (1, 2, 3, 4):
            put("demo-data", f"reports/{year}/q{quarter}/summary.csv", b"region,total\neu,42\nus,17\n")
            put("demo-data", f"reports/{year}/q{quarter}/detail.json", b'{"rows": []}\n')
    put("demo-data", "README.txt", b"Seeded by s3lease's test bed.\n")
    put("demo-data", "shared/handbook.md", b"# Handbook\n")
    # For details and previews: tags and user metadata, a text longer than one 64 KiB
    # preview chunk, and binary content.
    key = s3.put_object("demo-data", "shared/preview/tagged.csv", b"id,name\n1,alpha\n")
    key.set_metadata({"x-amz-meta-owner": "data-team"})
    s3.put_object_tagging(key, {"classification": "internal", "team": "data"})
    counts["demo-data"] += 1
    put("demo-data", "shared/preview/long.txt", "".join(f"line {i:05d} of the long preview\n" for i in range(4000)).encode())
    put("demo-data", "shared/preview/blob.bin", bytes(range(256)) * 8)
    for i in range(prefix_keys):
        put("demo-data", f"logs/event-{i:05d}.json")
    put("demo-data", "logs/archive/2023.tar", b"\0" * 2048)
    for key in ODD_KEYS:
        put("demo-data", key)
    put("demo-restricted", "secret/plans.txt", b"not for auditors\n")
    put("demo-eu", "eu/data.csv", b"a,b\n")
    if big_keys:
        s3.create_bucket("demo-big", REGION)
        counts["demo-big"] = 0
        for i in range(big_keys):
            put("demo-big", f"events/{i:06d}.json", b"{}\n")
    if spread_keys:
        s3.create_bucket("demo-spread", REGION)
        counts["demo-spread"] = 0
        for i in range(spread_keys):
            put("demo-spread", spread_key(i), b"")
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prefix-keys", type=int, default=2600, help="objects under demo-data/logs/")
    parser.add_argument("--big-keys", type=int, default=0, help="objects in demo-big/events/ (0: no bucket)")
    parser.add_argument("--spread-keys", type=int, default=0, help="objects in demo-spread, over folders (0: no bucket)")
    args = parser.parse_args()

    users, roles = seed_iam()
    counts = seed_s3(args.prefix_keys, args.big_keys, args.spread_keys)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    manifest = {
        "endpoint": f"http://127.0.0.1:{port}",
        "port": port,
        "account": ACCOUNT,
        "region": REGION,
        "external_id": EXTERNAL_ID,
        "users": users,
        "roles": roles,
        "object_counts": counts,
        "odd_keys": ODD_KEYS,
    }
    print(json.dumps(manifest), flush=True)

    # Serve until the parent closes our stdin (or dies, which closes it too).
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
