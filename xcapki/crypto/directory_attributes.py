"""The ASN.1 of subjectDirectoryAttributes (RFC 5280, 4.2.1.8), where GPKI puts identity.

Shared by the certificate reader (``xcapki.crypto.profile``) and the test PKI
that writes such certificates, so both speak one encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from asn1crypto import core


class Attribute(core.Sequence):  # type: ignore[misc]
    """``Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET OF ANY }``."""

    _fields: ClassVar = [
        ("type", core.ObjectIdentifier),
        ("values", core.SetOf, {"spec": core.Any}),
    ]


class SubjectDirectoryAttributes(core.SequenceOf):  # type: ignore[misc]
    """``SubjectDirectoryAttributes ::= SEQUENCE SIZE (1..MAX) OF Attribute``."""

    _child_spec = Attribute


def encode_directory_attributes(entries: Sequence[tuple[str, core.Asn1Value]]) -> bytes:
    """DER of the extension value holding one single-valued attribute per (OID, value)."""
    encoded: bytes = SubjectDirectoryAttributes(
        [{"type": oid, "values": [core.Any.load(value.dump())]} for oid, value in entries]
    ).dump()
    return encoded
