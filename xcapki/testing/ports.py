"""TCP ports for the servers the test components start: free now, and staying free.

A port the kernel hands out for port 0 comes from its ephemeral range, the
range it also takes every outgoing connection's port from: between choosing
such a port and a server binding it (redis-server starting, pcscd restarting
for a whole test session) another socket may take it. Ports are therefore
chosen below that range, at random, checked free, and never handed out twice
by one process.
"""

from __future__ import annotations

import secrets
import socket
import threading
from pathlib import Path
from typing import Final

from xcapki.testing.errors import TestingError

__all__ = ["unused_port"]

_ATTEMPTS: Final = 500
_handed_out: set[int] = set()
_lock = threading.Lock()


def unused_port(*, consecutive: int = 1, host: str = "127.0.0.1") -> int:
    """A port ``p`` such that ``p`` to ``p + consecutive - 1`` are free on ``host``, below
    the kernel's ephemeral range, and not handed out before by this process."""
    low = _ephemeral_range_start()
    floor = max(1024, min(20000, low - 2000))
    span = low - consecutive - floor
    with _lock:
        for _ in range(_ATTEMPTS):
            port = floor + secrets.randbelow(span) if span > 0 else _kernel_port(host)
            wanted = range(port, port + consecutive)
            if all(p < 65536 and p not in _handed_out and _free(host, p) for p in wanted):
                _handed_out.update(wanted)
                return port
    raise TestingError(f"no {consecutive} free TCP port(s) on {host}; stop some servers")


def _free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _kernel_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _ephemeral_range_start() -> int:
    """The first port the kernel hands out for port 0 (Linux's default is 32768)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768
