#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, build-fuzz/) and runs each on its corpus.
#   scripts/fuzz.sh [--time SECONDS] [--jobs N] [--merge] [--build-only] [TARGET...]
#     --time S      how long each target runs (default 20)
#     --jobs N      how many targets run at once, one core each (default 1)
#     --merge       afterwards, add the inputs that found new coverage to fuzz/corpus/<target>
#     --build-only  build, run nothing
#   TARGET          e.g. manifest_fuzz or manifest (default: every fuzz/*_fuzz.cpp)
# Each target reads fuzz/corpus/<name>/ and fuzz/regressions/<name>/ and writes what it finds
# only to a scratch directory, so the committed corpus grows only with --merge. Exits 1 when a
# target crashes, leaks, trips UBSan, times out or runs out of memory, and prints the input.
# The last line is "fuzz: N passed, M failed" (scripts/test.sh counts it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=20
jobs=1
merge=0
build_only=0
targets=()
while (($#)); do
  case "$1" in
    --time) seconds=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --merge) merge=1 ;;
    --build-only) build_only=1 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) name=${1%_fuzz}; targets+=("${name}_fuzz") ;;
  esac
  shift
done
if ((${#targets[@]} == 0)); then
  for source in fuzz/*_fuzz.cpp; do targets+=("$(basename "$source" .cpp)"); done
fi
for target in "${targets[@]}"; do
  [[ -f fuzz/$target.cpp ]] || { echo "fuzz.sh: no target $target (fuzz/$target.cpp)" >&2; exit 2; }
done

# The largest input each target is given: a request head is at most 16 KiB; files and layers
# are kept small so that an input runs in milliseconds.
max_len() {
  case "$1" in
    layer_fuzz | rpm_fuzz | lang_fuzz) echo 65536 ;;
    manifest_fuzz | osv_fuzz | debian_fuzz | alpine_fuzz | advisory_fuzz) echo 32768 ;;
    http_head_fuzz) echo 20000 ;;
    *) echo 4096 ;;
  esac
}

export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
build_started=$SECONDS
# -O1 -gline-tables-only as OSS-Fuzz builds: fast enough to run, quick to compile, symbolized traces.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_FUZZ=ON \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" >/dev/null
nice -n 19 cmake --build build-fuzz --target "${targets[@]}"
echo "fuzz: built ${#targets[@]} targets in $((SECONDS - build_started)) s"
((build_only)) && exit 0

runs="build-fuzz/fuzz-runs/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$runs"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# run_target NAME: fuzzes NAME for $seconds; its log and any crash input go to $runs/NAME*.
run_target() {
  local target=$1 name=${1%_fuzz}
  local found="$runs/$target.corpus" log="$runs/$target.log"
  mkdir -p "$found" "$runs/$target.crashes"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$target")"
              -print_final_stats=1 -artifact_prefix="$runs/$target.crashes/")
  [[ -f fuzz/dict/$name.dict ]] && args+=(-dict="fuzz/dict/$name.dict")
  # New inputs go to the first directory only; the committed ones are only read.
  local seeds=("fuzz/corpus/$name")
  [[ -d fuzz/regressions/$name ]] && seeds+=("fuzz/regressions/$name")
  nice -n 19 "build-fuzz/fuzz/$target" "${args[@]}" "$found" "${seeds[@]}" >"$log" 2>&1
}

summary_line() {
  local target=$1 log="$runs/$1.log"
  local execs rate cov
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1 || true)
  printf '%-16s %10s execs %8s/s  %s\n' "$target" "${execs:-?}" "${rate:-?}" "$cov"
}

passed=0
failed=0
failures=()
running=()
finish_one() {
  local target=$1 rc=$2
  if ((rc == 0)); then
    passed=$((passed + 1))
    echo "PASS $(summary_line "$target")"
  else
    failed=$((failed + 1))
    failures+=("$target")
    echo "FAIL $(summary_line "$target") (exit $rc)"
    grep -E 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:|invariant failed|SUMMARY:' \
      "$runs/$target.log" | head -n 5 | sed 's/^/     /' || true
    for crash in "$runs/$target.crashes"/*; do
      [[ -e $crash ]] && echo "     input: $crash (replay: build-fuzz/fuzz/$target $crash)"
    done
    echo "     log: $runs/$target.log"
  fi
}

started=$SECONDS
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time; logs in $runs"
declare -A pids=()
for target in "${targets[@]}"; do
  while ((${#pids[@]} >= jobs)); do
    wait -n -p done_pid || true
    for t in "${!pids[@]}"; do
      if [[ ${pids[$t]} == "${done_pid:-}" ]]; then
        wait "${pids[$t]}" && rc=0 || rc=$?
        unset "pids[$t]"
        finish_one "$t" "$rc"
      fi
    done
  done
  run_target "$target" &
  pids[$target]=$!
done
for t in "${!pids[@]}"; do
  wait "${pids[$t]}" && rc=0 || rc=$?
  finish_one "$t" "$rc"
done

if ((merge)); then
  for target in "${targets[@]}"; do
    name=${target%_fuzz}
    before=$(find "fuzz/corpus/$name" -type f | wc -l)
    "build-fuzz/fuzz/$target" -merge=1 -max_len="$(max_len "$target")" "fuzz/corpus/$name" \
      "$runs/$target.corpus" >"$runs/$target.merge.log" 2>&1 || echo "fuzz: merge of $target failed" >&2
    echo "merge $target: $before -> $(find "fuzz/corpus/$name" -type f | wc -l) inputs"
  done
fi

echo "fuzz: ran $((passed + failed)) targets in $((SECONDS - started)) s"
((failed == 0)) || echo "fuzz: failed: ${failures[*]}" >&2
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
