#!/usr/bin/env bash
# Sets up everything xcapki's demo and tests need on Debian 12 / Ubuntu, idempotently:
# system packages, a virtual environment in .venv with xcapki and its development tools.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-packages.sh

python=${XCAPKI_PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "xcapki: needs Python 3.11 or newer; set XCAPKI_PYTHON to one" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet --editable '.[dev]'
echo "xcapki: set-up complete (.venv)"
