#!/usr/bin/env bash
# Installs Debian's chromium for the HTML report's browser test when it is missing.
# Exits 0 either way and says why when it could not install it; `.ci/run` then requires the
# test only when /usr/bin/chromium is there.
set -u
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: no apt-get here; the HTML browser test will be skipped" >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
        echo "install-chromium: not root and no sudo; the HTML browser test will be skipped" >&2
        exit 0
    fi
fi
if $sudo apt-get update -qq >/dev/null 2>&1 &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null 2>&1 &&
    [ -x /usr/bin/chromium ]; then
    echo "install-chromium: installed $(/usr/bin/chromium --version 2>/dev/null)"
else
    echo "install-chromium: apt-get could not install chromium; the HTML browser test will be skipped" >&2
fi
exit 0
