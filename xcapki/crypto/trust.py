"""The trust store: GPKI roots and intermediates, matched by key identifier.

The bundled anchors are the government-published GRCA G1/G2/G3 roots and the
MOICA G2/G3 intermediates. Each is checked against its published SHA-256 every
time it is loaded, so an altered file is refused instead of trusted. Callers add
their own roots (a test GRCA) and intermediates (XCA, GCA, MOEACA) by deriving a
new store; a store never changes once built, so one can be shared by threads.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.x509.oid import NameOID

from xcapki.crypto.authority import Authority, authority_of_ca_name
from xcapki.crypto.errors import CertificateError, TrustStoreError
from xcapki.crypto.profile import certificate_der, key_identifier, load_certificate

__all__ = ["BUNDLED_ANCHORS", "TrustRole", "TrustStore", "TrustedCertificate"]


class TrustRole(enum.Enum):
    """Whether a certificate ends a path (ROOT) or may sit inside one (INTERMEDIATE)."""

    ROOT = "root"
    INTERMEDIATE = "intermediate"


@dataclass(frozen=True, slots=True, kw_only=True)
class _BundledAnchor:
    file: str
    label: str
    role: TrustRole
    sha256: str


BUNDLED_ANCHORS: Final[tuple[_BundledAnchor, ...]] = (
    _BundledAnchor(
        file="GRCA-G1.pem",
        label="GRCA G1",
        role=TrustRole.ROOT,
        sha256="7600295eefe85b9e1fd624db76062aaaae59818a54d2774cd4c0b2c01131e1b3",
    ),
    _BundledAnchor(
        file="GRCA-G2.pem",
        label="GRCA G2",
        role=TrustRole.ROOT,
        sha256="70b922bfda0e3f4a342e4ee22d579ae598d071cc5ec9c30f123680340388aea5",
    ),
    _BundledAnchor(
        file="GRCA-G3.pem",
        label="GRCA G3",
        role=TrustRole.ROOT,
        sha256="57df6f20e04c588e85f35be8832f5d4e78958336ae3b18fb7c9bae0dfead4044",
    ),
    _BundledAnchor(
        file="MOICA-G2.pem",
        label="MOICA G2",
        role=TrustRole.INTERMEDIATE,
        sha256="c4c462de463f856804dc898338d2cecb55fba74155851599d8fb7d70218fd1be",
    ),
    _BundledAnchor(
        file="MOICA-G3.pem",
        label="MOICA G3",
        role=TrustRole.INTERMEDIATE,
        sha256="ed793fd0d50a2a398049d598982cf01e75f873b532066caec238f800a06ca9da",
    ),
)
"""The bundled anchors with the SHA-256 (of the DER) published beside them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustedCertificate:
    """A certificate in the trust store, with what the store knows about it."""

    label: str
    certificate: x509.Certificate
    role: TrustRole
    authority: Authority
    """The GPKI authority whose exact CA name (C=TW, O=行政院, OU=...) is the subject;
    ``OTHER`` for any other name, the GRCA roots included."""
    key_identifier: bytes
    sha256: bytes
    bundled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustStore:
    """Trusted roots plus known intermediates, looked up by key identifier.

    Build with ``TrustStore.bundled()`` (the GPKI anchors), ``TrustStore.empty()``
    or ``TrustStore.from_pem_files(...)``, and derive with ``with_roots`` /
    ``with_intermediates``. Intermediates are not trusted by themselves: they
    only help build a path that must still end at a root.
    """

    roots: tuple[TrustedCertificate, ...] = ()
    intermediates: tuple[TrustedCertificate, ...] = ()
    _by_key_id: Mapping[bytes, tuple[TrustedCertificate, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index: dict[bytes, list[TrustedCertificate]] = {}
        for entry in (*self.roots, *self.intermediates):
            index.setdefault(entry.key_identifier, []).append(entry)
        object.__setattr__(self, "_by_key_id", {k: tuple(v) for k, v in index.items()})

    @classmethod
    def empty(cls) -> TrustStore:
        """A store that trusts nothing."""
        return cls()

    @classmethod
    def bundled(cls, *, directory: str | os.PathLike[str] | None = None) -> TrustStore:
        """The GRCA G1/G2/G3 roots and MOICA G2/G3 intermediates, hash-checked.

        ``directory`` reads the same five files from elsewhere (a mirrored or
        vendored copy) under the same checks; by default the package's copy is
        read once per process. Raises ``TrustStoreError`` if a file is missing or
        its SHA-256 differs from the published one.
        """
        if directory is None:
            return _bundled_store()
        return _load_bundled(Path(directory))

    @classmethod
    def from_pem_files(
        cls,
        *,
        roots: Iterable[str | os.PathLike[str]] = (),
        intermediates: Iterable[str | os.PathLike[str]] = (),
        include_bundled: bool = False,
    ) -> TrustStore:
        """A store from PEM (or DER) files, optionally on top of the bundled anchors.

        A file may hold several PEM certificates.
        """
        base = cls.bundled() if include_bundled else cls.empty()
        return base.with_roots(*_read_files(roots)).with_intermediates(*_read_files(intermediates))

    def with_roots(self, *certificates: x509.Certificate | bytes) -> TrustStore:
        """A new store that also trusts ``certificates`` (objects, DER or PEM) as roots."""
        added = tuple(_entry(c, TrustRole.ROOT) for c in _certificates(certificates))
        return TrustStore(roots=_merge(self.roots, added), intermediates=self.intermediates)

    def with_intermediates(self, *certificates: x509.Certificate | bytes) -> TrustStore:
        """A new store that also knows ``certificates`` as intermediates."""
        added = tuple(_entry(c, TrustRole.INTERMEDIATE) for c in _certificates(certificates))
        return TrustStore(roots=self.roots, intermediates=_merge(self.intermediates, added))

    def by_key_identifier(self, identifier: bytes) -> tuple[TrustedCertificate, ...]:
        """Every stored certificate whose key identifier is ``identifier``."""
        return self._by_key_id.get(bytes(identifier), ())

    def issuer_of(self, certificate: x509.Certificate) -> TrustedCertificate | None:
        """The stored CA that issued ``certificate``, matched by AKI -> SKI and name.

        Without an authorityKeyIdentifier the name alone decides, and only if
        exactly one stored certificate has that name (several CA generations
        share one DN, so a name alone may be ambiguous).
        """
        aki = _authority_key_identifier(certificate)
        if aki is not None:
            candidates = self.by_key_identifier(aki)
        else:
            candidates = tuple(
                e
                for e in (*self.roots, *self.intermediates)
                if e.certificate.subject == certificate.issuer
            )
            if len(candidates) != 1:
                return None
        for entry in candidates:
            if entry.certificate.subject == certificate.issuer:
                return entry
        return None

    def is_root(self, certificate: x509.Certificate) -> bool:
        """Whether ``certificate`` is one of the trusted roots (same DER)."""
        der = certificate_der(certificate)
        return any(certificate_der(r.certificate) == der for r in self.roots)


def _authority_key_identifier(certificate: x509.Certificate) -> bytes | None:
    try:
        ext = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    except x509.ExtensionNotFound:
        return None
    except ValueError as exc:
        raise CertificateError(
            f"the authorityKeyIdentifier is malformed ({exc}); the certificate cannot be chained"
        ) from exc
    return ext.value.key_identifier


def _authority_of(certificate: x509.Certificate) -> Authority:
    """The authority a CA certificate names itself as, by the one exact-name rule
    (``authority_of_ca_name``): a look-alike OU, or a GPKI OU under another C or O, is ``OTHER``."""
    return authority_of_ca_name(certificate.subject)


def _label(certificate: x509.Certificate) -> str:
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.ORGANIZATION_NAME):
        attributes = certificate.subject.get_attributes_for_oid(oid)
        if attributes:
            value = attributes[0].value
            return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return certificate.subject.rfc4514_string()


def _entry(
    certificate: x509.Certificate,
    role: TrustRole,
    *,
    label: str | None = None,
    bundled: bool = False,
) -> TrustedCertificate:
    try:
        identifier = key_identifier(certificate)
    except ValueError as exc:
        raise TrustStoreError(
            f"certificate {certificate.subject.rfc4514_string()} has an unusable key or "
            f"subjectKeyIdentifier ({exc}); it cannot be trusted"
        ) from exc
    return TrustedCertificate(
        label=label or _label(certificate),
        certificate=certificate,
        role=role,
        authority=_authority_of(certificate),
        key_identifier=identifier,
        sha256=hashlib.sha256(certificate_der(certificate)).digest(),
        bundled=bundled,
    )


def _merge(
    existing: tuple[TrustedCertificate, ...], added: tuple[TrustedCertificate, ...]
) -> tuple[TrustedCertificate, ...]:
    seen = {e.sha256 for e in existing}
    merged = list(existing)
    for entry in added:
        if entry.sha256 not in seen:
            seen.add(entry.sha256)
            merged.append(entry)
    return tuple(merged)


def _certificates(items: Iterable[x509.Certificate | bytes]) -> list[x509.Certificate]:
    result = []
    for item in items:
        if isinstance(item, x509.Certificate):
            result.append(item)
        else:
            try:
                result.append(load_certificate(item))
            except CertificateError as exc:
                raise TrustStoreError(f"a trust store certificate is unreadable: {exc}") from exc
    return result


def _read_files(paths: Iterable[str | os.PathLike[str]]) -> list[x509.Certificate]:
    certificates: list[x509.Certificate] = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise TrustStoreError(
                f"cannot read trust anchor file {os.fspath(path)!r} ({exc.strerror}); "
                "check the path and its permissions"
            ) from exc
        try:
            if b"-----BEGIN" in data:
                certificates.extend(x509.load_pem_x509_certificates(data))
            else:
                certificates.append(x509.load_der_x509_certificate(data))
        except ValueError as exc:
            raise TrustStoreError(
                f"trust anchor file {os.fspath(path)!r} holds no readable certificate "
                f"({exc}); give PEM or DER certificates"
            ) from exc
    return certificates


@functools.cache
def _bundled_store() -> TrustStore:
    return _load_bundled(resources.files("xcapki.crypto").joinpath("anchors"))


def _load_bundled(folder: Traversable | Path) -> TrustStore:
    roots: list[TrustedCertificate] = []
    intermediates: list[TrustedCertificate] = []
    for anchor in BUNDLED_ANCHORS:
        try:
            data = folder.joinpath(anchor.file).read_bytes()
        except OSError as exc:
            raise TrustStoreError(
                f"bundled trust anchor {anchor.file} is missing ({exc.strerror}); reinstall xcapki"
            ) from exc
        try:
            certificate = x509.load_pem_x509_certificate(data)
        except ValueError as exc:
            raise TrustStoreError(
                f"bundled trust anchor {anchor.file} is unreadable ({exc}); reinstall xcapki"
            ) from exc
        digest = hashlib.sha256(certificate_der(certificate)).hexdigest()
        if digest != anchor.sha256:
            raise TrustStoreError(
                f"bundled trust anchor {anchor.file} has SHA-256 {digest}, expected "
                f"{anchor.sha256}: the file was altered; reinstall xcapki"
            )
        entry = _entry(certificate, anchor.role, label=anchor.label, bundled=True)
        (roots if anchor.role is TrustRole.ROOT else intermediates).append(entry)
    return TrustStore(roots=tuple(roots), intermediates=tuple(intermediates))
