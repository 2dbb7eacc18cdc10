#!/usr/bin/env bash
# Sets everything up, then runs xcapki's main job on a virtual XCA card.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export XCAPKI_HOME=${XCAPKI_HOME:-$PWD/var/demo}
.venv/bin/xcapki demo --once
