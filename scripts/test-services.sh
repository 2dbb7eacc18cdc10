#!/usr/bin/env bash
# Starts or stops the system-wide services xcapki's tests use, by PID.
# pcscd and redis-server are started by the tests themselves, privately, on their own
# sockets and ports; only opencryptoki's pkcsslotd is system-wide.
set -euo pipefail
cd "$(dirname "$0")/.."
pid_file=/var/run/pkcsslotd.pid

case "${1:-}" in
  start)
    scripts/opencryptoki-setup.sh
    ;;
  stop)
    if [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
      kill "$(cat "$pid_file")"
      echo "xcapki: pkcsslotd stopped"
    else
      echo "xcapki: pkcsslotd is not running"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
