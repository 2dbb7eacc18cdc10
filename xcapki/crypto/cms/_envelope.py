"""CMS envelopes: encrypt to a certificate, decrypt through a ``Decrypter``.

``encrypt_envelope`` makes an EnvelopedData (AES-CBC, 3DES-CBC) or, for
AES-GCM, the AuthEnvelopedData of RFC 5083 that OpenSSL 3 makes, with the
content key wrapped for an RSA certificate by PKCS#1 v1.5 or OAEP.
``open_envelope`` reads either, lets the decrypter unwrap the content key
(a card never sees the content) and decrypts the content on the host.
Both hold the content in memory; ``_envelope_stream`` streams large files
with the pieces shared here (the recipient info, the cipher's identifier).

Opening is no oracle: every failure that depends on the envelope (not
addressed to this key, unreadable, bad key-transport padding, a key of the
wrong length, bad content padding or tag, an algorithm not read here)
raises the same ``DecryptionError`` with the same message. A content key
that fails to unwrap is replaced by a random one and the content is still
decrypted, so a failed unwrap takes the same path as a failed content
(RFC 3218, section 2.3.2).
"""

from __future__ import annotations

import enum
import logging
import os
from dataclasses import dataclass, field
from typing import ClassVar, Final

from asn1crypto import algos, cms, core
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding as symmetric_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import (
    BlockCipherAlgorithm,
    Cipher,
    algorithms,
    modes,
)

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.cms._certificates import sid_facts
from xcapki.crypto.cms._sign import SignerIdentifierType
from xcapki.crypto.errors import EnvelopeError
from xcapki.decrypter import PKCS1V15, Decrypter, KeyTransport, RsaOaep, RsaPkcs1v15
from xcapki.token.errors import DataError

__all__ = [
    "ContentEncryption",
    "DecryptionError",
    "EnvelopeUsageError",
    "OpenedEnvelope",
    "encrypt_envelope",
    "open_envelope",
]

log = logging.getLogger("xcapki.crypto")

DEFAULT_KEY_TRANSPORT: Final = RsaOaep()
"""RSA-OAEP with CMS's default parameters (SHA-1, MGF1-SHA-1, no label; RFC 3560), as
``openssl cms -keyopt rsa_padding_mode:oaep`` makes: every OAEP-capable token decrypts
it (SoftHSM2 2.6 and many cards offer OAEP with SHA-1 only), and OAEP's security does not
rest on SHA-1's collision resistance."""

_GCM_NONCE_SIZE: Final = 12
_GCM_TAG_SIZE: Final = 16
_GCM_TAG_SIZES: Final = range(12, 17)
_GCM_NONCE_SIZES: Final = range(8, 129)  # what the GCM mode of ``cryptography`` accepts


class EnvelopeUsageError(EnvelopeError):
    """Options or a recipient certificate that cannot make an envelope."""


class DecryptionError(EnvelopeError):
    """The envelope cannot be opened with this key; deliberately the same for every cause."""


_REFUSAL: Final = (
    "the envelope cannot be opened with this key: it is addressed to another certificate,"
    " damaged or altered, or uses an algorithm xcapki does not read (it reads RSA key"
    " transport with AES-128/256-CBC, 3DES-CBC and AES-128/256-GCM); ask the sender to"
    " encrypt it again to this certificate"
)


class ContentEncryption(enum.Enum):
    """The symmetric cipher of the content; GCM makes an AuthEnvelopedData."""

    AES_128_CBC = "aes-128-cbc"
    AES_256_CBC = "aes-256-cbc"
    DES_EDE3_CBC = "des-ede3-cbc"
    AES_128_GCM = "aes-128-gcm"
    AES_256_GCM = "aes-256-gcm"

    @property
    def key_size(self) -> int:
        """Length of the content-encryption key in bytes."""
        return _KEY_SIZES[self]

    @property
    def authenticated(self) -> bool:
        """True for AES-GCM, whose tag detects any change to the content."""
        return self in (ContentEncryption.AES_128_GCM, ContentEncryption.AES_256_GCM)


