"""Hypothesis strategies that mutate a valid card certificate, and how to apply them.

A mutation drops, duplicates, reorders, corrupts or marks critical an
extension or a directory attribute, swaps or alters the names, or sets key
usage, extended key usage or basic constraints to other values. The result
is signed again by the issuing CA (tests/hostile_pki.py), so only what was
mutated differs from a certificate the CA really issued.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import hostile_pki
from asn1crypto import core
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import strategies as st

from xcapki.crypto import oids

Mutation = tuple[object, ...]

_EKUS = (
    ExtendedKeyUsageOID.CLIENT_AUTH,
    ExtendedKeyUsageOID.SERVER_AUTH,
    ExtendedKeyUsageOID.EMAIL_PROTECTION,
    ExtendedKeyUsageOID.CODE_SIGNING,
    ExtendedKeyUsageOID.TIME_STAMPING,
    ExtendedKeyUsageOID.OCSP_SIGNING,
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
)

_IDENTITY_ATTRIBUTES = (
    oids.SUBJECT_CLASS,
    oids.UNIFIED_BUSINESS_NUMBER,
    oids.CARD_SERIAL,
    oids.MOICA_ID_DIGITS,
    oids.ORGANISATION_OID,
    oids.CARD_RANK,
)

_VALUES = (
    core.PrintableString("12345678").dump(),
    core.PrintableString(" 12345678").dump(),
    core.UTF8String("12345678\n").dump(),
    core.UTF8String("１２３４５６７８").dump(),
    core.PrintableString("").dump(),
    core.PrintableString("TP00000000000001").dump(),
    core.ObjectIdentifier(oids.SUBJECT_CLASS_SERVER).dump(),
    core.ObjectIdentifier(oids.SUBJECT_CLASS_NATURAL_PERSON).dump(),
    core.Integer(12345678).dump(),
    core.OctetString(b"\x00\x01").dump(),
    b"\x0c\x81\x01A",
)

_UNIT_VARIANTS = (
    "組織及團體憑證管理中心 ",
    "\u00a0組織及團體憑證管理中心",
    "內政部憑證管理中心",
    "",
)


def mutations() -> st.SearchStrategy[list[Mutation]]:
    """One to four mutations; indices are taken modulo the length they apply to."""
    index = st.integers(min_value=0, max_value=15)
    one = st.one_of(
        st.tuples(st.just("drop"), index),
        st.tuples(st.just("duplicate"), index),
        st.tuples(st.just("reorder"), st.randoms(use_true_random=False)),
        st.tuples(st.just("corrupt"), index, st.binary(max_size=24)),
        st.tuples(st.just("truncate"), index, st.integers(min_value=1, max_value=8)),
        st.tuples(st.just("critical"), index),
        st.tuples(st.just("key_usage"), st.lists(st.booleans(), min_size=9, max_size=9)),
        st.tuples(st.just("no_key_usage")),
        st.tuples(st.just("eku"), st.lists(st.sampled_from(_EKUS), max_size=3)),
        st.tuples(st.just("basic_constraints"), st.booleans(), st.booleans()),
        st.tuples(st.just("attribute_drop"), index),
        st.tuples(st.just("attribute_duplicate"), index),
        st.tuples(st.just("attribute_set"), st.sampled_from(_IDENTITY_ATTRIBUTES), index),
        st.tuples(st.just("attribute_add"), st.sampled_from(_IDENTITY_ATTRIBUTES), index),
        st.tuples(st.just("swap_names")),
        st.tuples(st.just("issuer_unit"), st.sampled_from(_UNIT_VARIANTS)),
        st.tuples(st.just("no_aki")),
    )
    return st.lists(one, min_size=1, max_size=4)


def apply(
    parts: hostile_pki.CertificateParts, changes: Sequence[Mutation]
) -> hostile_pki.CertificateParts:
    for change in changes:
        parts = _apply_one(parts, change)
    return parts


def _apply_one(
    parts: hostile_pki.CertificateParts, change: Mutation
) -> hostile_pki.CertificateParts:
    kind = change[0]
    extensions = list(parts.extensions)
    if kind in ("drop", "duplicate", "corrupt", "truncate", "critical") and not extensions:
        return parts
    if kind == "drop":
        del extensions[_at(change[1], extensions)]
    elif kind == "duplicate":
        extensions.append(extensions[_at(change[1], extensions)])
    elif kind == "reorder":
        change[1].shuffle(extensions)  # type: ignore[attr-defined]
    elif kind == "corrupt":
        position = _at(change[1], extensions)
        extensions[position] = dataclasses.replace(extensions[position], value=change[2])
    elif kind == "truncate":
        position = _at(change[1], extensions)
        value = extensions[position].value
        extensions[position] = dataclasses.replace(
            extensions[position], value=value[: max(0, len(value) - int(change[2]))]
        )
    elif kind == "critical":
        position = _at(change[1], extensions)
        extensions[position] = dataclasses.replace(
            extensions[position], critical=not extensions[position].critical
        )
    else:
        return _apply_value(parts, change)
    return dataclasses.replace(parts, extensions=tuple(extensions))


def _apply_value(
    parts: hostile_pki.CertificateParts, change: Mutation
) -> hostile_pki.CertificateParts:
    kind = change[0]
    if kind == "key_usage":
        flags = change[1]
        assert isinstance(flags, list)
        value = _key_usage(flags)
        return hostile_pki.replace_extension(parts, hostile_pki.KEY_USAGE, value, critical=True)
    if kind == "no_key_usage":
        return hostile_pki.replace_extension(parts, hostile_pki.KEY_USAGE, None)
    if kind == "eku":
        usages = change[1]
        assert isinstance(usages, list)
        value = x509.ExtendedKeyUsage(usages).public_bytes() if usages else None
        return hostile_pki.replace_extension(parts, hostile_pki.EXTENDED_KEY_USAGE, value)
    if kind == "basic_constraints":
        value = x509.BasicConstraints(ca=bool(change[1]), path_length=None).public_bytes()
        return hostile_pki.replace_extension(
            parts, hostile_pki.BASIC_CONSTRAINTS, value, critical=bool(change[2])
        )
    if kind == "swap_names":
        return dataclasses.replace(parts, subject=parts.issuer, issuer=parts.subject)
    if kind == "issuer_unit":
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "行政院"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, str(change[1])),
            ]
        )
        return dataclasses.replace(parts, issuer=name.public_bytes())
    if kind == "no_aki":
        return hostile_pki.replace_extension(parts, hostile_pki.AUTHORITY_KEY_IDENTIFIER, None)
    return _apply_attribute(parts, change)


def _apply_attribute(
    parts: hostile_pki.CertificateParts, change: Mutation
) -> hostile_pki.CertificateParts:
    current = next(
        (e for e in parts.extensions if e.oid == hostile_pki.SUBJECT_DIRECTORY_ATTRIBUTES), None
    )
    if current is None:
        return parts
    try:
        entries = hostile_pki.directory_attributes(current.value)
    except ValueError:
        return parts
    kind = change[0]
    if kind == "attribute_drop" and entries:
        del entries[_at(change[1], entries)]
    elif kind == "attribute_duplicate" and entries:
        entries.append(entries[_at(change[1], entries)])
    elif kind == "attribute_set":
        entries = [(o, v) for o, v in entries if o != change[1]]
        entries.append((str(change[1]), [_VALUES[_at(change[2], _VALUES)]]))
    elif kind == "attribute_add":
        entries.append((str(change[1]), [_VALUES[_at(change[2], _VALUES)]]))
    value = hostile_pki.encode_directory_attributes(entries)
    return hostile_pki.replace_extension(
        parts, hostile_pki.SUBJECT_DIRECTORY_ATTRIBUTES, value, critical=current.critical
    )


def _at(index: object, items: Sequence[object]) -> int:
    assert isinstance(index, int)
    return index % len(items)


def _key_usage(flags: list[bool]) -> bytes:
    digital, content, key_enc, data_enc, agreement, cert_sign, crl_sign, enc_only, dec_only = flags
    return x509.KeyUsage(
        digital_signature=digital,
        content_commitment=content,
        key_encipherment=key_enc,
        data_encipherment=data_enc,
        key_agreement=agreement or enc_only or dec_only,
        key_cert_sign=cert_sign,
        crl_sign=crl_sign,
        encipher_only=enc_only and not dec_only,
        decipher_only=dec_only and not enc_only,
    ).public_bytes()
