#!/usr/bin/env bash
# Runs one libFuzzer harness for SECONDS and prints one summary line (runs, exec/s, coverage,
# findings). Used by the fuzz preset's ctest smoke runs and by scripts/fuzz.
#
#   fuzz/run-harness.sh HARNESS SEED_DIR WORK_DIR SECONDS [DICT|none] [--fresh]
#
# New inputs go to WORK_DIR/corpus, crash/leak/timeout files to WORK_DIR/artifacts, the fuzzer's
# output to WORK_DIR/fuzz.log; SEED_DIR (in the repository) is only read. --fresh starts from an
# empty WORK_DIR holding a copy of the seeds (the smoke runs); without it the grown corpus of
# earlier runs is kept and the seeds are read beside it. Exits non-zero on any finding.
set -uo pipefail

harness=$(realpath "$1") seeds=$(realpath "$2") work=$3 seconds=$4 dict=${5:-} fresh=${6:-}
name=$(basename "$harness")
name=${name%_fuzz}

if [ "$fresh" = "--fresh" ]; then rm -rf "$work"; fi
mkdir -p "$work/corpus" "$work/artifacts"
work=$(realpath "$work")
corpora=("$work/corpus")
if [ "$fresh" = "--fresh" ]; then cp -R "$seeds/." "$work/corpus/"; else corpora+=("$seeds"); fi
rm -f "$work"/artifacts/*

args=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 -jobs=1 -workers=1
      -artifact_prefix="$work/artifacts/")
[ -n "$dict" ] && [ "$dict" != none ] && args+=(-dict="$(realpath "$dict")")

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
started=$(date +%s)
# From the work folder: with -jobs, libFuzzer writes its job's log (fuzz-0.log) to the current one.
(cd "$work" && "$harness" "${args[@]}" "${corpora[@]}") >"$work/fuzz.log" 2>&1
status=$?
elapsed=$(( $(date +%s) - started ))

stat() { sed -n "s/^stat::$1: *//p" "$work/fuzz.log" | tail -n 1; }
runs=$(stat number_of_executed_units)
rate=$(stat average_exec_per_sec)
last=$(grep -E '^#[0-9]+' "$work/fuzz.log" | tail -n 1)
[ -n "$runs" ] || runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
corpus=$(find "$work/corpus" -type f | wc -l)
findings=$(find "$work/artifacts" -type f | sort | tr '\n' ' ')

printf 'fuzz %s: %ss, %s runs, %s exec/s, cov %s ft %s, corpus %s files, findings: %s\n' \
  "$name" "$elapsed" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "${findings:-none}"
if [ "$status" -ne 0 ] || [ -n "$findings" ]; then
  echo "---- $name: libFuzzer exited $status; the end of $work/fuzz.log:" >&2
  tail -n 60 "$work/fuzz.log" >&2
  exit 1
fi
