#!/usr/bin/env bash
# fuzz/run.sh: runs the workspace's fuzz targets, each for a fixed time budget, and reports the
# executions and findings of each.
#
# Usage:
#   fuzz/run.sh [SECONDS] [TARGET...]
#
#   SECONDS   budget per target (default: $FUZZ_SECONDS, else 60)
#   TARGET    any of: token_request config_loader service_accounts_loader sandbox_jwt
#             (default: all four, in that order)
#
# Environment:
#   FUZZ_SECONDS     budget per target when no SECONDS argument is given (default 60)
#   FUZZ_SANITIZER   cargo-fuzz sanitizer: address (default), leak, memory, thread or none
#   FUZZ_TIMEOUT     seconds one input may take before libFuzzer reports it as a hang (default 10)
#
# Needs only the nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly
#   cargo install cargo-fuzz --locked
#
# For each target the script copies the committed seeds (fuzz/seeds/<target>/, plus the example
# files in examples/ for the two loaders) into the working corpus fuzz/corpus/<target>/
# (git-ignored; it grows from run to run), then runs
#   cargo +nightly fuzz run <target> fuzz/corpus/<target> -- -max_total_time=SECONDS ...
# with the target's dictionary fuzz/dict/<target>.dict. A crash, panic, hang or leak leaves its
# input in fuzz/artifacts/<target>/; reproduce it with
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>
# Full logs go to fuzz/target/logs/<target>.log. The exit status is non-zero when any target
# found something (or failed to build).

set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_dir="$repo_root/fuzz"
all_targets=(token_request config_loader service_accounts_loader sandbox_jwt)

seconds="${FUZZ_SECONDS:-60}"
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
    seconds="$1"
    shift
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=("${all_targets[@]}")
fi
for target in "${targets[@]}"; do
    if [[ ! " ${all_targets[*]} " =~ " $target " ]]; then
        echo "unknown target: $target (known: ${all_targets[*]})" >&2
        exit 2
    fi
done
sanitizer="${FUZZ_SANITIZER:-address}"
timeout="${FUZZ_TIMEOUT:-10}"

# The sanitizer build must not share a target directory with normal (stable) builds.
export CARGO_TARGET_DIR="$fuzz_dir/target"
log_dir="$CARGO_TARGET_DIR/logs"
mkdir -p "$log_dir"
cd "$repo_root"

echo "building ${#targets[@]} target(s) (sanitizer: $sanitizer)"
for target in "${targets[@]}"; do
    cargo +nightly fuzz build --sanitizer "$sanitizer" "$target"
done

seed_corpus() {
    local target="$1" corpus="$fuzz_dir/corpus/$1"
    mkdir -p "$corpus"
    cp -n "$fuzz_dir/seeds/$target"/* "$corpus"/ 2>/dev/null || true
    case "$target" in
        config_loader) cp -n "$repo_root"/examples/irsforge*.yaml "$corpus"/ ;;
        service_accounts_loader) cp -n "$repo_root/examples/service-accounts.example.yaml" "$corpus"/ ;;
    esac
}

# The value of one `stat::` line of libFuzzer's final statistics.
stat() {
    sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

status=0
summary=()
for target in "${targets[@]}"; do
    seed_corpus "$target"
    log="$log_dir/$target.log"
    echo "fuzzing $target for ${seconds}s (log: ${log#"$repo_root"/})"
    set +e
    cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" "$fuzz_dir/corpus/$target" -- \
        -max_total_time="$seconds" -timeout="$timeout" -print_final_stats=1 \
        -dict="$fuzz_dir/dict/$target.dict" >"$log" 2>&1
    code=$?
    set -e
    executions="$(stat number_of_executed_units "$log")"
    per_second="$(stat average_exec_per_sec "$log")"
    new_units="$(stat new_units_added "$log")"
    corpus_size="$(find "$fuzz_dir/corpus/$target" -type f | wc -l)"
    if [[ $code -eq 0 ]]; then
        finding="nothing found"
    else
        status=1
        artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
        reason="$(grep -m 1 -E -A 1 'panicked at|ERROR: [A-Za-z]+|^error(\[E[0-9]+\])?:' "$log" | tr '\n\t' '  ' || true)"
        finding="FOUND (exit $code): ${reason:-see log}${artifact:+; input: $artifact}"
    fi
    line="$(printf '%-24s executions %-10s exec/s %-7s new units %-5s corpus %-5s %s' \
        "$target" "${executions:-?}" "${per_second:-?}" "${new_units:-?}" "$corpus_size" "$finding")"
    echo "$line"
    summary+=("$line")
done

echo
echo "summary (${seconds}s per target, sanitizer $sanitizer):"
printf '  %s\n' "${summary[@]}"
exit "$status"
