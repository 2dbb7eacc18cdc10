"""Which genuine certificates a portal admits (login-checks.md steps 5 and 9)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms.policy import DEFAULT_POLICY, AlgorithmPolicy

__all__ = [
    "ANY_CERTIFICATE_POLICY",
    "CPA_FILING_POLICY",
    "DEFAULT_LOGIN_POLICY",
    "AnyCertificatePolicy",
    "LoginPolicy",
]


class AnyCertificatePolicy(enum.Enum):
    """Sentinel type: admit a certificate whatever policy OIDs it carries."""

    ANY = "any-certificate-policy"


ANY_CERTIFICATE_POLICY: Final = AnyCertificatePolicy.ANY
"""XCA's and GCA's policy OIDs are unverified, so the default checks none."""

_GPKI_CARD_AUTHORITIES: Final = frozenset(
    {Authority.XCA, Authority.GCA, Authority.MOICA, Authority.MOEACA}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginPolicy:
    """What a portal admits besides a valid signature by a trusted, unrevoked card.

    ``authorities``: the issuing authorities accepted (by the issuing CA's
    OU, confirmed by the trusted path). ``certificate_policies``: the policy
    OIDs of which the certificate must carry at least one, or
    ``ANY_CERTIFICATE_POLICY``. ``algorithms``: the CMS allow-list (SHA-1 only
    through ``LEGACY_SHA1_POLICY``). ``require_unified_business_number``:
    refuse certificates without a 統一編號, for portals that key accounts on it.
    """

    authorities: frozenset[Authority] = _GPKI_CARD_AUTHORITIES
    certificate_policies: frozenset[str] | AnyCertificatePolicy = ANY_CERTIFICATE_POLICY
    algorithms: AlgorithmPolicy = DEFAULT_POLICY
    require_unified_business_number: bool = False


DEFAULT_LOGIN_POLICY: Final = LoginPolicy()
"""Any GPKI card authority's signing certificate."""

CPA_FILING_POLICY: Final = LoginPolicy(authorities=frozenset({Authority.XCA}))
"""會計師查核簽證線上申報系統: XCA (組織及團體憑證) signing certificates only."""
