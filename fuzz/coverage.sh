#!/usr/bin/env bash
# Line coverage each fuzz target's corpus reaches in the code it is about: builds the targets
# with coverage instrumentation (`cargo fuzz coverage`), replays fuzz/corpus/TARGET and prints
# llvm-cov's totals over that code. Needs `rustup component add llvm-tools-preview --toolchain
# nightly` and corpora from fuzz/run.sh.
#   fuzz/coverage.sh                every target
#   fuzz/coverage.sh native ecs     two targets
set -euo pipefail
cd "$(dirname "$0")"
all=(native winevent_json winevent_xml evtx auditd eslogger zeek ecs detect config engine)
targets=("${@:-${all[@]}}")
llvm=$(rustc +nightly --print sysroot)/lib/rustlib/$(rustc +nightly -vV | sed -n 's/^host: //p')/bin
bin=target/$(rustc +nightly -vV | sed -n 's/^host: //p')/coverage/$(rustc +nightly -vV | sed -n 's/^host: //p')/release

# The code each target exercises on purpose (other code it reaches is not counted).
code_of() {
    case $1 in
    native) echo ../adapters/src/native ../adapters/src/lines.rs ;;
    winevent_json | winevent_xml | evtx) echo ../adapters/src/winevent ;;
    auditd | eslogger | zeek | ecs) echo "../adapters/src/$1" ;;
    detect) echo ../src/input.rs ../adapters/src ;;
    config) echo ../src/config ;;
    engine) echo ../src/engine ../src/lower ;;
    esac
}

for t in "${targets[@]}"; do
    nice -n 10 cargo +nightly fuzz coverage "$t" "corpus/$t" >"logs/$t.coverage.log" 2>&1
    # shellcheck disable=SC2046 # the code's paths are words
    lines=$("$llvm/llvm-cov" report "$bin/$t" -instr-profile="coverage/$t/coverage.profdata" $(code_of "$t") |
        awk '$1 == "TOTAL" { printf "%d of %d lines, %s", $8 - $9, $8, $10 }')
    echo "$t: $lines ($(code_of "$t" | sed 's|\.\./||g'))"
done
