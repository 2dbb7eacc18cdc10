"""A test PKI in the shape of Taiwan's GPKI: a test GRCA, its authorities, their cards.

Everything is written under one directory (certificates and keys as PEM, CRLs
as DER, OpenSSL index files for the OCSP responder) so that the same PKI can
be reloaded by another process, served on loopback, and inspected with
``openssl``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import string
from dataclasses import dataclass, field, replace
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto import oids
from xcapki.crypto.authority import Authority
from xcapki.testing.errors import TestingError
from xcapki.testing.keys import KeyAlgorithm, PrivateKey, read_private_key, write_private_key
from xcapki.testing.ports import unused_port
from xcapki.testing.profile_extension import CardIdentity, subject_directory_attributes
from xcapki.testing.revocation_index import RevocationIndex, RevocationReason

LOOPBACK = "127.0.0.1"
ROOT_NAME = "grca"
CARD_AUTHORITIES = (Authority.XCA, Authority.GCA, Authority.MOICA, Authority.MOEACA)
_MANIFEST = "pki.json"
_EXECUTIVE_YUAN = "行政院"

_DEFAULT_SUBJECT_CLASS = {
    Authority.GCA: oids.SUBJECT_CLASS_GOVERNMENT_AGENCY,
    Authority.MOICA: oids.SUBJECT_CLASS_NATURAL_PERSON,
    Authority.MOEACA: oids.SUBJECT_CLASS_COMPANY,
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _serial() -> int:
    return secrets.randbits(63) | (1 << 62)


def new_card_serial() -> str:
    """A random 16-character card number in the HiCOS style (upper-case letters and digits)."""
    alphabet = string.ascii_uppercase + string.digits
    return "TP" + "".join(secrets.choice(alphabet) for _ in range(14))


def _write_certificate(certificate: x509.Certificate, path: Path) -> None:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _read_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _with_ocsp_url(template: x509.Certificate, url: str) -> x509.AuthorityInformationAccess:
    """The template's authorityInfoAccess with its OCSP address replaced (caIssuers kept)."""
    try:
        current = template.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
        others = [
            entry
            for entry in current.value
            if entry.access_method != AuthorityInformationAccessOID.OCSP
        ]
    except x509.ExtensionNotFound:
        others = []
    ocsp = x509.AccessDescription(
        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(url)
    )
    return x509.AuthorityInformationAccess([ocsp, *others])


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedKey:
    """A certificate with its private key, both also stored as PEM files."""

    certificate: x509.Certificate
    private_key: PrivateKey
    certificate_path: Path
    private_key_path: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class CaCredentials:
    """A CA of the test PKI: its key pair, its OCSP signer and where it publishes."""

    name: str
    authority: Authority | None
    key: IssuedKey
    ocsp_signer: IssuedKey
    ocsp_url: str
    crl_url: str
    index: RevocationIndex = field(compare=False, repr=False)

    @property
    def certificate(self) -> x509.Certificate:
        """The CA certificate."""
        return self.key.certificate

    @property
    def ocsp_port(self) -> int:
        """The loopback port of this CA's OCSP responder, as its certificates' AIA names it."""
        return int(self.ocsp_url.rsplit(":", 1)[1].strip("/"))


@dataclass(frozen=True, slots=True, kw_only=True)
class CardSpec:
    """What a test card certificate pair should say.

    ``None`` fields take the authority's usual value; ``card_serial`` is drawn
    at random when not given. ``not_before``/``not_after`` make expired and
    not-yet-valid variants.
    """

    authority: Authority
    organisation_name: str
    unified_business_number: str | None = None
    organisation_oid: str | None = None
    subject_class: str | None = None
    moica_id_digits: str | None = None
    card_rank: str | None = None
    card_serial: str | None = None
    key_algorithm: KeyAlgorithm = KeyAlgorithm.RSA_2048
    signature_hash: HashAlgorithm = HashAlgorithm.SHA256
    policy_oids: tuple[str, ...] = (oids.GPKI_CLASS_3,)
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedCard:
    """A card's two certificates (signing ``SIGN`` and encryption ``KEYX``) and its chain."""

    spec: CardSpec
    card_serial: str
    signing: IssuedKey
    encryption: IssuedKey
    issuer: x509.Certificate
    root: x509.Certificate

    @property
    def chain(self) -> tuple[x509.Certificate, x509.Certificate]:
        """Issuer first, then the root."""
        return (self.issuer, self.root)


