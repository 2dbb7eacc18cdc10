#!/usr/bin/env bash
# Prepares opencryptoki's software token for xcapki's PIN-lockout tests and starts pkcsslotd.
# Idempotent: an existing soft-token slot, state directories and a live daemon are left alone.
# Runs as root (the tests then run as root or as a member of group pkcs11).
set -euo pipefail

conf=/etc/opencryptoki/opencryptoki.conf
pid_file=/var/run/pkcsslotd.pid

if [ "$(id -u)" -ne 0 ]; then
  echo "xcapki: opencryptoki set-up needs root" >&2
  exit 1
fi
if [ ! -x /usr/sbin/pkcsslotd ]; then
  echo "xcapki: opencryptoki is not installed; run scripts/install-system-packages.sh" >&2
  exit 1
fi

getent group pkcs11 >/dev/null || groupadd --system pkcs11

if ! grep -q 'libpkcs11_sw.so' "$conf" 2>/dev/null; then
  echo "xcapki: adding the software token slot to $conf"
  mkdir -p "$(dirname "$conf")"
  printf 'version opencryptoki-3.1\n\nslot 3\n{\nstdll = libpkcs11_sw.so\n}\n' >"$conf"
fi

for dir in /var/lib/opencryptoki/swtok/TOK_OBJ /var/lock/opencryptoki/swtok; do
  install -d -m 0770 -g pkcs11 "$dir"
done
install -d -m 0770 -g pkcs11 /var/lib/opencryptoki /var/lock/opencryptoki

if [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  echo "xcapki: pkcsslotd already running (PID $(cat "$pid_file"))"
else
  rm -f "$pid_file"
  /usr/sbin/pkcsslotd
  for _ in $(seq 50); do
    [ -s "$pid_file" ] && break
    sleep 0.1
  done
  echo "xcapki: pkcsslotd started (PID $(cat "$pid_file"))"
fi

/usr/sbin/pkcsconf -t | grep -q 'SoftTok' || {
  echo "xcapki: pkcsslotd runs but lists no software token; check $conf" >&2
  exit 1
}
echo "xcapki: opencryptoki software token ready"
