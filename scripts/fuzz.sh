#!/usr/bin/env bash
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Builds the libFuzzer targets of Fuzz/ (in Fuzz/.build, never touching .build) and runs each
# for SECONDS_PER_TARGET (default 60) with one worker, starting from a copy of its seed corpus
# in Fuzz/corpus/<target> so the committed corpus does not grow. Prints executions and exec/s
# per target; a crash, hang, leak or out-of-memory input is kept in Fuzz/findings/<target>/
# and makes the script exit 1 after the remaining targets have run. Each run's libFuzzer log is
# in Fuzz/.build/fuzz-logs/<target>.log.
#
# Targets: token claims footer revocation signed-list public-key secret-key settings json encoding
#
# Environment:
#   FUZZ_CONFIG=release|debug   build configuration (default release: several times more exec/s)
#   FUZZ_JOBS=N                 build jobs (default: SwiftPM's, one per core)
#   FUZZ_ARGS="..."             extra libFuzzer flags, e.g. "-use_value_profile=1 -seed=1"
#   FUZZ_MERGE=1                afterwards, merge inputs that add coverage into Fuzz/corpus/<target>
#   FUZZ_NO_BUILD=1             run what is built
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all_targets=(token claims footer revocation signed-list public-key secret-key settings json encoding)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  [ -d "Fuzz/Sources/fuzz-$target" ] || { echo "fuzz: error: no target $target; known: ${all_targets[*]}" >&2; exit 2; }
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz: error: SECONDS_PER_TARGET must be a whole number, not $seconds" >&2; exit 2 ;; esac

config=${FUZZ_CONFIG:-release}
scratch=Fuzz/.build
# Same dependency versions as the main package, when it has resolved them.
if [ -f Package.resolved ] && ! cmp -s Package.resolved Fuzz/Package.resolved; then cp Package.resolved Fuzz/Package.resolved; fi

if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  echo "fuzz: building ${targets[*]} ($config)"
  start=$(date +%s)
  # lld: gold fails on the sanitized Swift objects ("internal error in format_file_lineno").
  build=(swift build --package-path Fuzz --scratch-path "$scratch" -c "$config"
         -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld ${FUZZ_JOBS:+-j "$FUZZ_JOBS"})
  # One product at a time: a plain `swift build` would also build every product of the main
  # package (the gateway, NIO, PostgreSQL), which no fuzz target links.
  build_log=$(mktemp "${TMPDIR:-/tmp}/tessera-fuzz-build.XXXXXX")
  for target in "${targets[@]}"; do
    if ! "${build[@]}" --product "fuzz-$target" >"$build_log" 2>&1; then
      grep -v -e '^\[' -e 'unhandled; explicitly declare' -e 'CMakeLists.txt$' "$build_log" >&2 || true
      rm -f "$build_log"
      echo "fuzz: error: building fuzz-$target failed" >&2
      exit 2
    fi
  done
  rm -f "$build_log"
  echo "fuzz: built in $(( $(date +%s) - start )) s"
fi

# Longest input per target: the token limits are 8 KiB; the others are short text.
max_len() {
  case "$1" in
    token|claims|signed-list|json) echo 8400 ;;
    *) echo 4096 ;;
  esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
logs="$scratch/fuzz-logs"
mkdir -p "$logs"
failed=()
total=0
# Swift's own crash backtracer would run inside the sanitizer and report its own reads;
# libFuzzer prints the stack of a failed invariant (a fatalError) itself.
export SWIFT_BACKTRACE=enable=no
for target in "${targets[@]}"; do
  corpus="$work/$target"
  findings="Fuzz/findings/$target"
  mkdir -p "$corpus" "$findings"
  cp Fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  dict=()
  [ -f "Fuzz/dict/$target.dict" ] && dict=(-dict="Fuzz/dict/$target.dict")
  log="$logs/$target.log"
  status=0
  # shellcheck disable=SC2086
  "$scratch/$config/fuzz-$target" "$corpus" "${dict[@]}" -max_total_time="$seconds" -max_len="$(max_len "$target")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/" ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
  total=$(( total + ${runs:-0} ))
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    cp "$log" "$findings/last-run.log"
    printf 'fuzz: %-12s FAILED after %s executions (exit %s); input and log in %s/\n' "$target" "${runs:-?}" "$status" "$findings"
    grep -m 3 -E 'invariant violated|Fatal error|ERROR: (libFuzzer|AddressSanitizer)|SUMMARY' "$log" | sed 's/^/fuzz:   /' || true
    # The input itself, for a CI log: libFuzzer prints small ones in base64.
    grep -m 1 '^Base64: ' "$log" | sed 's/^/fuzz:   input /' || true
  else
    printf 'fuzz: %-12s %10s executions  %7s exec/s  coverage %s  no findings\n' "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}"
    rmdir "$findings" 2>/dev/null || true
    slowest=$(grep -o 'Slowest unit: [0-9]* s' "$log" | tail -n 1 || true)
    [ -z "$slowest" ] || echo "fuzz:   $slowest (see $log)"
  fi
  if [ -n "${FUZZ_MERGE:-}" ]; then
    "$scratch/$config/fuzz-$target" -merge=1 -max_len="$(max_len "$target")" "Fuzz/corpus/$target" "$corpus" >/dev/null 2>&1 || true
  fi
done
echo "fuzz: $total executions in total"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: error: findings in ${failed[*]}" >&2
  exit 1
fi
