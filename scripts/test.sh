#!/usr/bin/env bash
# Sets everything up, starts the system services the tests need, and runs every check:
# ruff (lint and format, code and the Python in the docs), mypy --strict, ESLint on the
# browser extension and the demo portal's pages, and the whole test suite with nothing skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/test-services.sh start

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy --strict xcapki
(cd scripts/eslint && npm ci --no-audit --no-fund --silent && npm run --silent lint)
XCAPKI_REQUIRE_ALL_COMPONENTS=1 .venv/bin/pytest "$@"
