#!/usr/bin/env bash
# Fuzzes s3lease's parsers and validators with cargo-fuzz (libFuzzer). The properties each
# target checks are in fuzz/properties.rs; `tests/fuzz_properties.rs` runs the same ones on
# generated inputs in the normal `cargo test`.
#
#   fuzz/run.sh --short              every target for 20 s (CI)
#   fuzz/run.sh [SECONDS]            every target for SECONDS (default 600)
#   fuzz/run.sh --target NAME [SECONDS]
#
# Needs nothing but stable Rust: cargo-fuzz is installed on first use, and RUSTC_BOOTSTRAP=1
# lets stable rustc take the nightly flags it passes. A crash stops the run with exit 1 and
# leaves its input in fuzz/artifacts/TARGET/; `cargo fuzz run TARGET FILE` replays it.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1

TARGETS=(config duration s3_uri keymap sts_validators untrusted_text)
seconds=600
case "${1:-}" in
  --short) seconds=20; shift ;;
  --target) TARGETS=("$2"); shift 2; seconds=${1:-$seconds} ;;
  "") ;;
  *) seconds=$1 ;;
esac

if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi
target_dir=${S3LEASE_FUZZ_TARGET_DIR:-$PWD/target}
# No sanitizer: the code under test is safe Rust, and without ASan libFuzzer runs ~2x more
# inputs. Debug assertions (overflow checks) stay on.
flags=(--sanitizer none --debug-assertions --target-dir "$target_dir")
cargo fuzz build "${flags[@]}"

for target in "${TARGETS[@]}"; do
  mkdir -p "corpus/$target"
  log="$target_dir/fuzz-$target.log"
  echo "fuzz: $target for ${seconds}s"
  if ! cargo fuzz run "${flags[@]}" "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $target FAILED (input in fuzz/artifacts/$target/)"
    exit 1
  fi
  # libFuzzer's last line: "Done N runs in S second(s)".
  echo "fuzz: $target ok: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" | tail -1), corpus $(ls "corpus/$target" | wc -l)"
done
