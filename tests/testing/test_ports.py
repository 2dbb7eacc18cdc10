"""Ports for test servers come from below the kernel's ephemeral range, once each."""

from __future__ import annotations

import socket
from pathlib import Path

from xcapki.testing.ports import unused_port


def _ephemeral_start() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def test_ports_are_below_the_ephemeral_range_free_and_never_handed_out_twice() -> None:
    ports = [unused_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    assert all(1024 <= port < _ephemeral_start() for port in ports)
    with socket.socket() as server:
        server.bind(("127.0.0.1", ports[0]))  # still free: nothing took it meanwhile


def test_consecutive_ports_are_all_free_and_kept_apart_from_single_ones() -> None:
    first = unused_port(consecutive=2, host="0.0.0.0")  # noqa: S104 - as vpcd binds them
    singles = {unused_port() for _ in range(200)}
    assert not {first, first + 1} & singles
    for port in (first, first + 1):
        with socket.socket() as server:
            server.bind(("0.0.0.0", port))  # noqa: S104
