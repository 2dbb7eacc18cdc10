"""Which genuine certificates a portal admits (docs/login-checks.md steps 5, 8 and 9)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import DEFAULT_POLICY, AlgorithmPolicy
from xcapki.crypto.profile import SubjectClass

__all__ = [
    "ANY_CERTIFICATE_POLICY",
    "CARD_LOGIN_PURPOSE",
    "CPA_FILING_POLICY",
    "DEFAULT_LOGIN_POLICY",
    "AnyCertificatePolicy",
    "LoginPolicy",
    "PurposeRule",
]

CLIENT_AUTH: Final = "1.3.6.1.5.5.7.3.2"
EMAIL_PROTECTION: Final = "1.3.6.1.5.5.7.3.4"
DOCUMENT_SIGNING: Final = "1.3.6.1.5.5.7.3.36"
SMARTCARD_LOGON: Final = "1.3.6.1.4.1.311.20.2.2"
ANY_EXTENDED_KEY_USAGE: Final = "2.5.29.37.0"
OCSP_SIGNING: Final = "1.3.6.1.5.5.7.3.9"


@dataclass(frozen=True, slots=True, kw_only=True)
class PurposeRule:
    """Which certificates may log in at all: a card's signing certificate (step 8).

    A certificate passes when all of these hold:

    - it is an end-entity certificate (no basicConstraints cA, no keyCertSign);
    - its keyUsage is present and includes digitalSignature;
    - it has no extendedKeyUsage, or one that names at least one of
      ``extended_key_usages`` and none of ``refused_extended_key_usages``;
    - its subject class is not one of ``refused_subject_classes``.
    """

    extended_key_usages: frozenset[str] = frozenset(
        {CLIENT_AUTH, EMAIL_PROTECTION, DOCUMENT_SIGNING, SMARTCARD_LOGON, ANY_EXTENDED_KEY_USAGE}
    )
    """Client authentication and signing uses; an EKU naming only others (serverAuth,
    codeSigning, timeStamping, ...) is not a login certificate's."""
    refused_extended_key_usages: frozenset[str] = frozenset({OCSP_SIGNING})
    """Refused even beside an allowed one: an OCSP responder's delegated certificate."""
    refused_subject_classes: frozenset[SubjectClass] = frozenset({SubjectClass.SERVER})
    """Holders that never log in. Absent and unrecognised classes pass, because XCA's
    subject classes are not published."""


CARD_LOGIN_PURPOSE: Final = PurposeRule()
"""The safe default: a person's or an organisation's card signing certificate."""


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
    ``purpose``: which certificates may log in at all (``CARD_LOGIN_PURPOSE``).
    """

    authorities: frozenset[Authority] = _GPKI_CARD_AUTHORITIES
    certificate_policies: frozenset[str] | AnyCertificatePolicy = ANY_CERTIFICATE_POLICY
    algorithms: AlgorithmPolicy = DEFAULT_POLICY
    require_unified_business_number: bool = False
    purpose: PurposeRule = CARD_LOGIN_PURPOSE


DEFAULT_LOGIN_POLICY: Final = LoginPolicy()
"""Any GPKI card authority's signing certificate."""

CPA_FILING_POLICY: Final = LoginPolicy(authorities=frozenset({Authority.XCA}))
"""會計師查核簽證線上申報系統: XCA (組織及團體憑證) signing certificates only."""
