#!/usr/bin/env bash
# Runs each fuzz target (or those named) for SECONDS, one after another, at low priority.
# Corpora live in fuzz/corpus/TARGET (not in git), seeded on the first run from the repository's
# test data (and from ../shared/data when it is beside the checkout); crashes land in
# fuzz/artifacts/TARGET, libFuzzer's log in fuzz/logs/TARGET.log.
#   fuzz/run.sh 300                 every target, five minutes each
#   fuzz/run.sh 60 native config    two targets
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
all=(native winevent_json winevent_xml evtx auditd eslogger zeek ecs detect config engine checkpoint)
targets=("${@:-${all[@]}}")
repo=..
shared=../../shared/data

# Copies FILES into corpus/TARGET, text files cut to their first 40 lines (small seeds mutate
# faster; whole records are what matter).
seed() {
    local target=$1
    shift
    mkdir -p "corpus/$target"
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        local name
        name="seed-$(basename "$f")"
        case "$f" in
        *.evtx) cp "$f" "corpus/$target/$name" ;;
        *) head -n 40 "$f" >"corpus/$target/$name" ;;
        esac
    done
}

seeds_of() {
    case $1 in
    native) echo "$repo"/data/samples/*.ndjson "$repo"/tests/scenarios/*.ndjson ;;
    winevent_json) echo "$repo"/tests/data/windows/*.jsonl "$repo"/tests/scenarios/*sysmon*.jsonl \
        "$repo"/tests/scenarios/*4688*.jsonl ;;
    winevent_xml) echo seeds/winevent_xml/* "$shared"/windows/*/*.xml "$shared"/windows/*/*/*.xml ;;
    evtx) echo "$repo"/tests/data/windows/*.evtx "$shared"/windows/sigma-regression/*/*.evtx ;;
    auditd) echo "$repo"/tests/data/auditd/*.log "$repo"/tests/scenarios/*.audit.log ;;
    eslogger) echo seeds/eslogger/* ;;
    zeek) echo "$repo"/tests/data/zeek/* ;;
    ecs) echo "$repo"/bench/peers/testdata/*.ecs.ndjson ;;
    detect) for t in native winevent_json winevent_xml auditd eslogger zeek ecs; do seeds_of $t; done ;;
    config) echo seeds/config/* "$repo"/tests/scenarios/*.toml ;;
    engine | checkpoint) ;; # structured input: libFuzzer builds its own
    *) echo "unknown target $1" >&2; exit 2 ;;
    esac
}

cargo +nightly fuzz build
mkdir -p logs
for t in "${targets[@]}"; do
    if [ ! -d "corpus/$t" ]; then
        # shellcheck disable=SC2046
        seed "$t" $(seeds_of "$t")
    fi
    # EVTX: one header and one chunk are enough to reach every parser (the 1 MiB seed would
    # otherwise set the limit). Engine: long event sequences from the start.
    extra=()
    case $t in
    evtx) extra=(-max_len=69632) ;;
    engine) extra=(-max_len=4096 -len_control=0) ;;
    esac
    echo "== $t: ${seconds}s"
    status=0
    nice -n 10 cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
        "${extra[@]}" >"logs/$t.log" 2>&1 || status=$?
    grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "logs/$t.log" | tail -n 1 || true
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "logs/$t.log" || true
    if [ "$status" -ne 0 ]; then
        echo "$t: libFuzzer stopped with status $status; see fuzz/logs/$t.log and fuzz/artifacts/$t" >&2
    fi
done
