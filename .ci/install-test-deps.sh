#!/usr/bin/env bash
# What some tests need beyond Rust, from Debian's packages when it is missing: Chromium (the HTML
# report's browser test) and nats-server (the fleet tests). Exits 0 either way and says why when
# it could not install one; its tests then say "skipped" (`.ci/run` requires them when present).
set -u

# install PACKAGE BINARY TESTS: installs PACKAGE unless BINARY is there.
install() {
    local package=$1 binary=$2 tests=$3
    if [ -x "$binary" ] || command -v "$(basename "$binary")" >/dev/null 2>&1; then
        return
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install-test-deps: no apt-get here; $tests will be skipped" >&2
        return
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "install-test-deps: not root and no sudo; $tests will be skipped" >&2
            return
        fi
        sudo="sudo -n"
    fi
    if $sudo apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null 2>&1 &&
        [ -x "$binary" ]; then
        echo "install-test-deps: installed $("$binary" --version 2>/dev/null | head -n 1)"
    else
        echo "install-test-deps: apt-get could not install $package; $tests will be skipped" >&2
    fi
}

install chromium /usr/bin/chromium "the HTML browser test"
install nats-server /usr/sbin/nats-server "the fleet tests"
exit 0
