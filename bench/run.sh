#!/usr/bin/env bash
# The SPEC §10 benchmark: builds the release binary and runs bench/compare.py, which prints
# one table of medians, peak memory and ratios. REPS=N sets the repetitions (default 15);
# BENCH_DISK=DIR sets where the on-disk builds go (default: target/). Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exe="${CARGO_TARGET_DIR:-target}/release/netns-compile"
exec python3 bench/compare.py "$(realpath "$exe")"
