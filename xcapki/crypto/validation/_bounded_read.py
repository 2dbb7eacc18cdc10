"""Reading an HTTP answer's body up to a limit, never more.

Imported only when a validation checks revocation, as it loads aiohttp.
"""

from __future__ import annotations

from typing import Final

import aiohttp

__all__ = ["read_at_most"]

_CHUNK: Final = 64 * 1024


async def read_at_most(answer: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The whole body, or None as soon as it announces or delivers more than ``limit`` bytes.

    A body that never ends is read only up to the limit; the request's total
    timeout bounds one that arrives too slowly.
    """
    if answer.content_length is not None and answer.content_length > limit:
        return None
    body = bytearray()
    async for chunk in answer.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
