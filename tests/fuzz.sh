#!/usr/bin/env bash
# Bounded fuzz run of the libFuzzer targets in fuzz/ (docs/hardening.md).
#
#   tests/fuzz.sh                      # every target, 60 s each
#   FUZZ_SECONDS=3600 tests/fuzz.sh    # a longer run; FUZZ_TARGETS="compile" for one target
#
# Works on stable Rust without cargo-fuzz: the targets are built with the same
# SanitizerCoverage flags `cargo fuzz build -s none` passes (libfuzzer-sys links libFuzzer).
# Each target starts from the JSON fixtures and a persistent corpus (fuzz/corpus/<target>,
# not committed). A crash is copied to fixtures/fuzz-regressions/<target>-<hash>.{json,nix}, which
# `cargo test` replays from then on (rename it to say what it is), and the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-json_frontend compile nix_eval}
jobs=${FUZZ_JOBS:-1}   # >1: libFuzzer's fork mode with that many workers
# In CI the bounded run replays the same mutations each time (FUZZ_SEED, default 1), so that
# a submission is judged on its own code, not on a lucky draw; runs by hand draw a new seed.
seed=()
if [ -n "${FUZZ_SEED:-}" ]; then seed=(-seed="$FUZZ_SEED"); elif [ -n "${CI:-}" ]; then seed=(-seed=1); fi
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$root/fuzz/target}
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"

# With an explicit --target, RUSTFLAGS reach the targets only, not build scripts.
host=$(rustc -vV | sed -n 's/^host: //p')
echo "fuzz: building targets ($targets)"
# Not --locked: fuzz/Cargo.lock follows the crate's dependencies as they change.
cargo build --manifest-path fuzz/Cargo.toml --release --bins --quiet --target "$host"

seeds=$(mktemp -d)
nix_seeds=$(mktemp -d)
trap 'rm -rf "$seeds" "$nix_seeds"' EXIT
find fixtures -name '*.json' -size -64k | while read -r f; do
  cp "$f" "$seeds/$(printf '%s' "$f" | sha1sum | cut -c1-16).json"
done
# The Nix target starts from the language cases and the golden configs.
find fixtures -name '*.nix' -size -64k | while read -r f; do
  cp "$f" "$nix_seeds/$(printf '%s' "$f" | sha1sum | cut -c1-16).nix"
done

status=0
total_execs=0
for t in $targets; do
  corpus=fuzz/corpus/$t
  artifacts=fuzz/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  log=$artifacts/last-run.log
  echo "fuzz: $t for ${secs}s"
  parallel=()
  [ "$jobs" -gt 1 ] && parallel=(-fork="$jobs" -ignore_crashes=1)
  set +e
  target_seeds=$seeds
  dict=(-dict=fuzz/json.dict)
  if [ "$t" = nix_eval ]; then target_seeds=$nix_seeds; dict=(); fi
  "$CARGO_TARGET_DIR/$host/release/$t" "$corpus" "$target_seeds" "${parallel[@]}" "${dict[@]}" "${seed[@]}" \
    -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  # Fork mode (FUZZ_JOBS > 1) prints no final stats: count its last "#N:" line instead.
  execs=$({ grep -ah 'stat::number_of_executed_units' "$log" || true; } | awk '{s+=$2} END {print s+0}')
  if [ "$execs" = 0 ]; then
    execs=$({ grep -aoE '^#[0-9]+:' "$log" || true; } | tail -1 | tr -dc '0-9')
    execs=${execs:-0}
  fi
  total_execs=$((total_execs + execs))
  echo "fuzz: $t: $execs executions in ${secs}s, corpus $(ls "$corpus" | wc -l) inputs, exit $rc"
  found=0
  for a in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* "$artifacts"/leak-*; do
    [ -e "$a" ] || continue
    found=1
    ext=json
    [ "$t" = nix_eval ] && ext=nix
    dest=fixtures/fuzz-regressions/$t-$(sha1sum "$a" | cut -c1-16).$ext
    mkdir -p fixtures/fuzz-regressions
    cp "$a" "$dest"
    rm -f "$a"
    echo "fuzz: $t: FOUND $(basename "$a") -> $dest (replayed by cargo test from now on)"
  done
  if [ "$rc" != 0 ] || [ "$found" = 1 ]; then
    tail -40 "$log"
    status=1
  fi
done
echo "fuzz: $total_execs executions in all"
exit $status
