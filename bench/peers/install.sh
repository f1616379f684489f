#!/usr/bin/env bash
# Installs the external peers of the benchmark into a virtual
# environment beside this script: bench/peers/.venv (gitignored).
#
#   Endgame EQL (Python engine) ... eql==1.0.1 (pulls lark==1.3.1)
#   DuckDB ........................ duckdb==2.0.1
#
# Idempotent: a venv that already holds these versions is left as it is. Needs python3 >= 3.9
# with the venv module and access to PyPI. Set PYTHON to choose the interpreter.
# eql 1.0.1 runs unpatched on Python 3.11 (checked on 3.11.7); older eql releases (0.9.x)
# pinned lark-parser 0.x and are not needed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
pins=("eql==1.0.1" "lark==1.3.1" "duckdb==2.0.1")

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'; then
    echo "install.sh: $python is older than 3.9" >&2
    exit 1
fi

if [ -x "$venv/bin/python" ] && "$venv/bin/python" - "${pins[@]}" <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
then
    echo "install.sh: $venv already has ${pins[*]}; nothing to do"
    exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "install.sh: creating $venv with $("$python" --version 2>&1)"
    "$python" -m venv "$venv"
fi
echo "install.sh: pip install ${pins[*]}"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
"$venv/bin/python" -c 'import eql, duckdb, sys; print("install.sh: ok: python %s, eql %s, duckdb %s" % (sys.version.split()[0], eql.__version__, duckdb.__version__))'
