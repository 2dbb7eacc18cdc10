"""Which genuine certificates a portal admits (login-checks.md steps 5 and 9)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms.policy import DEFAULT_POLICY, AlgorithmPolicy
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.login import errors

__all__ = [
    "ANY_CERTIFICATE_POLICY",
    "CPA_FILING_POLICY",
    "DEFAULT_LOGIN_POLICY",
    "AnyCertificatePolicy",
    "LoginPolicy",
    "check_admission",
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


def check_admission(policy: LoginPolicy, profile: TaiwanCertificate) -> None:
    """Raise the ``PolicyRejectedError`` subclass for the first rule of ``policy`` that
    ``profile`` breaks: its authority, its certificate policies, its 統一編號."""
    if profile.authority not in policy.authorities:
        raise errors.AuthorityNotAllowedError(
            f"the certificate was issued by {profile.authority.name}; this portal admits "
            f"{', '.join(sorted(a.name for a in policy.authorities))}"
        )
    allowed = policy.certificate_policies
    if not isinstance(allowed, AnyCertificatePolicy) and not allowed & set(profile.policy_oids):
        raise errors.CertificatePolicyNotAllowedError(
            f"the certificate's policies {list(profile.policy_oids)} include none of "
            f"{sorted(allowed)}"
        )
    if policy.require_unified_business_number and profile.unified_business_number is None:
        raise errors.IdentityMissingError("the certificate carries no 統一編號")
