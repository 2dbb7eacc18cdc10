"""Reading verdicts out of the OCSP responses and CRLs a validation fetched.

These functions never decide whether an answer is trustworthy (certvalidator
did that before the path was accepted); they only report what an accepted, or
already rejected, answer said about a certificate.
"""

from __future__ import annotations

import datetime
import threading
import weakref
from typing import Final

from asn1crypto import crl, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from xcapki.crypto.validation._fetchers import FetchRecord
from xcapki.crypto.validation._status import (
    NOT_CHECKED,
    UNAVAILABLE,
    RevocationData,
    RevocationReason,
    RevocationSource,
    RevocationState,
    RevocationStatus,
)

__all__ = ["ocsp_cert_status", "revoked_status", "status_from_record"]

_CRL_DER: Final[weakref.WeakKeyDictionary[crl.CertificateList, bytes]] = weakref.WeakKeyDictionary()
_CRL_DER_LOCK: Final = threading.Lock()


def _crl_der(certificate_list: crl.CertificateList) -> bytes:
    """The DER of a fetched or cached CRL, one copy per CRL object.

    asn1crypto's ``dump`` builds new bytes on every call, and each verdict a
    CRL decides keeps the CRL as evidence while the verdict is cached; the
    validator's CRL cache hands out the same object, so all those verdicts
    share one copy instead of one (of megabytes) per certificate.
    """
    with _CRL_DER_LOCK:
        der = _CRL_DER.get(certificate_list)
        if der is None:
            der = _CRL_DER[certificate_list] = certificate_list.dump()
        return der


def _single_response(
    response: ocsp.OCSPResponse, cert: asn1_x509.Certificate
) -> ocsp.SingleResponse | None:
    if response["response_status"].native != "successful":
        return None
    basic = response["response_bytes"]["response"].parsed
    for single in basic["tbs_response_data"]["responses"]:
        if single["cert_id"]["serial_number"].native == cert.serial_number:
            return single
    return None


def ocsp_cert_status(response: ocsp.OCSPResponse, cert: asn1_x509.Certificate) -> str | None:
    """'good', 'revoked' or 'unknown' for ``cert`` in ``response``; None if absent."""
    single = _single_response(response, cert)
    return None if single is None else str(single["cert_status"].name)


def _crl_window(
    crls: list[crl.CertificateList],
) -> tuple[datetime.datetime, datetime.datetime | None]:
    this_update = max(c["tbs_cert_list"]["this_update"].native for c in crls)
    next_updates = [c["tbs_cert_list"]["next_update"].native for c in crls]
    next_update = None if any(n is None for n in next_updates) else min(next_updates)
    return this_update, next_update


def status_from_record(
    cert: asn1_x509.Certificate,
    record: FetchRecord,
    *,
    cached: RevocationStatus | None,
    issuer: x509.Certificate,
) -> RevocationStatus:
    """The verdict behind an accepted path for ``cert``.

    certvalidator consults CRLs only when OCSP gave no GOOD answer, so a CRL
    consulted for the certificate means the CRL decided.
    """
    key = cert.sha256
    if key in record.crl_consulted:
        crls = record.crls.get(key)
        if crls and all(_signed_by(c, issuer) for c in crls):
            this_update, next_update = _crl_window(crls)
            return RevocationStatus(
                state=RevocationState.GOOD,
                source=RevocationSource.CRL,
                this_update=this_update,
                next_update=next_update,
                data=RevocationData(crls=tuple(_crl_der(c) for c in crls)),
            )
        return UNAVAILABLE
    response = record.ocsp.get(key)
    if response is not None:
        single = _single_response(response, cert)
        if single is not None and single["cert_status"].name == "good":
            return RevocationStatus(
                state=RevocationState.GOOD,
                source=RevocationSource.OCSP,
                this_update=single["this_update"].native,
                next_update=single["next_update"].native,
                data=RevocationData(ocsp_responses=(response.dump(),)),
            )
    if key in record.ocsp_failed:
        return UNAVAILABLE
    if cached is not None:
        return cached
    return NOT_CHECKED


def _signed_by(certificate_list: crl.CertificateList, issuer: x509.Certificate) -> bool:
    """Whether the CRL verifies under ``issuer``'s key. Under soft-fail certvalidator accepts a
    path whatever the CRL it consulted was, so a CRL that does not verify says nothing."""
    try:
        loaded = x509.load_der_x509_crl(certificate_list.dump())
        key = issuer.public_key()
        if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            return False
        return loaded.is_signature_valid(key)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False


def revoked_status(cert: asn1_x509.Certificate, record: FetchRecord) -> RevocationStatus | None:
    """The REVOKED verdict the fetched answers give for ``cert``, if any."""
    response = record.ocsp.get(cert.sha256)
    if response is not None:
        single = _single_response(response, cert)
        if single is not None and single["cert_status"].name == "revoked":
            info = single["cert_status"].chosen
            return RevocationStatus(
                state=RevocationState.REVOKED,
                source=RevocationSource.OCSP,
                this_update=single["this_update"].native,
                next_update=single["next_update"].native,
                reason=RevocationReason.from_name(info["revocation_reason"].native),
                revoked_at=info["revocation_time"].native,
                data=RevocationData(ocsp_responses=(response.dump(),)),
            )
    for certificate_list in record.crls.get(cert.sha256, ()):
        tbs = certificate_list["tbs_cert_list"]
        for entry in tbs["revoked_certificates"]:
            if entry["user_certificate"].native != cert.serial_number:
                continue
            return RevocationStatus(
                state=RevocationState.REVOKED,
                source=RevocationSource.CRL,
                this_update=tbs["this_update"].native,
                next_update=tbs["next_update"].native,
                reason=RevocationReason.from_name(
                    entry.crl_reason_value.native if entry.crl_reason_value else None
                ),
                revoked_at=entry["revocation_date"].native,
                data=RevocationData(crls=(_crl_der(certificate_list),)),
            )
    return None
