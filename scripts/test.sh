#!/usr/bin/env bash
# Builds Berth and runs every test:
#   1. build/       RelWithDebInfo: unit tests (ctest -j2), then integration, crash, real-client and browser tests
#   2. build-fuzz/  clang + libFuzzer: every fuzz target for 20 s on its corpus (scripts/fuzz.sh)
#   3. build-asan/  ASan + UBSan at -O1: unit, integration and crash tests (the slow client and browser tests are left out)
# Exits non-zero when a build or any test fails. `--no-sanitize` skips step 3 (for a quick local run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sanitize=1
for arg in "$@"; do
  case "$arg" in
    --no-sanitize) sanitize=0 ;;
    -h | --help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

section() { printf '\n==================== %s ====================\n' "$*"; }

started=$SECONDS
logs=$(mktemp -d "${TMPDIR:-/tmp}/berth-test.XXXXXX")
trap 'rm -rf "$logs"' EXIT
total_passed=0
total_failed=0
status=0

# run_ctest NAME BUILD_DIR CTEST_ARGS...: runs ctest, adds its counts to the totals, never exits.
run_ctest() {
  local name=$1 dir=$2
  shift 2
  section "tests: $name"
  local rc=0
  ctest --test-dir "$dir" --output-on-failure "$@" 2>&1 | tee "$logs/$name.log" || rc=$?
  local line total failed
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$logs/$name.log" | tail -n 1 || true)
  if [[ -n "$line" ]]; then
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    failed=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
    total_passed=$((total_passed + total - failed))
    total_failed=$((total_failed + failed))
  fi
  if ((rc != 0)); then
    echo "test.sh: ctest ($name) failed with exit code $rc" >&2
    status=1
  fi
}

# run_fuzz: every fuzz target for 20 s, two at a time (scripts/fuzz.sh); each target counts as
# one test in the totals.
run_fuzz() {
  section "fuzz: each target 20 s (build-fuzz/, clang)"
  local rc=0
  scripts/fuzz.sh --time 20 --jobs 2 2>&1 | tee "$logs/fuzz.log" || rc=$?
  local line
  line=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed' "$logs/fuzz.log" | tail -n 1 || true)
  if [[ -n "$line" ]]; then
    total_passed=$((total_passed + $(sed -E 's/^fuzz: ([0-9]+) passed.*/\1/' <<<"$line")))
    total_failed=$((total_failed + $(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")))
  fi
  if ((rc != 0)); then
    echo "test.sh: fuzzing failed with exit code $rc" >&2
    status=1
  fi
}

section "dependencies"
scripts/deps.sh

export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
# Objects carry -g: without this ccache also hashes the build directory's absolute path, so a
# clone in another directory (every CI run) would compile everything again.
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
export CTEST_OUTPUT_ON_FAILURE=1
# Sanitizers: stop at the first error with a stack trace; leaks count as errors.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

section "style: clang-format"
mapfile -t sources < <(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'fuzz/*.cpp' 'fuzz/*.h')
if ! clang-format --dry-run --Werror "${sources[@]}"; then
  echo "test.sh: run clang-format -i on the files above" >&2
  status=1
fi

section "build: RelWithDebInfo (build/)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_SANITIZE=OFF
cmake --build build

run_ctest unit build -L unit -j2 --no-tests=error
run_ctest integration+clients build -LE unit --no-tests=error
run_fuzz

if ((sanitize)); then
  section "build: ASan + UBSan, -O1 (build-asan/)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_SANITIZE=ON \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g"
  cmake --build build-asan

  run_ctest unit-asan build-asan -L unit -j2 --no-tests=error
  run_ctest integration-asan build-asan -LE 'unit|client|browser' --no-tests=ignore
else
  section "sanitizer build skipped (--no-sanitize)"
fi

section "summary"
echo "time: $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"
if ((status != 0 || total_failed != 0)); then
  echo "test.sh: FAILED" >&2
  echo "summary: $total_passed passed, $total_failed failed"
  exit 1
fi
echo "test.sh: all tests passed"
# Last line on purpose: the closing line CI reads.
echo "summary: $total_passed passed, $total_failed failed"
