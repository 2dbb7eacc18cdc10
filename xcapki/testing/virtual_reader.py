"""A virtual smart card that plugs into pcscd's vpcd reader driver.

vpcd (Debian vsmartcard-vpcd) listens on a TCP port per virtual reader; a
card "is inserted" while a client is connected to that port. This module is
that client: it speaks the vpcd protocol (2-byte big-endian length prefix;
a 1-byte message is a control code, anything longer is an APDU) and answers
APDUs through a pluggable responder. It exists so reader tests exercise real
pcscd and libpcsclite code, not mocks, without Debian's vicc (which needs
extra set-up and is slow without TCP_NODELAY).
"""

from __future__ import annotations

import contextlib
import enum
import socket
import struct
import threading
import time
from collections.abc import Callable

__all__ = [
    "DEMO_AID",
    "DEMO_LONG_OBJECT_SIZE",
    "DEMO_SHORT_FILE",
    "HICOS_GEN1_ATR",
    "DemoApplet",
    "EmulatedCard",
    "Responder",
]

HICOS_GEN1_ATR = bytes.fromhex("3BB8130081 31FA52 4348544D4F494341 A5")
"""The Chunghwa Telecom HiCOS Gen1 (MOICA) ATR seen in the field."""

DEMO_AID = bytes.fromhex("A000000000584341504B49")
"""The AID the demo applet answers SELECT for (ends in ASCII ``XCAPKI``)."""

DEMO_SHORT_FILE = bytes(range(32))
"""What READ BINARY returns; asking for another length earns ``6C20``."""

DEMO_LONG_OBJECT_SIZE = 600
"""Bytes behind GET DATA, delivered in a ``61xx`` GET RESPONSE chain."""

Responder = Callable[[bytes], bytes | None]
"""Maps a command APDU to a response APDU; ``None`` pulls the card out."""

_CTRL_POWER_OFF = 0x00
_CTRL_POWER_ON = 0x01
_CTRL_RESET = 0x02
_CTRL_GET_ATR = 0x04


class DemoApplet:
    """A tiny ISO 7816-4 card application with the T=0 cases readers must handle.

    ``00 A4 04 00`` SELECT by AID, ``00 B0`` READ BINARY (wrong Le gives
    ``6Cxx``), ``80 CA`` GET DATA (answers ``61xx``, fetched with ``00 C0``
    GET RESPONSE), ``80 EE`` ECHO, and ``80 DD`` which pulls the card out in
    the middle of the exchange.
    """

    def __init__(self, long_object_size: int = DEMO_LONG_OBJECT_SIZE) -> None:
        self._long_object = bytes(i % 251 for i in range(long_object_size))
        self._pending = b""

    def respond(self, apdu: bytes) -> bytes | None:
        """Answer one command APDU."""
        if len(apdu) < 4:
            return b"\x67\x00"
        cla, ins, p1, _p2 = apdu[:4]
        body = apdu[4:]
        if cla not in (0x00, 0x80):
            return b"\x6e\x00"
        if ins == 0xC0:
            return self._get_response(body)
        self._pending = b""
        if (cla, ins) == (0x00, 0xA4):
            return self._select(p1, body)
        if (cla, ins) == (0x00, 0xB0):
            le = body[0] if len(body) == 1 else -1
            wanted = 256 if le == 0 else le
            if wanted != len(DEMO_SHORT_FILE):
                return bytes([0x6C, len(DEMO_SHORT_FILE)])
            return DEMO_SHORT_FILE + b"\x90\x00"
        if (cla, ins) == (0x80, 0xCA):
            self._pending = self._long_object
            return self._more_available()
        if (cla, ins) == (0x80, 0xEE):
            data = body[1 : 1 + body[0]] if body else b""
            return data + b"\x90\x00"
        if (cla, ins) == (0x80, 0xDD):
            return None
        return b"\x6d\x00"

    def _select(self, p1: int, body: bytes) -> bytes:
        if p1 != 0x04 or not body:
            return b"\x6a\x86"
        aid = body[1 : 1 + body[0]]
        return b"\x90\x00" if aid == DEMO_AID else b"\x6a\x82"

    def _get_response(self, body: bytes) -> bytes:
        if not self._pending:
            return b"\x69\x85"
        le = body[0] if body else 0
        size = 256 if le == 0 else le
        chunk, self._pending = self._pending[:size], self._pending[size:]
        return chunk + self._more_available()

    def _more_available(self) -> bytes:
        if not self._pending:
            return b"\x90\x00"
        return bytes([0x61, min(len(self._pending), 256) % 256])


class EmulatedCard:
    """One virtual card for one vpcd reader port; insert and remove it at will.

    ``insert()`` connects to vpcd (pcscd notices on its next presence poll),
    ``remove()`` disconnects. The card answers vpcd's control messages with
    its ATR and hands APDUs to ``responder``.
    """

    def __init__(
        self,
        port: int,
        *,
        atr: bytes = HICOS_GEN1_ATR,
        responder: Responder | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.port = port
        self.host = host
        self.atr = atr
        self._responder: Responder = responder or DemoApplet().respond
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._seen_by_reader = threading.Event()
        self._seen_at: float | None = None
        self.apdu_count = 0

    @property
    def inserted(self) -> bool:
        """Whether the card is currently connected to vpcd."""
        return self._sock is not None

    @property
    def seen_at(self) -> float | None:
        """``time.perf_counter()`` when pcscd first asked this insertion for its ATR."""
        return self._seen_at

    def wait_seen(self, timeout: float) -> bool:
        """Block until pcscd has polled this insertion (asked for the ATR)."""
        return self._seen_by_reader.wait(timeout)

    def insert(self) -> None:
        """Connect to vpcd: the reader now holds a card."""
        with self._lock:
            if self._sock is not None:
                return
            sock = socket.create_connection((self.host, self.port), timeout=5)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(None)
            self._seen_by_reader.clear()
            self._seen_at = None
            self._sock = sock
            self._thread = threading.Thread(
                target=self._serve, args=(sock,), name=f"virtual-card-{self.port}", daemon=True
            )
            self._thread.start()

    def remove(self) -> None:
        """Disconnect from vpcd: the card leaves the reader."""
        with self._lock:
            sock, thread = self._sock, self._thread
            self._sock = self._thread = None
        if sock is not None:
            _close(sock)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def close(self) -> None:
        """Remove the card if inserted."""
        self.remove()

    def __enter__(self) -> EmulatedCard:
        self.insert()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                message = _recv_frame(sock)
                if message is None:
                    break
                reply = self._handle(message)
                if reply is _Pull.CARD:
                    break
                if isinstance(reply, bytes):
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            pass
        with self._lock:
            if self._sock is sock:
                self._sock = self._thread = None
        _close(sock)

    def _handle(self, message: bytes) -> bytes | _Pull | None:
        if len(message) == 1:
            if message[0] == _CTRL_GET_ATR:
                if not self._seen_by_reader.is_set():
                    self._seen_at = time.perf_counter()
                    self._seen_by_reader.set()
                return self.atr
            if message[0] in (_CTRL_POWER_OFF, _CTRL_POWER_ON, _CTRL_RESET):
                return None
        self.apdu_count += 1
        answer = self._responder(message)
        return _Pull.CARD if answer is None else answer


class _Pull(enum.Enum):
    """The responder asked to pull the card out instead of answering."""

    CARD = enum.auto()


def _recv_frame(sock: socket.socket) -> bytes | None:
    header = _recv_exact(sock, 2)
    if header is None:
        return None
    (length,) = struct.unpack(">H", header)
    return _recv_exact(sock, length)


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
