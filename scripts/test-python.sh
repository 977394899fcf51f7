#!/usr/bin/env bash
# The Python package's tests (python/tests, pytest). Makes a venv under the target folder,
# installs maturin, numpy, polars and pytest into it from PyPI (pinned, so a run next year
# installs the same), builds and installs ./python
# (release profile, the same target folder as `cargo build --release`, so the dependencies'
# artifacts are shared), then runs pytest.
#
# Without python3 (3.9 or newer) or without network, it skips with a message; with
# FLEETSIM_REQUIRE_PYTHON=1 (or FLEETSIM_SLOW=1, as CI sets) it fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="$target/python-venv"
require="${FLEETSIM_REQUIRE_PYTHON:-${FLEETSIM_SLOW:-0}}"

skip() {
    if [ "$require" = 1 ]; then
        echo "python tests: $1" >&2
        exit 1
    fi
    echo "skipped: python tests: $1 (FLEETSIM_REQUIRE_PYTHON=1 makes this an error)"
    exit 0
}

command -v python3 >/dev/null || skip "no python3 on PATH"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' || skip "python3 is older than 3.9"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || skip "cannot create a venv in $venv (is python3-venv installed?)"
fi
"$venv/bin/python" -m pip install -q maturin==1.16.0 numpy==2.4.6 polars==2.1.0 pytest==9.2.0 ||
    skip "cannot install maturin, numpy, polars and pytest from PyPI (offline?)"
# maturin from the venv; no build isolation, so the build needs no network.
PATH="$venv/bin:$PATH" CARGO_TARGET_DIR="$target" \
    "$venv/bin/python" -m pip install -q --no-build-isolation --force-reinstall --no-deps ./python
"$venv/bin/python" -m pytest python/tests -q
