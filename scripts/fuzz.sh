#!/usr/bin/env bash
# Runs a fuzz target (or all of them, one after the other) for SECONDS each, with cargo fuzz on
# the nightly toolchain (CI has none: this is not part of `make test`; see tests/README.md).
#
#   scripts/fuzz.sh TARGET SECONDS      # compile | conditions | request | signing | render
#   scripts/fuzz.sh all SECONDS
#
# The corpus grows in $FUZZ_CORPUS/<target> (default fuzz/corpus, not committed), seeded from
# fixtures/ by scripts/fuzz-seeds.mjs; crashes land in fuzz/artifacts/<target>/ and logs in
# $FUZZ_LOGS (default fuzz/logs). Keep a crash by copying it to fuzz/regressions/<target>/:
# `cargo test --test fuzz_regressions` replays every file there.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=(compile conditions request signing render)
target=${1:?usage: scripts/fuzz.sh TARGET|all SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET|all SECONDS}
corpus_root=${FUZZ_CORPUS:-$PWD/fuzz/corpus}
logs=${FUZZ_LOGS:-$PWD/fuzz/logs}
mkdir -p "$logs"

run() {
  local t=$1 corpus="$corpus_root/$1" max_len=4096
  [ "$t" = render ] && max_len=20000
  [ -d "$corpus" ] || node scripts/fuzz-seeds.mjs "$corpus" "$t"
  mkdir -p "fuzz/artifacts/$t"
  echo "fuzzing $t for ${seconds}s (log: $logs/$t.log)"
  (cd fuzz && cargo +nightly fuzz run -O "$t" "$corpus" -- \
      -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=1024 \
      -print_final_stats=1 -artifact_prefix="$PWD/artifacts/$t/") >"$logs/$t.log" 2>&1
}

if [ "$target" = all ]; then
  failed=0
  for t in "${TARGETS[@]}"; do run "$t" || { echo "$t stopped: see $logs/$t.log"; failed=1; }; done
  exit "$failed"
else
  run "$target"
fi