class TestPki:
    """A test GRCA root with test XCA, GCA, MOICA, MOEACA and TEST intermediates.

    Create it once with ``TestPki.create(directory)``; reload it from the same
    directory with ``TestPki.load``. OCSP and CRL addresses point at loopback
    ports chosen at creation; ``serve()`` starts the responders there.
    """

    __test__ = False

    def __init__(self, directory: Path, root: CaCredentials, cas: dict[Authority, CaCredentials]):
        self.directory = directory
        self.root = root
        self._cas = cas

    @property
    def published_directory(self) -> Path:
        """Where CRLs and CA certificates are published over HTTP."""
        return self.directory / "published"

    @property
    def crl_port(self) -> int:
        """The loopback port of the CRL and CA-certificate HTTP server."""
        manifest = json.loads((self.directory / _MANIFEST).read_text())
        port: int = manifest["crl_port"]
        return port

    def ca(self, authority: Authority) -> CaCredentials:
        """The intermediate CA of ``authority``."""
        try:
            return self._cas[authority]
        except KeyError:
            raise TestingError(f"the test PKI has no {authority.name} CA") from None

    @property
    def authorities(self) -> tuple[CaCredentials, ...]:
        """Every CA, the root first."""
        return (self.root, *self._cas.values())

    @property
    def root_certificate_path(self) -> Path:
        """The PEM file of the test GRCA root, for ``openssl verify -CAfile``."""
        return self.root.key.certificate_path

    # creation and loading

    @classmethod
    def create(
        cls,
        directory: Path,
        *,
        authorities: tuple[Authority, ...] = (*CARD_AUTHORITIES, Authority.TEST),
    ) -> TestPki:
        """Make a new PKI under ``directory`` (which must be empty or absent)."""
        directory.mkdir(parents=True, exist_ok=True)
        if any(directory.iterdir()):
            raise TestingError(f"{directory} is not empty; give the test PKI a fresh directory")
        (directory / "published").mkdir()
        names = [ROOT_NAME, *(authority.name.lower() for authority in authorities)]
        manifest = {
            "crl_port": unused_port(),
            "ocsp_ports": {name: unused_port() for name in names},
            "authorities": [authority.name for authority in authorities],
            "cards": [],
        }
        (directory / _MANIFEST).write_text(json.dumps(manifest, indent=2))
        builder = _Issuer(directory, manifest)
        root = builder.make_root()
        cas = {authority: builder.make_intermediate(authority, root) for authority in authorities}
        pki = cls(directory, root, cas)
        for ca in pki.authorities:
            pki.publish_crl(ca)
        return pki

    @classmethod
    def load(cls, directory: Path) -> TestPki:
        """Reopen a PKI made by ``create``."""
        manifest_path = directory / _MANIFEST
        if not manifest_path.exists():
            raise TestingError(f"{directory} holds no test PKI (no {_MANIFEST}); create one first")
        manifest = json.loads(manifest_path.read_text())
        loader = _Issuer(directory, manifest)
        root = loader.load_ca(ROOT_NAME, None)
        cas = {
            Authority[name]: loader.load_ca(name.lower(), Authority[name])
            for name in manifest["authorities"]
        }
        return cls(directory, root, cas)

    # cards

    def issue_card(self, spec: CardSpec) -> IssuedCard:
        """Issue a signing and an encryption certificate for one card (a MOICA card always
        carries the holder's ID digits, as real ones do: random unless the spec names them)."""
        if spec.authority is Authority.MOICA and spec.moica_id_digits is None:
            spec = replace(spec, moica_id_digits=f"{secrets.randbelow(10_000):04d}")
        issuer = self.ca(spec.authority)
        card_serial = spec.card_serial or new_card_serial()
        card_directory = self.directory / "cards" / card_serial
        card_directory.mkdir(parents=True, exist_ok=False)
        builder = _Issuer(self.directory, self._manifest())
        signing = builder.make_card_key(spec, card_serial, issuer, card_directory, signing=True)
        encryption = builder.make_card_key(spec, card_serial, issuer, card_directory, signing=False)
        manifest = self._manifest()
        cards = manifest["cards"]
        assert isinstance(cards, list)
        cards.append(card_serial)
        (self.directory / _MANIFEST).write_text(json.dumps(manifest, indent=2))
        (card_directory / "spec.json").write_text(
            json.dumps(
                {"authority": spec.authority.name, "organisation_name": spec.organisation_name}
            )
        )
        return IssuedCard(
            spec=spec,
            card_serial=card_serial,
            signing=signing,
            encryption=encryption,
            issuer=issuer.certificate,
            root=self.root.certificate,
        )

    def reissue(
        self,
        template: x509.Certificate,
        authority: Authority,
        *,
        key: PrivateKey | None = None,
        signing_key: PrivateKey | None = None,
        issuer_name: x509.Name | None = None,
        serial_number: int | None = None,
        replaced: tuple[x509.ExtensionType, ...] = (),
        added_critical: tuple[x509.ExtensionType, ...] = (),
        ocsp_url: str | None = None,
        crl_url: str | None = None,
        pss: bool = False,
        record: bool = False,
    ) -> x509.Certificate:
        """``template`` signed again by ``authority``'s CA, with only the named changes.

        What the PKI deliberately never issues, for negative tests: a certificate
        signed by a stranger's ``signing_key`` (its authorityKeyIdentifier still
        claims the real CA unless ``replaced``), under a look-alike ``issuer_name``,
        with an old serial, odd or unknown critical extensions, a PSS signature, or
        OCSP/CRL addresses pointing elsewhere. Subject, validity and the other
        extensions stay; a new ``key`` also gets its own subjectKeyIdentifier.
        ``record`` tells the CA's index (its OCSP responder then answers "good");
        otherwise the responder answers "unknown".
        """
        ca = self.ca(authority)
        signer = signing_key or ca.key.private_key
        if pss and not isinstance(signer, rsa.RSAPrivateKey):
            raise TestingError("a PSS signature needs an RSA signing key: pass one, or pss=False")
        substitutes = {extension.oid: extension for extension in replaced}
        public_key = template.public_key() if key is None else key.public_key()
        if key is not None:
            identifier = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
            substitutes.setdefault(identifier.oid, identifier)
        if ocsp_url is not None:
            access = _with_ocsp_url(template, ocsp_url)
            substitutes.setdefault(access.oid, access)
        if crl_url is not None:
            points = x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(crl_url)], None, None, None
                    )
                ]
            )
            substitutes.setdefault(points.oid, points)
        builder = (
            x509.CertificateBuilder()
            .subject_name(template.subject)
            .issuer_name(issuer_name or template.issuer)
            .public_key(public_key)
            .serial_number(serial_number or _serial())
            .not_valid_before(template.not_valid_before_utc)
            .not_valid_after(template.not_valid_after_utc)
        )
        for extension in template.extensions:
            value = substitutes.get(extension.oid, extension.value)
            builder = builder.add_extension(value, extension.critical)
        for value in added_critical:
            builder = builder.add_extension(value, critical=True)
        rsa_padding = (
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32) if pss else None
        )
        certificate = builder.sign(signer, hashes.SHA256(), rsa_padding=rsa_padding)
        if record:
            ca.index.add(certificate)
        return certificate

    def revoke(
        self,
        certificate: x509.Certificate,
        *,
        reason: RevocationReason = RevocationReason.KEY_COMPROMISE,
        when: dt.datetime | None = None,
    ) -> None:
        """Revoke ``certificate`` at its CA: the OCSP index and the CRL both change."""
        for ca in self.authorities:
            if ca.index.knows(certificate.serial_number) and ca.certificate.subject == (
                certificate.issuer
            ):
                ca.index.revoke(certificate.serial_number, when=when or _now(), reason=reason)
                self.publish_crl(ca)
                return
        raise TestingError("the certificate was not issued by this test PKI")

    def publish_crl(self, ca: CaCredentials, *, next_update: dt.timedelta | None = None) -> Path:
        """Write ``ca``'s CRL (DER) where the CRL server publishes it; return its path."""
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca.certificate.subject)
            .last_update(now - dt.timedelta(minutes=1))
            .next_update(now + (next_update or dt.timedelta(days=1)))
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.private_key.public_key()),
                critical=False,
            )
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        )
        for entry in ca.index.revoked():
            assert entry.revoked_at is not None
            revoked = x509.RevokedCertificateBuilder().serial_number(entry.serial)
            revoked = revoked.revocation_date(entry.revoked_at)
            if entry.reason is not None and entry.reason is not RevocationReason.UNSPECIFIED:
                revoked = revoked.add_extension(
                    x509.CRLReason(entry.reason.crl_reason), critical=False
                )
            builder = builder.add_revoked_certificate(revoked.build())
        crl = builder.sign(ca.key.private_key, hashes.SHA256())
        path = self.published_directory / f"{ca.name}.crl"
        staged = path.with_suffix(".crl.new")
        staged.write_bytes(crl.public_bytes(serialization.Encoding.DER))
        staged.replace(path)
        return path

    def withdraw_crl(self, ca: CaCredentials) -> None:
        """Stop publishing ``ca``'s CRL, so that its CDP answers 404 until ``publish_crl``."""
        (self.published_directory / f"{ca.name}.crl").unlink(missing_ok=True)

    def _manifest(self) -> dict[str, object]:
        manifest: dict[str, object] = json.loads((self.directory / _MANIFEST).read_text())
        return manifest


