#!/usr/bin/env bash
# Installs the system packages xcapki's demo and tests use (Debian 12 / Ubuntu).
# Idempotent: packages already present are left alone. Runs as root or via sudo.
set -euo pipefail

packages=(
  softhsm2 opensc opencryptoki pcscd libpcsclite-dev pcsc-tools swig
  vsmartcard-vpcd redis-server openssl python3-venv python3-dev gcc
  chromium firefox-esr fonts-wqy-microhei poppler-utils qpdf
  libnss3-tools libnss3-dev nodejs time
)
# npm lints the browser extension; NodeSource's nodejs bundles it, Debian's ships it apart
command -v npm >/dev/null 2>&1 || packages+=(npm)

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "xcapki: installing system packages needs root or sudo" >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "xcapki: system packages already installed"
  exit 0
fi

echo "xcapki: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
