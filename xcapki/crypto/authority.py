"""The certification authorities of Taiwan's GPKI, recognised by their CA's exact name."""

from __future__ import annotations

import enum
from typing import Final

from cryptography import x509
from cryptography.x509.oid import NameOID

__all__ = ["Authority", "authority_of_ca_name"]

_COUNTRY: Final = "TW"
_EXECUTIVE_YUAN: Final = "行政院"


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
        """The authority whose OU is exactly ``unit``; ``OTHER`` when none is."""
        for authority in cls:
            if authority is not cls.OTHER and authority.value == unit:
                return authority
        return cls.OTHER


def authority_of_ca_name(name: x509.Name) -> Authority:
    """The authority whose CA is named exactly ``C=TW, O=行政院, OU=<its OU>``; else ``OTHER``.

    The name must hold those three single-valued RDNs in that order with
    exactly those values: nothing is trimmed, folded or normalised, so a CA
    whose name merely looks like a GPKI authority's (a trailing space, a
    no-break space, an extra RDN) is ``OTHER``.
    """
    rdns = list(name.rdns)
    if len(rdns) != 3 or any(len(rdn) != 1 for rdn in rdns):
        return Authority.OTHER
    country, organisation, unit = (next(iter(rdn)) for rdn in rdns)
    if (
        country.oid != NameOID.COUNTRY_NAME
        or country.value != _COUNTRY
        or organisation.oid != NameOID.ORGANIZATION_NAME
        or organisation.value != _EXECUTIVE_YUAN
        or unit.oid != NameOID.ORGANIZATIONAL_UNIT_NAME
        or not isinstance(unit.value, str)
    ):
        return Authority.OTHER
    return Authority.from_organisational_unit(unit.value)
