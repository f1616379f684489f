#!/usr/bin/env bash
# CI tools beyond Rust itself, at pinned versions; each skipped when that version is present.
# cargo-deny compiles from crates.io (about 3 CPU-minutes; see docs/supply-chain.md).
set -euo pipefail

CARGO_DENY_VERSION=0.20.2

if cargo deny --version 2>/dev/null | grep -qx "cargo-deny $CARGO_DENY_VERSION"; then
    echo "cargo-deny $CARGO_DENY_VERSION already installed"
else
    cargo install --locked cargo-deny --version "$CARGO_DENY_VERSION"
fi
