"""Native messaging framing: a 4-byte length in native byte order, then UTF-8 JSON.

The browser starts the host with its stdin and stdout as the channel. Reads
are bounded before anything is allocated, so a broken or hostile peer gets a
``FramingError``, never a huge buffer or a hang on a partial frame.
"""

from __future__ import annotations

import json
import struct
from typing import IO, Any, Final

from xcapki.nativehost.errors import FramingError

__all__ = [
    "MAX_MESSAGE_BYTES",
    "MAX_REPLY_BYTES",
    "MIN_MESSAGE_BYTES",
    "read_message",
    "write_message",
]

MIN_MESSAGE_BYTES: Final = 5
"""Shorter than any request (``{"a":1}`` is 7); Web eID's host refuses below 5 too."""
MAX_MESSAGE_BYTES: Final = 1024 * 1024
"""SmartPKI pages send the content to sign in one message; a login text is a few kB."""
MAX_REPLY_BYTES: Final = 1024 * 1024
"""Chromium and Firefox refuse host messages over 1 MiB."""
_LENGTH: Final = struct.Struct("=I")


def read_message(
    stream: IO[bytes], *, limit: int = MAX_MESSAGE_BYTES
) -> tuple[dict[str, Any], int] | None:
    """The next message as a JSON object with its size in bytes; None at a clean end of
    input (the browser left)."""
    header = _read_exactly(stream, _LENGTH.size, allow_end=True)
    if header is None:
        return None
    (length,) = _LENGTH.unpack(header)
    if not MIN_MESSAGE_BYTES <= length <= limit:
        raise FramingError(
            f"a native message of {length} bytes is outside {MIN_MESSAGE_BYTES}..{limit}"
        )
    body = _read_exactly(stream, length, allow_end=False)
    assert body is not None
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FramingError(f"a native message is not UTF-8 JSON ({type(exc).__name__})") from None
    if not isinstance(message, dict):
        raise FramingError("a native message must be a JSON object")
    return message, length


def write_message(stream: IO[bytes], message: dict[str, Any]) -> None:
    """Write one message and flush it."""
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if len(body) > MAX_REPLY_BYTES:
        raise FramingError(f"a reply of {len(body)} bytes exceeds the browser's limit")
    stream.write(_LENGTH.pack(len(body)) + body)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int, *, allow_end: bool) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            if allow_end and remaining == size:
                return None
            raise FramingError("the input ended inside a native message")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
