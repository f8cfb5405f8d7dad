#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from its seed corpus.
# New inputs that grow coverage go to a scratch corpus, never into the source tree.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for fuzzer in "$build"/tests/fuzz/*_fuzz; do
  [[ -x "$fuzzer" ]] || continue
  name=$(basename "$fuzzer")
  seeds="$root/tests/fuzz/corpus/${name%_fuzz}"
  scratch="$build/fuzz-corpus/$name"
  mkdir -p "$scratch"
  echo "== $name for ${seconds}s"
  if ! "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$build/" \
      "$scratch" "$seeds" 2>"$build/$name.log"; then
    echo "!! $name failed; see $build/$name.log"; tail -40 "$build/$name.log"; status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$build/$name.log" | tail -2
  fi
done
exit $status
