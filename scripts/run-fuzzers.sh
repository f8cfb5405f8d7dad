#!/usr/bin/env bash
# Runs libFuzzer targets in BUILD_DIR one at a time, each from its seed corpus, until SECONDS have
# passed or RUNS inputs have been executed, whichever comes first (RUNS 0: no limit on runs).
# New inputs that grow coverage go to a scratch corpus in BUILD_DIR, never into the source tree.
#
#   scripts/run-fuzzers.sh [BUILD_DIR [SECONDS [RUNS [TARGET...]]]]
#
# TARGET is a name such as `url` or `url_fuzz`; none means every *_fuzz binary in BUILD_DIR.
# FUZZ_FLAGS adds libFuzzer flags (e.g. FUZZ_FLAGS=-timeout=30). Per target it prints executions,
# exec/s, wall time, CPU time (on a shared machine exec/s follows the CPU share, not the parser),
# the corpus on disk (files, bytes), libFuzzer's final cov: and ft:, and crashes; the same row
# goes to BUILD_DIR/fuzz-summary.tsv. Exits non-zero if any target failed.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-60}
runs=${3:-0}
shift $(($# < 3 ? $# : 3))
root=$(cd "$(dirname "$0")/.." && pwd)
summary="$build/fuzz-summary.tsv"
read -r -a extra <<<"${FUZZ_FLAGS:-}"

fuzzers=()
if (($#)); then
  for target in "$@"; do fuzzers+=("$build/tests/fuzz/${target%_fuzz}_fuzz"); done
else
  fuzzers=("$build"/tests/fuzz/*_fuzz)
fi

# The value of libFuzzer's final `stat::NAME:` line in LOG.
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -1; }

# The value after KEY (cov:, ft:) on the last status line of LOG (`#N DONE cov: .. ft: ..`).
status_field() { grep -E '^#[0-9]+' "$1" | grep -o "$2 [0-9]*" | tail -1 | cut -d' ' -f2; }

# Files and bytes of every regular file under the given folders.
corpus_size() { find "$@" -type f -printf '%s\n' 2>/dev/null | awk '{n++; b+=$1} END {print n+0, b+0}'; }

[[ -s "$summary" ]] || printf 'target\texecs\texec_per_s\tseconds\tcpu_seconds\tcorpus_files\tcorpus_bytes\tcov\tft\tcrashes\tdate\n' >"$summary"
status=0
for fuzzer in "${fuzzers[@]}"; do
  [[ -x "$fuzzer" ]] || { echo "!! no fuzzer $fuzzer"; status=1; continue; }
  name=$(basename "$fuzzer")
  seeds="$root/tests/fuzz/corpus/${name%_fuzz}"
  scratch="$build/fuzz-corpus/$name"
  artifacts="$build/fuzz-artifacts/$name"
  log="$build/$name.log"
  mkdir -p "$scratch" "$artifacts"
  limit="${seconds}s"
  ((runs > 0)) && limit="$limit or $runs runs"
  echo "== $name for $limit"
  start=$(date +%s.%N)
  failed=0
  /usr/bin/time -f '%U %S' -o "$log.cpu" "$fuzzer" -max_total_time="$seconds" \
    -runs="$((runs > 0 ? runs : -1))" -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "${extra[@]}" "$scratch" "$seeds" 2>"$log" || failed=1
  wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.0f", e - s}')
  cpu=$(tail -1 "$log.cpu" | awk '{printf "%.0f", $1 + $2}') # after "exited with non-zero status"
  execs=$(final_stat "$log" number_of_executed_units)
  rate=$(final_stat "$log" average_exec_per_sec)
  read -r files bytes < <(corpus_size "$scratch" "$seeds")
  crashes=$(find "$artifacts" -type f | wc -l)
  ((failed && crashes == 0)) && crashes=1 # died without an artifact (e.g. a sanitizer abort)
  row=("${name%_fuzz}" "${execs:-0}" "${rate:-0}" "$wall" "$cpu" "$files" "$bytes"
    "$(status_field "$log" cov:)" "$(status_field "$log" ft:)" "$crashes" "$(date -u +%FT%TZ)")
  (IFS=$'\t'; echo "${row[*]}") >>"$summary"
  printf '   execs %s  exec/s %s  time %ss (CPU %ss)  corpus %s files %s bytes  cov %s  ft %s  crashes %s\n' \
    "${row[@]:1:9}"
  if ((failed || crashes)); then
    echo "!! $name failed; see $log and $artifacts"
    tail -40 "$log"
    status=1
  fi
done
exit $status
