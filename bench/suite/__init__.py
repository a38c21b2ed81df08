"""The s3lease benchmark suite: see bench/run.py."""
