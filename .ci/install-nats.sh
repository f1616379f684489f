#!/usr/bin/env bash
# Installs Debian's nats-server for the fleet tests when it is missing.
# Exits 0 either way and says why when it could not install it; `.ci/run` then requires the
# fleet tests only when nats-server is there.
set -u
if command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-nats: no apt-get here; the fleet tests will be skipped" >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
        echo "install-nats: not root and no sudo; the fleet tests will be skipped" >&2
        exit 0
    fi
fi
if $sudo apt-get update -qq >/dev/null 2>&1 &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nats-server >/dev/null 2>&1 &&
    [ -x /usr/sbin/nats-server ]; then
    echo "install-nats: installed $(/usr/sbin/nats-server --version 2>/dev/null)"
else
    echo "install-nats: apt-get could not install nats-server; the fleet tests will be skipped" >&2
fi
exit 0
