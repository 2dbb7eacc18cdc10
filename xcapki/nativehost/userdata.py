"""The user data of a 工商憑證 secondary card: the attribute certificate authorising its holder.

A MOEACA secondary card (附卡) is issued to a person acting for a company;
beside its key pairs it carries an attribute certificate (RFC 5755) by
which the company's authority vouches for that holder. SmartPKI's
``ReadUserData`` hands it to the page, which submits it as
``attributeCertData`` for the portal to check. It is stored as a private
data object, so it is read after the PIN login. The host gives the one data
object that is an attribute certificate and, when its holder names a base
certificate, names this card's signing certificate; it does not judge the
attribute certificate further (that is the portal's job).
"""

from __future__ import annotations

from collections.abc import Iterable

from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import x509 as asn1_x509
from cryptography import x509

__all__ = ["attribute_certificate"]


def attribute_certificate(
    objects: Iterable[tuple[str, bytes]], holder: x509.Certificate
) -> bytes | None:
    """The DER of the attribute certificate among ``objects`` (label, value) held by
    ``holder``'s card; ``None`` when the card carries none."""
    issuer = asn1_x509.Name.load(holder.issuer.public_bytes())
    for _label, value in objects:
        named = _holder_of(value)
        if named is None:
            continue
        names, serial = named
        if serial is None or (serial == holder.serial_number and issuer in names):
            return value
    return None


def _holder_of(value: bytes) -> tuple[list[asn1_x509.Name], int | None] | None:
    """(issuer names, serial) of the base certificate an attribute certificate's holder
    names ((``[]``, None) when it names none); ``None`` when ``value`` is no attribute
    certificate."""
    try:
        parsed = asn1_cms.AttributeCertificateV2.load(value, strict=True)
        base = parsed["ac_info"]["holder"]["base_certificate_id"]
        if isinstance(base, asn1_core.Void):
            return [], None
        names = [name.chosen for name in base["issuer"] if name.name == "directory_name"]
        return names, int(base["serial"].native)
    except (ValueError, TypeError, KeyError):
        return None
