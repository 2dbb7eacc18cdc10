"""The certificate checks of a login, as functions any login validator can call.

Each takes a ``TaiwanCertificate`` (read strictly by the profile) and raises
the ``LoginError`` of its step in docs/login-checks.md: 8 purpose and
validity, 9 the portal's policy. ``LoginVerifier`` calls them in that order;
another validator of card logins (a Web eID one, say) calls the same ones,
so both admit exactly the same certificates.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from xcapki.crypto.profile import CertificatePurpose, TaiwanCertificate
from xcapki.login import errors
from xcapki.login.policy import AnyCertificatePolicy, LoginPolicy, PurposeRule

__all__ = ["check_admitted", "check_purpose", "check_signed_card_serial", "check_validity"]


def check_purpose(profile: TaiwanCertificate, rule: PurposeRule) -> None:
    """Step 8: the certificate is a card's login certificate under ``rule``.

    Raises ``KeyUsageRejectedError`` for an encryption-only certificate (the
    card's KEYX one) and ``CertificatePurposeError`` for any other misfit.
    """
    purpose = profile.purpose
    if purpose is CertificatePurpose.ENCRYPTION:
        raise errors.KeyUsageRejectedError(
            "the signer certificate is an encryption certificate (keyEncipherment or "
            "dataEncipherment without digitalSignature); a login needs the card's signing "
            "certificate"
        )
    if purpose is CertificatePurpose.CERTIFICATE_AUTHORITY:
        raise errors.CertificatePurposeError(
            "the signer certificate is a CA certificate (basicConstraints cA or keyCertSign); "
            "a login needs a card's end-entity signing certificate"
        )
    if not purpose.allows_signing:
        raise errors.CertificatePurposeError(
            "the signer certificate's keyUsage is absent or lacks digitalSignature; a login "
            "needs a card's signing certificate"
        )
    usages = profile.extended_key_usages
    if usages is not None:
        refused = sorted(set(usages) & rule.refused_extended_key_usages)
        if refused:
            raise errors.CertificatePurposeError(
                f"the signer certificate's extendedKeyUsage names {', '.join(refused)}, which "
                "no login certificate carries (an OCSP responder's certificate)"
            )
        if not set(usages) & rule.extended_key_usages:
            named = ", ".join(usages) or "nothing"
            raise errors.CertificatePurposeError(
                f"the signer certificate's extendedKeyUsage allows only {named}; a login needs "
                "client authentication or a signing use"
            )
    if profile.subject_class in rule.refused_subject_classes:
        raise errors.CertificatePurposeError(
            f"the signer certificate's subject class is {profile.subject_class.name}; a login "
            "needs a card issued to a person or an organisation"
        )


def check_validity(profile: TaiwanCertificate, now: datetime, skew: timedelta) -> None:
    """Step 8: ``now`` lies within the certificate's validity period, give or take ``skew``."""
    if now > profile.not_after + skew:
        raise errors.CertificateExpiredError(
            f"the signer certificate expired at {profile.not_after.isoformat()}",
            expired_at=profile.not_after,
        )
    if now < profile.not_before - skew:
        raise errors.CertificateNotYetValidError(
            f"the signer certificate is valid from {profile.not_before.isoformat()}",
            valid_from=profile.not_before,
        )


def check_signed_card_serial(profile: TaiwanCertificate, signed_serial: str | None) -> None:
    """Step 8: a signed card-serial attribute names the certificate's own card."""
    if signed_serial and profile.card_serial and signed_serial != profile.card_serial:
        raise errors.SignedAttributeRejectedError(
            f"the signed card serial {signed_serial!r} differs from the certificate's "
            f"{profile.card_serial!r}"
        )


def check_admitted(profile: TaiwanCertificate, policy: LoginPolicy) -> None:
    """Step 9: the portal admits certificates of this authority, policy and identity."""
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