class _Issuer:
    """Builds and stores the certificates of one PKI directory."""

    def __init__(self, directory: Path, manifest: dict[str, object]) -> None:
        self.directory = directory
        self.crl_port = manifest["crl_port"]
        ocsp_ports = manifest["ocsp_ports"]
        assert isinstance(ocsp_ports, dict)
        self.ocsp_ports: dict[str, int] = ocsp_ports

    def ocsp_url(self, name: str) -> str:
        return f"http://{LOOPBACK}:{self.ocsp_ports[name]}/"

    def crl_url(self, name: str) -> str:
        return f"http://{LOOPBACK}:{self.crl_port}/{name}.crl"

    def ca_certificate_url(self, name: str) -> str:
        return f"http://{LOOPBACK}:{self.crl_port}/{name}.cer"

    def make_root(self) -> CaCredentials:
        key = KeyAlgorithm.RSA_2048.generate()
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, _EXECUTIVE_YUAN),
                x509.NameAttribute(
                    NameOID.COMMON_NAME, "xcapki Test Government Root Certification Authority"
                ),
            ]
        )
        now = _now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(_serial())
            .not_valid_before(now - dt.timedelta(days=365 * 5))
            .not_valid_after(now + dt.timedelta(days=365 * 20))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        return self._store_ca(ROOT_NAME, None, certificate, key, parent=None)

    def make_intermediate(self, authority: Authority, root: CaCredentials) -> CaCredentials:
        key = KeyAlgorithm.RSA_2048.generate()
        now = _now()
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, _EXECUTIVE_YUAN),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, authority.value),
            ]
        )
        certificate = (
            self._issued_by(root, subject, key.public_key())
            .not_valid_before(now - dt.timedelta(days=365 * 3))
            .not_valid_after(now + dt.timedelta(days=365 * 12))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(_policies((oids.GPKI_CLASS_3,)), critical=False)
            .sign(root.key.private_key, hashes.SHA256())
        )
        return self._store_ca(authority.name.lower(), authority, certificate, key, parent=root)

    def make_card_key(
        self,
        spec: CardSpec,
        card_serial: str,
        issuer: CaCredentials,
        directory: Path,
        *,
        signing: bool,
    ) -> IssuedKey:
        key = spec.key_algorithm.generate()
        now = _now()
        not_before = spec.not_before or now - dt.timedelta(days=1)
        not_after = spec.not_after or now + dt.timedelta(days=365 * 2)
        if signing:
            usage = _key_usage(digital_signature=True)
        else:
            usage = _key_usage(key_encipherment=True, data_encipherment=True)
        identity = CardIdentity(
            subject_class=spec.subject_class or _DEFAULT_SUBJECT_CLASS.get(spec.authority),
            unified_business_number=spec.unified_business_number,
            organisation_oid=spec.organisation_oid,
            moica_id_digits=spec.moica_id_digits,
            card_rank=spec.card_rank,
            card_serial=card_serial,
        )
        certificate = (
            self._issued_by(issuer, _card_subject(spec), key.public_key())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(_policies(spec.policy_oids), critical=False)
            .add_extension(subject_directory_attributes(identity), critical=False)
            .sign(issuer.key.private_key, _certificate_hash(spec.signature_hash))
        )
        if spec.signature_hash is HashAlgorithm.SHA1:
            certificate = _resigned_with_sha1(certificate, issuer.key.private_key)
        stem = "sign" if signing else "keyx"
        issued = IssuedKey(
            certificate=certificate,
            private_key=key,
            certificate_path=directory / f"{stem}.pem",
            private_key_path=directory / f"{stem}.key",
        )
        _write_certificate(certificate, issued.certificate_path)
        write_private_key(key, issued.private_key_path)
        issuer.index.add(certificate)
        return issued

    def _issued_by(
        self, issuer: CaCredentials, subject: x509.Name, public_key: object
    ) -> x509.CertificateBuilder:
        issuer_key = issuer.key.private_key.public_key()
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.certificate.subject)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(_serial())
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False
            )
            .add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(issuer.ocsp_url),
                        ),
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier(self.ca_certificate_url(issuer.name)),
                        ),
                    ]
                ),
                critical=False,
            )
            .add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[x509.UniformResourceIdentifier(issuer.crl_url)],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                critical=False,
            )
        )

    def _store_ca(
        self,
        name: str,
        authority: Authority | None,
        certificate: x509.Certificate,
        key: PrivateKey,
        *,
        parent: CaCredentials | None,
    ) -> CaCredentials:
        ca_directory = self.directory / "ca" / name
        ca_directory.mkdir(parents=True)
        issued = IssuedKey(
            certificate=certificate,
            private_key=key,
            certificate_path=ca_directory / "ca.pem",
            private_key_path=ca_directory / "ca.key",
        )
        _write_certificate(certificate, issued.certificate_path)
        write_private_key(key, issued.private_key_path)
        (self.directory / "published" / f"{name}.cer").write_bytes(
            certificate.public_bytes(serialization.Encoding.DER)
        )
        ocsp_signer = self._make_ocsp_signer(ca_directory, certificate, key)
        if parent is not None:
            # Through the parent's own index object: a second one over the same file
            # would leave the parent's stale and let its next write drop this entry.
            parent.index.add(certificate)
        return CaCredentials(
            name=name,
            authority=authority,
            key=issued,
            ocsp_signer=ocsp_signer,
            ocsp_url=self.ocsp_url(name),
            crl_url=self.crl_url(name),
            index=RevocationIndex(ca_directory / "index.txt"),
        )

    def _make_ocsp_signer(
        self, ca_directory: Path, ca_certificate: x509.Certificate, ca_key: PrivateKey
    ) -> IssuedKey:
        key = KeyAlgorithm.RSA_2048.generate()
        now = _now()
        subject = x509.Name(
            [*ca_certificate.subject, x509.NameAttribute(NameOID.COMMON_NAME, "OCSP Responder")]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_certificate.subject)
            .public_key(key.public_key())
            .serial_number(_serial())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * 2))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False)
            .add_extension(x509.OCSPNoCheck(), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        issued = IssuedKey(
            certificate=certificate,
            private_key=key,
            certificate_path=ca_directory / "ocsp.pem",
            private_key_path=ca_directory / "ocsp.key",
        )
        _write_certificate(certificate, issued.certificate_path)
        write_private_key(key, issued.private_key_path)
        return issued

    def load_ca(self, name: str, authority: Authority | None) -> CaCredentials:
        ca_directory = self.directory / "ca" / name

        def pair(stem: str) -> IssuedKey:
            return IssuedKey(
                certificate=_read_certificate(ca_directory / f"{stem}.pem"),
                private_key=read_private_key(ca_directory / f"{stem}.key"),
                certificate_path=ca_directory / f"{stem}.pem",
                private_key_path=ca_directory / f"{stem}.key",
            )

        return CaCredentials(
            name=name,
            authority=authority,
            key=pair("ca"),
            ocsp_signer=pair("ocsp"),
            ocsp_url=self.ocsp_url(name),
            crl_url=self.crl_url(name),
            index=RevocationIndex(ca_directory / "index.txt"),
        )


def _certificate_hash(algorithm: HashAlgorithm) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512:
    """The hash ``cryptography`` signs a certificate with; SHA-1 is re-signed afterwards."""
    if algorithm is HashAlgorithm.SHA384:
        return hashes.SHA384()
    if algorithm is HashAlgorithm.SHA512:
        return hashes.SHA512()
    return hashes.SHA256()


def _resigned_with_sha1(certificate: x509.Certificate, issuer_key: PrivateKey) -> x509.Certificate:
    """``certificate`` signed again with SHA-1, which ``cryptography`` no longer issues.

    The test PKI needs such certificates so that verifiers can be shown to refuse them.
    """
    if not isinstance(issuer_key, rsa.RSAPrivateKey):
        raise TestingError("SHA-1 test certificates are issued by RSA CAs only")
    parsed = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    algorithm = {"algorithm": "sha1_rsa"}
    tbs = parsed["tbs_certificate"]
    tbs["signature"] = algorithm
    tbs_der = tbs.dump(force=True)
    signature = issuer_key.sign(tbs_der, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    resigned = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
    )
    return x509.load_der_x509_certificate(resigned.dump())


def _ca_key_usage() -> x509.KeyUsage:
    return _key_usage(key_cert_sign=True, crl_sign=True)


def _key_usage(
    *,
    digital_signature: bool = False,
    key_encipherment: bool = False,
    data_encipherment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=data_encipherment,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _policies(policy_oids: tuple[str, ...]) -> x509.CertificatePolicies:
    return x509.CertificatePolicies(
        [x509.PolicyInformation(x509.ObjectIdentifier(oid), None) for oid in policy_oids]
    )


def _card_subject(spec: CardSpec) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "TW")]
    if spec.authority is not Authority.MOICA:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, spec.organisation_name))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, spec.organisation_name))
    if spec.authority is Authority.MOEACA and spec.unified_business_number:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, spec.unified_business_number))
    if spec.authority is Authority.MOICA and spec.moica_id_digits:
        # Real MOICA certificates carry the ID's last four digits here too, where pages read them.
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, spec.moica_id_digits))
    return x509.Name(attributes)