_KEY_SIZES: Final = {
    ContentEncryption.AES_128_CBC: 16,
    ContentEncryption.AES_256_CBC: 32,
    ContentEncryption.DES_EDE3_CBC: 24,
    ContentEncryption.AES_128_GCM: 16,
    ContentEncryption.AES_256_GCM: 32,
}
_ASN1_NAMES: Final = {
    ContentEncryption.AES_128_CBC: "aes128_cbc",
    ContentEncryption.AES_256_CBC: "aes256_cbc",
    ContentEncryption.DES_EDE3_CBC: "tripledes_3key",
    ContentEncryption.AES_128_GCM: "aes128_gcm",
    ContentEncryption.AES_256_GCM: "aes256_gcm",
}
_BY_ASN1_NAME: Final = {name: cipher for cipher, name in _ASN1_NAMES.items()}
_HASH_NAMES: Final = {
    HashAlgorithm.SHA1: "sha1",
    HashAlgorithm.SHA256: "sha256",
    HashAlgorithm.SHA384: "sha384",
    HashAlgorithm.SHA512: "sha512",
}
_HASH_BY_NAME: Final = {name: hash_algorithm for hash_algorithm, name in _HASH_NAMES.items()}


class _GcmParameters(core.Sequence):  # type: ignore[misc]
    """GCMParameters of RFC 5084 (asn1crypto knows the OIDs but not their parameters)."""

    _fields: ClassVar = [
        ("aes_nonce", core.OctetString),
        ("aes_icvlen", core.Integer, {"default": 12}),
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedEnvelope:
    """The decrypted content and the algorithms the envelope used."""

    content: bytes = field(repr=False)
    content_encryption: ContentEncryption
    key_transport: KeyTransport

    @property
    def authenticated(self) -> bool:
        """True when a GCM tag proved the content unchanged since it was encrypted."""
        return self.content_encryption.authenticated


def encrypt_envelope(
    content: bytes,
    recipient: x509.Certificate,
    *,
    content_encryption: ContentEncryption = ContentEncryption.AES_256_GCM,
    key_transport: KeyTransport = DEFAULT_KEY_TRANSPORT,
    recipient_identifier: SignerIdentifierType = SignerIdentifierType.ISSUER_AND_SERIAL,
) -> bytes:
    """Encrypt ``content`` to ``recipient``'s RSA key; DER ContentInfo.

    AES-GCM gives an AuthEnvelopedData (OpenSSL 3, RFC 5083); the CBC ciphers
    an EnvelopedData every CMS reader knows. The certificate must allow key
    encipherment: a card's encryption (KEYX) certificate, not its signing one.
    """
    content_key = os.urandom(content_encryption.key_size)
    recipient_info = wrap_content_key(content_key, recipient, key_transport, recipient_identifier)
    if content_encryption.authenticated:
        nonce = os.urandom(_GCM_NONCE_SIZE)
        sealer = Cipher(algorithms.AES(content_key), modes.GCM(nonce)).encryptor()
        ciphertext = sealer.update(content) + sealer.finalize()
        body: core.Sequence = cms.AuthEnvelopedData(
            {
                "version": "v0",
                "recipient_infos": [recipient_info],
                "auth_encrypted_content_info": _content_info(content_encryption, nonce, ciphertext),
                "mac": sealer.tag,
            }
        )
        content_type = "authenticated_enveloped_data"
    else:
        algorithm = _cbc_algorithm(content_encryption, content_key)
        iv = os.urandom(algorithm.block_size // 8)
        padder = symmetric_padding.PKCS7(algorithm.block_size).padder()
        encryptor = Cipher(algorithm, modes.CBC(iv)).encryptor()
        padded = padder.update(content) + padder.finalize()
        ciphertext = encryptor.update(padded) + encryptor.finalize()
        body = cms.EnvelopedData(
            {
                "version": envelope_version(recipient_identifier),
                "recipient_infos": [recipient_info],
                "encrypted_content_info": _content_info(content_encryption, iv, ciphertext),
            }
        )
        content_type = "enveloped_data"
    return bytes(cms.ContentInfo({"content_type": content_type, "content": body}).dump())


def open_envelope(data: bytes, decrypter: Decrypter) -> OpenedEnvelope:
    """Decrypt a DER or BER EnvelopedData / AuthEnvelopedData addressed to ``decrypter``.

    Every failure caused by the envelope raises the same ``DecryptionError``
    (see the module docstring); errors of the decrypter that are not about
    the ciphertext (a PIN, a removed card) pass through unchanged.
    """
    try:
        parsed = _parse(data, decrypter.certificate)
    except DecryptionError:
        raise
    except Exception as exc:  # asn1crypto raises many types on hostile input
        log.debug("envelope refused: unreadable structure (%s)", type(exc).__name__)
        raise DecryptionError(_REFUSAL) from None
    failed = False
    try:
        content_key = decrypter.decrypt(parsed.encrypted_key, padding=parsed.key_transport)
    except (DecryptionError, DataError):
        content_key = b""
    if len(content_key) != parsed.content_encryption.key_size:
        log.debug("envelope refused: the content key did not unwrap")
        failed = True
        content_key = os.urandom(parsed.content_encryption.key_size)
    content = _decrypt_content(parsed, content_key)
    if content is None or failed:
        log.debug("envelope refused: the content did not decrypt")
        raise DecryptionError(_REFUSAL)
    return OpenedEnvelope(
        content=content,
        content_encryption=parsed.content_encryption,
        key_transport=parsed.key_transport,
    )


def wrap_content_key(
    content_key: bytes,
    recipient: x509.Certificate,
    key_transport: KeyTransport,
    recipient_identifier: SignerIdentifierType,
) -> cms.RecipientInfo:
    """The KeyTransRecipientInfo carrying ``content_key`` wrapped for ``recipient``'s RSA key."""
    public_key = _recipient_key(recipient)
    try:
        encrypted_key = public_key.encrypt(content_key, rsa_padding(key_transport))
    except ValueError as exc:
        raise EnvelopeUsageError(
            f"the recipient's {public_key.key_size}-bit RSA key cannot wrap a key with"
            f" {_describe(key_transport)} ({exc}); choose PKCS#1 v1.5 or a shorter OAEP hash"
        ) from None
    return cms.RecipientInfo(
        name="ktri",
        value=cms.KeyTransRecipientInfo(
            {
                "version": envelope_version(recipient_identifier),
                "rid": _recipient_id(recipient, recipient_identifier),
                "key_encryption_algorithm": _key_transport_identifier(key_transport),
                "encrypted_key": encrypted_key,
            }
        ),
    )


def envelope_version(recipient_identifier: SignerIdentifierType) -> str:
    """EnvelopedData's and KeyTransRecipientInfo's version for this kind of identifier."""
    return "v0" if recipient_identifier is SignerIdentifierType.ISSUER_AND_SERIAL else "v2"


@dataclass(frozen=True, slots=True, kw_only=True)
class CipherChoice:
    """The content cipher an envelope names, with its IV or GCM nonce and tag size."""

    content_encryption: ContentEncryption
    parameters: bytes
    tag_size: int


def read_cipher(algorithm: cms.EncryptionAlgorithm) -> CipherChoice:
    """The cipher of a ContentEncryptionAlgorithmIdentifier, or the one ``DecryptionError``."""
    cipher = _BY_ASN1_NAME.get(algorithm["algorithm"].native)
    if cipher is None:
        raise _refuse(f"content cipher {algorithm['algorithm'].dotted} is not read")
    if cipher.authenticated:
        gcm = _GcmParameters.load(algorithm["parameters"].dump())
        nonce = gcm["aes_nonce"].native
        tag_size = gcm["aes_icvlen"].native
        if tag_size not in _GCM_TAG_SIZES or len(nonce) not in _GCM_NONCE_SIZES:
            raise _refuse("GCM parameters of the wrong size")
        return CipherChoice(content_encryption=cipher, parameters=nonce, tag_size=tag_size)
    iv = algorithm["parameters"].native
    if not isinstance(iv, bytes):
        raise _refuse("CBC without an IV")
    return CipherChoice(content_encryption=cipher, parameters=iv, tag_size=0)


def cipher_algorithm_identifier(
    content_encryption: ContentEncryption, parameters: bytes
) -> cms.EncryptionAlgorithm:
    """The ContentEncryptionAlgorithmIdentifier for an IV (CBC) or a nonce (GCM)."""
    value: core.Asn1Value = (
        _GcmParameters({"aes_nonce": parameters, "aes_icvlen": _GCM_TAG_SIZE})
        if content_encryption.authenticated
        else core.OctetString(parameters)
    )
    return cms.EncryptionAlgorithm(
        {"algorithm": _ASN1_NAMES[content_encryption], "parameters": value}
    )


@dataclass(frozen=True, slots=True)
class _Parsed:
    encrypted_key: bytes
    key_transport: KeyTransport
    content_encryption: ContentEncryption
    parameters: bytes
    tag_size: int
    ciphertext: bytes
    tag: bytes
    associated_data: bytes


def _refuse(reason: str) -> DecryptionError:
    log.debug("envelope refused: %s", reason)
    return DecryptionError(_REFUSAL)


def _parse(data: bytes, certificate: x509.Certificate) -> _Parsed:
    info = cms.ContentInfo.load(data, strict=True)
    kind = info["content_type"].native
    body = info["content"]
    if kind == "enveloped_data":
        encrypted = body["encrypted_content_info"]
        tag = b""
        associated_data = b""
    elif kind == "authenticated_enveloped_data":
        encrypted = body["auth_encrypted_content_info"]
        tag = body["mac"].native
        attributes = body["auth_attrs"]
        # RFC 5083: the authenticated attributes are authenticated as a DER SET OF.
        associated_data = b"" if attributes.native is None else _set_of_der(attributes)
    else:
        raise _refuse(f"content type {kind} is not an envelope")
    recipient = _recipient_for(body["recipient_infos"], certificate)
    choice = read_cipher(encrypted["content_encryption_algorithm"])
    ciphertext = encrypted["encrypted_content"].native
    if ciphertext is None:
        raise _refuse("the encrypted content is detached")
    if len(tag) != choice.tag_size:
        raise _refuse("a GCM tag of the wrong size")
    return _Parsed(
        encrypted_key=recipient["encrypted_key"].native,
        key_transport=_key_transport_of(recipient["key_encryption_algorithm"]),
        content_encryption=choice.content_encryption,
        parameters=choice.parameters,
        tag_size=choice.tag_size,
        ciphertext=ciphertext,
        tag=tag,
        associated_data=associated_data,
    )


def _set_of_der(attributes: cms.CMSAttributes) -> bytes:
    """The attributes re-encoded as a DER SET OF with its own tag (0x31), not [1]."""
    return bytes(attributes.untag().dump(force=True))


def _recipient_for(infos: cms.RecipientInfos, certificate: x509.Certificate) -> cms.Asn1Value:
    facts = sid_facts(certificate)
    for info in infos:
        if info.name != "ktri":
            continue
        ktri = info.chosen
        rid = ktri["rid"]
        if rid.name == "issuer_and_serial_number":
            issuer_and_serial = rid.chosen
            if (
                issuer_and_serial["serial_number"].native == facts.serial
                and issuer_and_serial["issuer"].dump() == facts.issuer_der
            ):
                return ktri
        elif facts.key_id is not None and rid.chosen.native == facts.key_id:
            return ktri
    raise _refuse("no recipient names this certificate")


def _key_transport_of(identifier: cms.KeyEncryptionAlgorithm) -> KeyTransport:
    name = identifier["algorithm"].native
    if name == "rsaes_pkcs1v15":
        return PKCS1V15
    if name != "rsaes_oaep":
        raise _refuse(f"key transport {identifier['algorithm'].dotted} is not read")
    parameters = identifier["parameters"]
    if not isinstance(parameters, algos.RSAESOAEPParams):
        parameters = algos.RSAESOAEPParams.load(parameters.dump())
    mask = parameters["mask_gen_algorithm"]
    source = parameters["p_source_algorithm"]
    hash_algorithm = _HASH_BY_NAME.get(parameters["hash_algorithm"]["algorithm"].native)
    mgf1_hash = _HASH_BY_NAME.get(mask["parameters"]["algorithm"].native)
    if (
        hash_algorithm is None
        or mgf1_hash is None
        or mask["algorithm"].native != "mgf1"
        or source["algorithm"].native != "p_specified"
    ):
        raise _refuse("OAEP parameters are not read")
    return RsaOaep(
        hash_algorithm=hash_algorithm, mgf1_hash=mgf1_hash, label=source["parameters"].native
    )


def _decrypt_content(parsed: _Parsed, key: bytes) -> bytes | None:
    """The content, or None when its padding or tag is wrong."""
    if parsed.content_encryption.authenticated:
        mode = modes.GCM(parsed.parameters, parsed.tag, min_tag_length=parsed.tag_size)
        opener = Cipher(algorithms.AES(key), mode).decryptor()
        opener.authenticate_additional_data(parsed.associated_data)
        try:
            return opener.update(parsed.ciphertext) + opener.finalize()
        except InvalidTag:
            return None
    algorithm = _cbc_algorithm(parsed.content_encryption, key)
    block = algorithm.block_size // 8
    if len(parsed.parameters) != block or not parsed.ciphertext or len(parsed.ciphertext) % block:
        return None
    decryptor = Cipher(algorithm, modes.CBC(parsed.parameters)).decryptor()
    padded = decryptor.update(parsed.ciphertext) + decryptor.finalize()
    unpadder = symmetric_padding.PKCS7(algorithm.block_size).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        return None


def _cbc_algorithm(cipher: ContentEncryption, key: bytes) -> BlockCipherAlgorithm:
    if cipher is ContentEncryption.DES_EDE3_CBC:
        return TripleDES(key)
    return algorithms.AES(key)


def _content_info(
    cipher: ContentEncryption, parameters: bytes, ciphertext: bytes
) -> cms.EncryptedContentInfo:
    return cms.EncryptedContentInfo(
        {
            "content_type": "data",
            "content_encryption_algorithm": cipher_algorithm_identifier(cipher, parameters),
            "encrypted_content": ciphertext,
        }
    )


def _recipient_key(certificate: x509.Certificate) -> rsa.RSAPublicKey:
    try:
        key = certificate.public_key()
    except ValueError as exc:
        raise EnvelopeUsageError(
            f"the recipient certificate's key cannot be read ({exc}): give the recipient's"
            " encryption certificate"
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise EnvelopeUsageError(
            f"the recipient certificate holds a {type(key).__name__}; envelopes are made for RSA"
            " keys only: give the recipient's RSA encryption (KEYX) certificate"
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return key
    if not usage.key_encipherment:
        raise EnvelopeUsageError(
            "the recipient certificate does not allow key encipherment (it is a signing"
            " certificate?): give the recipient's encryption certificate, on a card the KEYX"
            " one (cert2)"
        )
    return key


def _recipient_id(
    certificate: x509.Certificate, kind: SignerIdentifierType
) -> cms.RecipientIdentifier:
    facts = sid_facts(certificate)
    if kind is SignerIdentifierType.SUBJECT_KEY_IDENTIFIER:
        if facts.key_id is None:
            raise EnvelopeUsageError(
                "the recipient certificate has no usable key identifier: name it by issuer and"
                " serial"
            )
        return cms.RecipientIdentifier(name="subject_key_identifier", value=facts.key_id)
    return cms.RecipientIdentifier(
        name="issuer_and_serial_number",
        value=cms.IssuerAndSerialNumber(
            {
                "issuer": cms.Name.load(facts.issuer_der),
                "serial_number": facts.serial,
            }
        ),
    )


def _key_transport_identifier(key_transport: KeyTransport) -> cms.KeyEncryptionAlgorithm:
    if isinstance(key_transport, RsaPkcs1v15):
        return cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_pkcs1v15", "parameters": None})
    return cms.KeyEncryptionAlgorithm(
        {
            "algorithm": "rsaes_oaep",
            "parameters": algos.RSAESOAEPParams(
                {
                    "hash_algorithm": {"algorithm": _HASH_NAMES[key_transport.hash_algorithm]},
                    "mask_gen_algorithm": {
                        "algorithm": "mgf1",
                        "parameters": {"algorithm": _HASH_NAMES[key_transport.mgf1_hash]},
                    },
                    "p_source_algorithm": {
                        "algorithm": "p_specified",
                        "parameters": key_transport.label,
                    },
                }
            ),
        }
    )


def rsa_padding(key_transport: KeyTransport) -> padding.AsymmetricPadding:
    """``cryptography``'s padding for a key transport (shared by the file-key decrypter)."""
    if isinstance(key_transport, RsaPkcs1v15):
        return padding.PKCS1v15()
    return padding.OAEP(
        mgf=padding.MGF1(key_transport.mgf1_hash.new()),
        algorithm=key_transport.hash_algorithm.new(),
        label=key_transport.label or None,
    )


def _describe(key_transport: KeyTransport) -> str:
    if isinstance(key_transport, RsaPkcs1v15):
        return "PKCS#1 v1.5"
    return f"OAEP ({key_transport.hash_algorithm.value}, MGF1 {key_transport.mgf1_hash.value})"
