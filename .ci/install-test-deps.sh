#!/usr/bin/env bash
# What some tests need beyond Rust, from Debian's packages when they are missing: Chromium (the
# HTML report's browser test) and nats-server (the fleet tests). Each script exits 0 and says
# why when it cannot install; its tests then say "skipped".
set -u
cd "$(dirname "$0")/.."
.ci/install-chromium.sh
.ci/install-nats.sh
