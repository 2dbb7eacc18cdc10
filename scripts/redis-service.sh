#!/bin/sh
# Start or stop a private redis-server for the login tests and benchmark.
#
#   scripts/redis-service.sh start   -> prints REDIS_URL=redis://127.0.0.1:<port>/0
#   scripts/redis-service.sh stop    -> stops the server it started, by PID
#   scripts/redis-service.sh status
#
# The server listens on a free loopback port, keeps nothing on disk, and
# lives in XCAPKI_REDIS_DIR (default /tmp/xcapki-login-redis). The login
# tests start their own server in a session fixture; this script is for
# running a portal or the examples by hand against Redis.
set -eu

state_dir="${XCAPKI_REDIS_DIR:-/tmp/xcapki-login-redis}"
pid_file="$state_dir/redis.pid"
url_file="$state_dir/redis.url"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

running() {
    [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

case "${1:-}" in
start)
    if running; then
        echo "REDIS_URL=$(cat "$url_file")"
        exit 0
    fi
    command -v redis-server >/dev/null || {
        echo "redis-server is not installed: apt-get install redis-server" >&2
        exit 1
    }
    mkdir -p "$state_dir"
    port="$(free_port)"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$state_dir" --daemonize yes --pidfile "$pid_file" \
        --logfile "$state_dir/redis.log"
    tries=0
    until redis-cli -p "$port" ping >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 100 ] || { echo "redis-server did not start, see $state_dir/redis.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "redis://127.0.0.1:$port/0" >"$url_file"
    echo "REDIS_URL=redis://127.0.0.1:$port/0"
    ;;
stop)
    if running; then
        pid="$(cat "$pid_file")"
        kill "$pid"
        tries=0
        while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 50 ]; do
            tries=$((tries + 1))
            sleep 0.1
        done
    fi
    rm -f "$pid_file" "$url_file"
    ;;
status)
    if running; then echo "running: $(cat "$url_file") (pid $(cat "$pid_file"))"; else echo "stopped"; fi
    ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
