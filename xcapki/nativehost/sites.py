"""The sites the user trusts to use the card from SmartPKI pages: the service's trust list.

The host and the local signing service read and write one file
(``$XDG_CONFIG_HOME/xcapki/trusted-origins.json``), so a site trusted for
one is trusted for the other. The extension places the SmartPKI page API
only into pages of these sites, and the host checks again before a card
command runs.
"""

from __future__ import annotations

from pathlib import Path

from xcapki.nativehost.errors import OriginRefusedError
from xcapki.service.config import default_trust_list_path
from xcapki.service.trust import TrustList, normalise_trust_entry

__all__ = ["SiteList", "default_trust_list_path"]


class SiteList:
    """The trusted sites in ``path``; entries are https domains or exact origins."""

    __slots__ = ("_list",)

    def __init__(self, path: Path) -> None:
        self._list = TrustList(path)

    @property
    def entries(self) -> frozenset[str]:
        return self._list.entries

    def is_trusted(self, origin: str) -> bool:
        """Whether a page of ``origin`` (scheme://host[:port]) may use the card."""
        return self._list.is_trusted(origin)

    def approvable(self, origin: object) -> str:
        """The entry to add for ``origin``: https origins only (a user approves exactly one)."""
        entry = normalise_trust_entry(origin) if isinstance(origin, str) else None
        if entry is None or not entry.startswith("https://"):
            raise OriginRefusedError(
                f"{str(origin)[:80]!r} is not an https origin: only secure pages can be trusted"
            )
        return entry

    def add(self, entry: str) -> None:
        self._list.add(entry)
