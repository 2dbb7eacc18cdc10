"""The certification authorities of Taiwan's GPKI, by the OU of their DN."""

from __future__ import annotations

import enum


class Authority(enum.Enum):
    """Which GPKI authority issued a card certificate.

    The value is the issuer's organisational unit (``C=TW, O=行政院, OU=...``).
    ``OTHER`` is any issuer outside the GPKI family.
    """

    XCA = "組織及團體憑證管理中心"
    GCA = "政府憑證管理中心"
    MOICA = "內政部憑證管理中心"
    MOEACA = "工商憑證管理中心"
    TEST = "政府測試憑證管理中心"
    OTHER = ""

    @classmethod
    def from_organisational_unit(cls, unit: str) -> Authority:
        """The authority whose OU is ``unit``; ``OTHER`` when none is."""
        for authority in cls:
            if authority is not cls.OTHER and authority.value == unit:
                return authority
        return cls.OTHER
