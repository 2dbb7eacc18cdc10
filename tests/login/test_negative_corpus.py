"""The negative corpus: every way a login must fail, each with its own error class.

Each case builds a fresh portal, issues a real challenge, makes the response
a real attacker or a broken client would send, and must be refused with
exactly the expected ``LoginError`` subclass (not a parent, not a sibling).
The signing keys are the standard virtual cards' own keys, used as file keys
so the corpus runs fast; test_end_to_end.py signs through PKCS#11.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hostile_pki
import pytest
from asn1crypto import cms, core
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from login_helpers import (
    ORIGIN,
    SESSION,
    MismatchedSigner,
    SettableClock,
    assert_plain_message,
    card_signer,
    dead_url,
    edit_signed_data,
    file_signer,
    reissued_signer,
)

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto import oids
from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import sign_cms, sign_hipki, sign_smartpki
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    RevocationMode,
    RevocationSource,
)
from xcapki.crypto.validation import errors as validation_errors
from xcapki.login import (
    CPA_FILING_POLICY,
    AlgorithmRejectedError,
    AuthorityNotAllowedError,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificatePolicyNotAllowedError,
    CertificateProfileError,
    CertificatePurposeError,
    CertificateRevokedError,
    Challenge,
    ChallengeExpiredError,
    ChallengeSessionError,
    ChallengeUnknownError,
    ContentBindingError,
    IdentityMissingError,
    KeyUsageRejectedError,
    LoginError,
    LoginPolicy,
    LoginResponse,
    NonceAttributeMismatchError,
    PortalLogin,
    ResponseFormat,
    ResponseMalformedError,
    ResponseSizeError,
    RevocationCheckError,
    RevocationUnknownError,
    SignatureRejectedError,
    SignedAttributeRejectedError,
    SignerCertificateError,
    SigningTimeSkewError,
    UnexpectedSignerError,
    UntrustedSignerError,
    respond,
)
from xcapki.signer import Signer
from xcapki.testing import (
    CardSpec,
    IssuedKey,
    KeyAlgorithm,
    PkiServices,
    ResponderBehaviour,
    StandardCards,
    TestPki,
)

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp]


@dataclasses.dataclass
class Lab:
    """What a case needs: a portal factory, the cards, the test PKI and its services."""

    make_portal: Callable[..., PortalLogin]
    cards: StandardCards
    pki: TestPki
    services: PkiServices
    trust: TrustStore
    responder: hostile_pki.HostileOcspResponder

    def portal(self, **options: Any) -> PortalLogin:
        return self.make_portal(**options)

    def xca(self) -> Signer:
        return card_signer(self.cards.xca)

    def attempt(
        self,
        signer: Signer,
        *,
        portal: PortalLogin | None = None,
        response_format: ResponseFormat = ResponseFormat.XCAPKI,
        **options: Any,
    ) -> None:
        """Issue a challenge, answer it with ``signer``, verify: the whole round."""
        chosen = portal or self.portal()
        challenge = chosen.issue_challenge(SESSION)
        response = respond(challenge, signer, response_format=response_format, **options)
        chosen.verify_response(SESSION, response.to_json())

    def post(self, portal: PortalLogin, body: bytes | str) -> None:
        portal.verify_response(SESSION, body)

    def issued_card(self, **changes: Any) -> IssuedKey:
        spec = CardSpec(
            authority=Authority.XCA,
            organisation_name="語料測試事務所",
            unified_business_number="34567890",
        )
        return self.pki.issue_card(dataclasses.replace(spec, **changes)).signing

    @contextlib.contextmanager
    def xca_responder(
        self, behaviour: ResponderBehaviour, *, rogue: IssuedKey | None = None
    ) -> Iterator[None]:
        with self.services.misbehaving(self.pki.ca(Authority.XCA), behaviour, rogue_signer=rogue):
            yield


@dataclasses.dataclass(frozen=True)
class Case:
    """A way to fail: the exact class, and what the detail and the user message must say."""

    name: str
    expected: type[LoginError]
    run: Callable[[Lab], None]
    detail: str | None = None
    user: str | None = None


CASES: list[Case] = []


def case(
    name: str, expected: type[LoginError], *, detail: str | None = None, user: str | None = None
) -> Callable[[Callable[[Lab], None]], None]:
    """Register a case; ``detail`` and ``user`` are regular expressions the messages must match."""

    def register(run: Callable[[Lab], None]) -> None:
        CASES.append(Case(name, expected, run, detail, user))

    return register


def _envelope(
    lab: Lab, response_format: ResponseFormat = ResponseFormat.XCAPKI
) -> tuple[PortalLogin, Challenge, dict[str, Any]]:
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)
    body = json.loads(respond(challenge, lab.xca(), response_format=response_format).to_json())
    return portal, challenge, body


def _with_cms(lab: Lab, edit: Callable[[bytes, Challenge], bytes]) -> None:
    """Answer a real challenge with a valid xcapki-format CMS passed through ``edit``."""
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)
    cms_der = respond(challenge, lab.xca()).cms
    edited = LoginResponse(
        format=ResponseFormat.XCAPKI,
        challenge_id=challenge.challenge_id,
        cms=edit(cms_der, challenge),
    )
    lab.post(portal, edited.to_json())


# Step 1: size and shape.


@case("empty body", ResponseSizeError)
def _(lab: Lab) -> None:
    lab.post(lab.portal(), b"")


@case("body under 100 bytes", ResponseSizeError)
def _(lab: Lab) -> None:
    lab.post(lab.portal(), b'{"version":1,"format":"xcapki"}')


@case("body over 64 KiB", ResponseSizeError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab)
    body["cms"] = base64.b64encode(bytes(50_000)).decode()
    lab.post(portal, json.dumps(body))


@case("not JSON", ResponseMalformedError)
def _(lab: Lab) -> None:
    lab.post(lab.portal(), b"signature=" + b"A" * 200)


@case("text body with a lone surrogate", ResponseMalformedError)
def _(lab: Lab) -> None:
    lab.post(lab.portal(), "\ud800" * 200)


@case("JSON array instead of object", ResponseMalformedError)
def _(lab: Lab) -> None:
    lab.post(lab.portal(), json.dumps(["xcapki"] * 30))


@case("duplicate JSON key", ResponseMalformedError)
def _(lab: Lab) -> None:
    portal, challenge, body = _envelope(lab)
    text = json.dumps(body)
    lab.post(portal, text[:-1] + f',"challenge_id":"{challenge.challenge_id}"}}')


@case("NaN in JSON", ResponseMalformedError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab)
    lab.post(portal, json.dumps(body)[:-1] + ',"x":NaN}')


@case("deeply nested JSON", ResponseMalformedError)
def _(lab: Lab) -> None:
    lab.post(lab.portal(), "[" * 60_000 + "]" * 10)


@case("unsupported wire version", ResponseMalformedError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab)
    body["version"] = 2
    lab.post(portal, json.dumps(body))


@case("unknown response format", ResponseMalformedError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab)
    body["format"] = "pkcs1"
    lab.post(portal, json.dumps(body))


@case("unknown extra key", ResponseMalformedError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab)
    body["origin"] = "https://evil.example"
    lab.post(portal, json.dumps(body))


@case("challenge id with foreign characters", ResponseMalformedError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab)
    body["challenge_id"] = "../../etc/passwd*" + "A" * 10
    lab.post(portal, json.dumps(body))


@case("malformed base64", ResponseMalformedError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab)
    body["cms"] = body["cms"][:-8] + "!!!!****"
    lab.post(portal, json.dumps(body))


@case("base64 of bytes that are not DER", ResponseMalformedError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab)
    body["cms"] = base64.b64encode(b"MIME-Version: 1.0\r\n" * 20).decode()
    lab.post(portal, json.dumps(body))


@case("truncated DER", ResponseMalformedError)
def _(lab: Lab) -> None:
    _with_cms(lab, lambda der, _: der[: len(der) // 2])


@case("bytes after the DER SignedData", ResponseMalformedError)
def _(lab: Lab) -> None:
    _with_cms(lab, lambda der, _: der + b"\x00\x00")


@case("two signers", ResponseMalformedError)
def _(lab: Lab) -> None:
    def twice(signed_data: cms.SignedData) -> None:
        info = signed_data["signer_infos"][0]
        signed_data["signer_infos"] = cms.SignerInfos([info, info])

    _with_cms(lab, lambda der, _: edit_signed_data(der, twice))


@case("HiPKI error code instead of a signature", ResponseMalformedError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab, ResponseFormat.HIPKI)
    body["hipki"]["ret_code"] = 0x76100006
    lab.post(portal, json.dumps(body))


@case("HiPKI certb64 that is not a certificate", ResponseMalformedError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab, ResponseFormat.HIPKI)
    body["hipki"]["certb64"] = base64.b64encode(b"\x30\x03\x02\x01\x01").decode()
    lab.post(portal, json.dumps(body))


@case("malformed CMS naming a challenge never issued (step 1 before 2)", ResponseMalformedError)
def _(lab: Lab) -> None:
    portal = lab.portal()
    forged = Challenge.new(origin=ORIGIN, now=dt.datetime.now(dt.UTC), ttl=dt.timedelta(minutes=5))
    body = json.loads(respond(forged, lab.xca()).to_json())
    body["cms"] = base64.b64encode(b"\x30\x00" * 60).decode()
    lab.post(portal, json.dumps(body))


# Step 2: the challenge.


@case("replayed response", ChallengeUnknownError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab)
    lab.post(portal, json.dumps(body))
    lab.post(portal, json.dumps(body))


@case("challenge never issued", ChallengeUnknownError)
def _(lab: Lab) -> None:
    portal = lab.portal()
    forged = Challenge.new(origin=ORIGIN, now=dt.datetime.now(dt.UTC), ttl=dt.timedelta(minutes=5))
    lab.post(portal, respond(forged, lab.xca()).to_json())


@case("challenge issued by another portal instance with its own memory", ChallengeUnknownError)
def _(lab: Lab) -> None:
    _, _, body = _envelope(lab)
    lab.post(lab.portal(), json.dumps(body))


@case("challenge used up by an answer refused at step 3", ChallengeUnknownError)
def _(lab: Lab) -> None:
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)
    foreign = respond(challenge, lab.xca(), origin="https://portal.example.tw.evil.example")
    with pytest.raises(ContentBindingError):
        lab.post(portal, foreign.to_json())
    lab.post(portal, respond(challenge, lab.xca()).to_json())


@case("challenge used up by a refused login", ChallengeUnknownError)
def _(lab: Lab) -> None:
    portal = lab.portal(policy=CPA_FILING_POLICY)
    challenge = portal.issue_challenge(SESSION)
    with pytest.raises(AuthorityNotAllowedError):
        lab.post(portal, respond(challenge, card_signer(lab.cards.moica)).to_json())
    lab.post(portal, respond(challenge, lab.xca()).to_json())


@case("expired challenge", ChallengeExpiredError)
def _(lab: Lab) -> None:
    clock = SettableClock()
    portal = lab.portal(clock=clock)
    challenge = portal.issue_challenge(SESSION)
    body = respond(challenge, lab.xca()).to_json()
    clock.advance(dt.timedelta(minutes=5, seconds=1))
    lab.post(portal, body)


@case("challenge from another browser session", ChallengeSessionError)
def _(lab: Lab) -> None:
    portal = lab.portal()
    challenge = portal.issue_challenge("victim-session-0000000000000000")
    portal.verify_response(SESSION, respond(challenge, lab.xca()).to_json())


@case("no browser session at all", ChallengeSessionError)
def _(lab: Lab) -> None:
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)
    portal.verify_response("", respond(challenge, lab.xca()).to_json())


# Step 3: content binding.


@case("signed for another origin", ContentBindingError)
def _(lab: Lab) -> None:
    lab.attempt(lab.xca(), origin="https://portal.example.tw.evil.example")


@case("signed for the same host over http", ContentBindingError)
def _(lab: Lab) -> None:
    lab.attempt(lab.xca(), origin="http://portal.example.tw")


@case("content is not the challenge", ContentBindingError)
def _(lab: Lab) -> None:
    _with_cms(lab, lambda _, __: sign_cms(b"I agree to pay 1,000,000 NTD " * 4, lab.xca()))


@case("answer to another challenge of the same session", ContentBindingError)
def _(lab: Lab) -> None:
    portal = lab.portal()
    first = portal.issue_challenge(SESSION)
    second = portal.issue_challenge(SESSION)
    response = respond(first, lab.xca())
    lab.post(portal, dataclasses.replace(response, challenge_id=second.challenge_id).to_json())


@case("HiPKI nonce attribute is not the challenge's", NonceAttributeMismatchError)
def _(lab: Lab) -> None:
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)
    signer = lab.xca()
    der = sign_hipki(challenge.message, signer, nonce=bytes(32))
    certificate = signer.certificate.public_bytes(Encoding.DER)
    response = LoginResponse(
        format=ResponseFormat.HIPKI,
        challenge_id=challenge.challenge_id,
        cms=der,
        certificate=certificate,
    )
    lab.post(portal, response.to_json())


@case("wrong nonce on a SHA-1 signature (step 3 before 5)", NonceAttributeMismatchError)
def _(lab: Lab) -> None:
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)
    signer = lab.xca()
    der = sign_hipki(challenge.message, signer, nonce=bytes(32), hash_algorithm=HashAlgorithm.SHA1)
    response = LoginResponse(
        format=ResponseFormat.HIPKI,
        challenge_id=challenge.challenge_id,
        cms=der,
        certificate=signer.certificate.public_bytes(Encoding.DER),
    )
    lab.post(portal, response.to_json())


# Step 4: the signer certificate.


@case(
    "HiPKI certb64 is another card's certificate",
    UnexpectedSignerError,
    user="not the one that made it",
)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab, ResponseFormat.HIPKI)
    other = lab.cards.gca.card.signing.certificate.public_bytes(Encoding.DER)
    body["hipki"]["certb64"] = base64.b64encode(other).decode()
    lab.post(portal, json.dumps(body))


@case("SmartPKI certificate field is another card's certificate", UnexpectedSignerError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab, ResponseFormat.SMARTPKI)
    other = lab.cards.xca_ec.card.signing.certificate.public_bytes(Encoding.DER)
    body["certificate"] = base64.b64encode(other).decode()
    lab.post(portal, json.dumps(body))


@case("certb64 of another card on a SHA-1 signature (step 4 before 5)", UnexpectedSignerError)
def _(lab: Lab) -> None:
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)
    response = respond(
        challenge,
        lab.xca(),
        response_format=ResponseFormat.HIPKI,
        hash_algorithm=HashAlgorithm.SHA1,
    )
    other = lab.cards.gca.card.signing.certificate.public_bytes(Encoding.DER)
    lab.post(portal, dataclasses.replace(response, certificate=other).to_json())


@case("no signer certificate anywhere", SignerCertificateError)
def _(lab: Lab) -> None:
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)

    def strip(signed_data: cms.SignedData) -> None:
        signed_data["certificates"] = None

    der = edit_signed_data(sign_smartpki(challenge.message, lab.xca()), strip)
    response = LoginResponse(
        format=ResponseFormat.SMARTPKI, challenge_id=challenge.challenge_id, cms=der
    )
    lab.post(portal, response.to_json())


@case("certificate swapped: names one card, signed by another", SignatureRejectedError)
def _(lab: Lab) -> None:
    swapped = MismatchedSigner(
        signing_card=card_signer(lab.cards.moica),
        certificate=lab.cards.xca.card.signing.certificate,
    )
    lab.attempt(swapped)


# Step 5: algorithms.


@case("SHA-1 digest", AlgorithmRejectedError)
def _(lab: Lab) -> None:
    lab.attempt(lab.xca(), hash_algorithm=HashAlgorithm.SHA1)


@case("SHA-1 digest in the HiPKI shape", AlgorithmRejectedError)
def _(lab: Lab) -> None:
    lab.attempt(lab.xca(), response_format=ResponseFormat.HIPKI, hash_algorithm=HashAlgorithm.SHA1)


@case("MD5 digest", AlgorithmRejectedError)
def _(lab: Lab) -> None:
    def md5(signed_data: cms.SignedData) -> None:
        signed_data["digest_algorithms"] = [{"algorithm": "md5"}]
        signed_data["signer_infos"][0]["digest_algorithm"] = {"algorithm": "md5"}

    _with_cms(lab, lambda der, _: edit_signed_data(der, md5))


@case("RSA-1024 card", AlgorithmRejectedError)
def _(lab: Lab) -> None:
    lab.attempt(file_signer(lab.issued_card(key_algorithm=KeyAlgorithm.RSA_1024)))


@case("card certificate signed with SHA-1 by its CA", AlgorithmRejectedError)
def _(lab: Lab) -> None:
    lab.attempt(file_signer(lab.issued_card(signature_hash=HashAlgorithm.SHA1)))


# Step 6: signed attributes.


@case("signingTime an hour old", SigningTimeSkewError)
def _(lab: Lab) -> None:
    lab.attempt(lab.xca(), signing_time=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))


@case("signingTime an hour ahead", SigningTimeSkewError)
def _(lab: Lab) -> None:
    lab.attempt(
        lab.xca(),
        response_format=ResponseFormat.HIPKI,
        signing_time=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )


@case("content replaced after signing (messageDigest)", SignedAttributeRejectedError)
def _(lab: Lab) -> None:
    def replace_content(der: bytes, challenge: Challenge) -> bytes:
        other = sign_cms(b"something else entirely" * 4, lab.xca())

        def put_challenge(signed_data: cms.SignedData) -> None:
            signed_data["encap_content_info"]["content"] = challenge.message

        return edit_signed_data(other, put_challenge)

    _with_cms(lab, replace_content)


@case("signed card serial is not the certificate's", SignedAttributeRejectedError)
def _(lab: Lab) -> None:
    lab.attempt(lab.xca(), card_serial="TPXXXXXXXXXXXXXX")


# Step 7: the signature.


@case("signature bytes altered", SignatureRejectedError)
def _(lab: Lab) -> None:
    def flip(signed_data: cms.SignedData) -> None:
        info = signed_data["signer_infos"][0]
        value = bytearray(info["signature"].native)
        value[-1] ^= 0x01
        info["signature"] = bytes(value)

    _with_cms(lab, lambda der, _: edit_signed_data(der, flip))


@case("SmartPKI signature over other bytes", SignatureRejectedError)
def _(lab: Lab) -> None:
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)
    signer = lab.xca()
    response = LoginResponse(
        format=ResponseFormat.SMARTPKI,
        challenge_id=challenge.challenge_id,
        cms=sign_smartpki(challenge.message + b"\n", signer),
        certificate=signer.certificate.public_bytes(Encoding.DER),
    )
    lab.post(portal, response.to_json())


# Step 8: certificate purpose and validity.


@case(
    "the card's encryption (KEYX) certificate",
    KeyUsageRejectedError,
    detail="encryption certificate",
    user="encryption certificate was used",
)
def _(lab: Lab) -> None:
    lab.attempt(file_signer(lab.cards.xca.card.encryption))


@case("expired card", CertificateExpiredError, detail="expired at", user="has expired")
def _(lab: Lab) -> None:
    lab.attempt(card_signer(lab.cards.expired))


@case("card not yet valid", CertificateNotYetValidError)
def _(lab: Lab) -> None:
    lab.attempt(card_signer(lab.cards.not_yet_valid))


# Step 9: the portal's policy.


@case("MOICA card on the XCA-only preset", AuthorityNotAllowedError)
def _(lab: Lab) -> None:
    lab.attempt(card_signer(lab.cards.moica), portal=lab.portal(policy=CPA_FILING_POLICY))


@case("GCA card on the XCA-only preset", AuthorityNotAllowedError)
def _(lab: Lab) -> None:
    lab.attempt(card_signer(lab.cards.gca), portal=lab.portal(policy=CPA_FILING_POLICY))


@case("MOEACA card on the XCA-only preset", AuthorityNotAllowedError)
def _(lab: Lab) -> None:
    lab.attempt(card_signer(lab.cards.moeaca), portal=lab.portal(policy=CPA_FILING_POLICY))


@case("certificate policy not allowed", CertificatePolicyNotAllowedError)
def _(lab: Lab) -> None:
    policy = LoginPolicy(certificate_policies=frozenset({oids.GPKI_CLASS_4}))
    lab.attempt(lab.xca(), portal=lab.portal(policy=policy))


@case("portal needs a 統一編號 the card lacks", IdentityMissingError)
def _(lab: Lab) -> None:
    policy = LoginPolicy(require_unified_business_number=True)
    lab.attempt(card_signer(lab.cards.gca), portal=lab.portal(policy=policy))


# Step 10: the path.


@case("CA not trusted by the portal (real GRCA roots only)", UntrustedSignerError)
def _(lab: Lab) -> None:
    lab.attempt(lab.xca(), portal=lab.portal(trust_store=TrustStore.bundled()))


@case("self-signed XCA look-alike", UntrustedSignerError)
def _(lab: Lab) -> None:
    template = lab.cards.xca.card.signing.certificate
    key = KeyAlgorithm.RSA_2048.generate()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "行政院"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, Authority.XCA.value),
        ]
    )
    claim = x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())
    look_alike = reissued_signer(
        lab.pki, template, signing_key=key, issuer_name=name, replaced=(claim,)
    )
    lab.attempt(look_alike)


# Step 11: revocation.


@case("revoked, told by OCSP", CertificateRevokedError)
def _(lab: Lab) -> None:
    lab.attempt(card_signer(lab.cards.revoked))


@case("revoked, told by the CRL while OCSP is down", CertificateRevokedError)
def _(lab: Lab) -> None:
    ca = lab.pki.ca(Authority.XCA)
    lab.services.stop_responder(ca)
    try:
        with pytest.raises(CertificateRevokedError) as refused:
            lab.attempt(card_signer(lab.cards.revoked))
    finally:
        lab.services.start_responder(ca)
    cause = refused.value.__cause__
    assert isinstance(cause, validation_errors.CertificateRevokedError)
    assert not isinstance(cause, LoginError)
    assert cause.status.source is RevocationSource.CRL
    assert refused.value.status is cause.status
    raise refused.value


@case("OCSP answers unknown", RevocationUnknownError)
def _(lab: Lab) -> None:
    lab.attempt(reissued_signer(lab.pki, lab.cards.xca.card.signing.certificate))


@case("OCSP and CRL unreachable, hard-fail", RevocationCheckError)
def _(lab: Lab) -> None:
    unreachable = reissued_signer(
        lab.pki,
        lab.cards.xca.card.signing.certificate,
        ocsp_url=dead_url(),
        crl_url=dead_url() + "xca.crl",
    )
    lab.attempt(unreachable)


def _ocsp_only(lab: Lab) -> Signer:
    """A card the XCA's responder knows, whose CRL address is dead: OCSP alone answers."""
    return reissued_signer(
        lab.pki, lab.cards.xca.card.signing.certificate, crl_url=dead_url() + "xca.crl", record=True
    )


@case("OCSP answer is stale", RevocationCheckError)
def _(lab: Lab) -> None:
    card = _ocsp_only(lab)
    with lab.xca_responder(ResponderBehaviour.STALE):
        lab.attempt(card)


@case("OCSP answer signed by an unauthorised responder", RevocationCheckError)
def _(lab: Lab) -> None:
    card = _ocsp_only(lab)
    rogue = lab.pki.ca(Authority.GCA).ocsp_signer
    with lab.xca_responder(ResponderBehaviour.UNAUTHORISED_SIGNER, rogue=rogue):
        lab.attempt(card)


@case("OCSP says tryLater and no CRL, require mode", RevocationCheckError)
def _(lab: Lab) -> None:
    card = _ocsp_only(lab)
    with lab.xca_responder(ResponderBehaviour.TRY_LATER):
        lab.attempt(card, portal=lab.portal(revocation_mode=RevocationMode.REQUIRE))


# Hostile certificates and shapes, built without xcapki (tests/hostile_pki.py).


def _xca_parts(lab: Lab) -> hostile_pki.CertificateParts:
    return hostile_pki.parts_of(lab.cards.xca.card.signing.certificate)


def _card_variant(lab: Lab, parts: hostile_pki.CertificateParts) -> bytes:
    """The XCA card's certificate with ``parts`` put in, signed again by the XCA CA.

    The serial and key stay, so the XCA's responder still answers "good"."""
    template = lab.cards.xca.card.signing.certificate
    ca_key = lab.pki.ca(Authority.XCA).key.private_key
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    return hostile_pki.rebuild(template, parts, ca_key)


def _sign_in_with(
    lab: Lab,
    certificate_der: bytes,
    key: object,
    *,
    portal: PortalLogin | None = None,
    detached: bool = False,
    response_format: ResponseFormat = ResponseFormat.XCAPKI,
) -> None:
    """Answer a real challenge with a CMS that cryptography's PKCS#7 builder made."""
    assert isinstance(key, rsa.RSAPrivateKey)
    chosen = portal or lab.portal()
    challenge = chosen.issue_challenge(SESSION)
    der = hostile_pki.sign_attached(challenge.message, certificate_der, key, detached=detached)
    certificate = certificate_der if response_format is not ResponseFormat.XCAPKI else None
    response = LoginResponse(
        format=response_format,
        challenge_id=challenge.challenge_id,
        cms=der,
        certificate=certificate,
    )
    lab.post(chosen, response.to_json())


def _card_key(lab: Lab) -> object:
    return lab.cards.xca.card.signing.private_key


def _with_extension(lab: Lab, oid: str, value: bytes | None, *, critical: bool = False) -> bytes:
    return _card_variant(
        lab, hostile_pki.replace_extension(_xca_parts(lab), oid, value, critical=critical)
    )


def _key_usage(**flags: bool) -> bytes:
    names = (
        "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
        "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
    )  # fmt: skip
    return x509.KeyUsage(**{n: flags.get(n, False) for n in names}).public_bytes()


def _eku(*usages: x509.ObjectIdentifier) -> bytes:
    return x509.ExtendedKeyUsage(list(usages)).public_bytes()


def _with_attributes(lab: Lab, edit: Callable[[list[tuple[str, list[bytes]]]], None]) -> bytes:
    parts = _xca_parts(lab)
    (current,) = (e for e in parts.extensions if e.oid == hostile_pki.SUBJECT_DIRECTORY_ATTRIBUTES)
    entries = hostile_pki.directory_attributes(current.value)
    edit(entries)
    value = hostile_pki.encode_directory_attributes(entries)
    return _card_variant(
        lab, hostile_pki.replace_extension(parts, hostile_pki.SUBJECT_DIRECTORY_ATTRIBUTES, value)
    )


_NOT_A_LOGIN_CERTIFICATE = "not the signing certificate of a card issued to a person"


@case(
    "self-signed XCA look-alike without AKI, openssl -noattr, smartpki",
    UntrustedSignerError,
    detail="breaks the path rules",
)
def _(lab: Lab) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed (Debian package openssl)")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    xca = lab.pki.ca(Authority.XCA).certificate.subject
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(xca)
        .issuer_name(xca)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.KeyUsage(True, *[False] * 8), critical=True)
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(Encoding.DER)
    portal = lab.portal(policy=CPA_FILING_POLICY)
    challenge = portal.issue_challenge(SESSION)
    with tempfile.TemporaryDirectory() as workdir:
        cms_der = hostile_pki.openssl_sign_detached_noattr(
            openssl, challenge.message, der, key, Path(workdir)
        )
    response = LoginResponse(
        format=ResponseFormat.SMARTPKI,
        challenge_id=challenge.challenge_id,
        cms=cms_der,
        certificate=der,
    )
    lab.post(portal, response.to_json())


@case(
    "the XCA's OCSP responder certificate",
    CertificatePurposeError,
    detail="OCSP responder",
    user=_NOT_A_LOGIN_CERTIFICATE,
)
def _(lab: Lab) -> None:
    responder = lab.pki.ca(Authority.XCA).ocsp_signer
    _sign_in_with(lab, responder.certificate.public_bytes(Encoding.DER), responder.private_key)


@case(
    "the XCA's OCSP responder certificate on the XCA-only preset",
    CertificatePurposeError,
    user=_NOT_A_LOGIN_CERTIFICATE,
)
def _(lab: Lab) -> None:
    responder = lab.pki.ca(Authority.XCA).ocsp_signer
    _sign_in_with(
        lab,
        responder.certificate.public_bytes(Encoding.DER),
        responder.private_key,
        portal=lab.portal(policy=CPA_FILING_POLICY),
    )


@case("extendedKeyUsage serverAuth only", CertificatePurposeError, detail="1.3.6.1.5.5.7.3.1")
def _(lab: Lab) -> None:
    der = _with_extension(
        lab, hostile_pki.EXTENDED_KEY_USAGE, _eku(ExtendedKeyUsageOID.SERVER_AUTH)
    )
    _sign_in_with(lab, der, _card_key(lab))


@case("extendedKeyUsage timeStamping and codeSigning", CertificatePurposeError)
def _(lab: Lab) -> None:
    value = _eku(ExtendedKeyUsageOID.TIME_STAMPING, ExtendedKeyUsageOID.CODE_SIGNING)
    _sign_in_with(lab, _with_extension(lab, hostile_pki.EXTENDED_KEY_USAGE, value), _card_key(lab))


@case("extendedKeyUsage clientAuth beside OCSPSigning", CertificatePurposeError)
def _(lab: Lab) -> None:
    value = _eku(ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.OCSP_SIGNING)
    _sign_in_with(lab, _with_extension(lab, hostile_pki.EXTENDED_KEY_USAGE, value), _card_key(lab))


@case("subject class server", CertificatePurposeError, detail="SERVER")
def _(lab: Lab) -> None:
    server = core.ObjectIdentifier(oids.SUBJECT_CLASS_SERVER).dump()
    _sign_in_with(
        lab,
        _with_attributes(lab, lambda e: e.append((oids.SUBJECT_CLASS, [server]))),
        _card_key(lab),
    )


@case("no keyUsage", CertificatePurposeError, detail="keyUsage", user=_NOT_A_LOGIN_CERTIFICATE)
def _(lab: Lab) -> None:
    _sign_in_with(lab, _with_extension(lab, hostile_pki.KEY_USAGE, None), _card_key(lab))


@case("keyUsage nonRepudiation only", CertificatePurposeError, user=_NOT_A_LOGIN_CERTIFICATE)
def _(lab: Lab) -> None:
    value = _key_usage(content_commitment=True)
    _sign_in_with(
        lab, _with_extension(lab, hostile_pki.KEY_USAGE, value, critical=True), _card_key(lab)
    )


@case("basicConstraints cA=TRUE", CertificatePurposeError, detail="CA certificate")
def _(lab: Lab) -> None:
    value = x509.BasicConstraints(ca=True, path_length=None).public_bytes()
    der = _with_extension(lab, hostile_pki.BASIC_CONSTRAINTS, value, critical=True)
    _sign_in_with(lab, der, _card_key(lab))


def _text(value: str) -> bytes:
    return bytes(core.PrintableString(value).dump())


@case("two 統一編號 attributes", CertificateProfileError, detail="appears twice")
def _(lab: Lab) -> None:
    extra = (oids.UNIFIED_BUSINESS_NUMBER, [_text("11111111")])
    _sign_in_with(lab, _with_attributes(lab, lambda e: e.append(extra)), _card_key(lab))


@case("two card-serial attributes", CertificateProfileError, detail="appears twice")
def _(lab: Lab) -> None:
    extra = (oids.CARD_SERIAL, [_text("TP00000000000001")])
    _sign_in_with(lab, _with_attributes(lab, lambda e: e.append(extra)), _card_key(lab))


def _set_attribute(oid: str, value: bytes) -> Callable[[list[tuple[str, list[bytes]]]], None]:
    def edit(entries: list[tuple[str, list[bytes]]]) -> None:
        entries[:] = [(o, v) for o, v in entries if o != oid]
        entries.append((oid, [value]))

    return edit


@case("統一編號 with a leading space", CertificateProfileError, detail="whitespace")
def _(lab: Lab) -> None:
    edit = _set_attribute(oids.UNIFIED_BUSINESS_NUMBER, _text(" 12345678"))
    _sign_in_with(lab, _with_attributes(lab, edit), _card_key(lab))


@case("統一編號 with a trailing newline", CertificateProfileError, detail="whitespace")
def _(lab: Lab) -> None:
    value = bytes(core.UTF8String("12345678\n").dump())
    _sign_in_with(
        lab,
        _with_attributes(lab, _set_attribute(oids.UNIFIED_BUSINESS_NUMBER, value)),
        _card_key(lab),
    )


@case("統一編號 in full-width digits", CertificateProfileError, detail="digits")
def _(lab: Lab) -> None:
    value = bytes(core.UTF8String("１２３４５６７８").dump())
    _sign_in_with(
        lab,
        _with_attributes(lab, _set_attribute(oids.UNIFIED_BUSINESS_NUMBER, value)),
        _card_key(lab),
    )


@case("card serial with a trailing space", CertificateProfileError, detail="whitespace")
def _(lab: Lab) -> None:
    edit = _set_attribute(oids.CARD_SERIAL, _text("TP00000000000001 "))
    _sign_in_with(lab, _with_attributes(lab, edit), _card_key(lab))


def _look_alike_ca(lab: Lab, unit: str) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A CA under the test root whose name is the XCA's with its OU changed to ``unit``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = lab.pki.root
    root_key = root.key.private_key
    assert isinstance(root_key, rsa.RSAPrivateKey)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "行政院"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage_ca(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    return certificate, key


def _key_usage_ca() -> x509.KeyUsage:
    return x509.KeyUsage(False, False, False, False, False, True, True, False, False)


def _issued_by_look_alike(lab: Lab, unit: str) -> None:
    ca, ca_key = _look_alike_ca(lab, unit)
    parts = hostile_pki.replace_extension(
        dataclasses.replace(_xca_parts(lab), issuer=ca.subject.public_bytes()),
        hostile_pki.AUTHORITY_KEY_IDENTIFIER,
        x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()).public_bytes(),
    )
    der = hostile_pki.rebuild(lab.cards.xca.card.signing.certificate, parts, ca_key)
    trusted = lab.portal(policy=CPA_FILING_POLICY, trust_store=lab.trust.with_intermediates(ca))
    _sign_in_with(lab, der, _card_key(lab), portal=trusted)


@case("issuing CA named as the XCA plus a trailing space", AuthorityNotAllowedError, detail="OTHER")
def _(lab: Lab) -> None:
    _issued_by_look_alike(lab, Authority.XCA.value + " ")


@case(
    "issuing CA named as the XCA after a no-break space", AuthorityNotAllowedError, detail="OTHER"
)
def _(lab: Lab) -> None:
    _issued_by_look_alike(lab, "\u00a0" + Authority.XCA.value)


@case(
    "issuing CA expired, card still valid",
    CertificateExpiredError,
    detail="a CA certificate of the path expired",
    user="the card's, or its authority's",
)
def _(lab: Lab) -> None:
    """A CA named exactly as the XCA, under the test root, whose validity has ended."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = lab.pki.root
    root_key = root.key.private_key
    assert isinstance(root_key, rsa.RSAPrivateKey)
    now = dt.datetime.now(dt.UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(lab.pki.ca(Authority.XCA).certificate.subject)
        .issuer_name(root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now - dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage_ca(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    parts = hostile_pki.replace_extension(
        _xca_parts(lab),
        hostile_pki.AUTHORITY_KEY_IDENTIFIER,
        x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()).public_bytes(),
    )
    der = hostile_pki.rebuild(lab.cards.xca.card.signing.certificate, parts, key)
    portal = lab.portal(
        revocation_mode=RevocationMode.OFF, trust_store=lab.trust.with_intermediates(ca)
    )
    _sign_in_with(lab, der, _card_key(lab), portal=portal)


@case("detached CMS in the xcapki format", ResponseMalformedError, detail="detached")
def _(lab: Lab) -> None:
    card = lab.cards.xca.card.signing
    _sign_in_with(lab, card.certificate.public_bytes(Encoding.DER), card.private_key, detached=True)


@case("detached CMS in the hipki format", ResponseMalformedError, detail="detached")
def _(lab: Lab) -> None:
    card = lab.cards.xca.card.signing
    _sign_in_with(
        lab,
        card.certificate.public_bytes(Encoding.DER),
        card.private_key,
        detached=True,
        response_format=ResponseFormat.HIPKI,
    )


@case("attached CMS in the smartpki format", ResponseMalformedError, detail="attached")
def _(lab: Lab) -> None:
    card = lab.cards.xca.card.signing
    _sign_in_with(
        lab,
        card.certificate.public_bytes(Encoding.DER),
        card.private_key,
        response_format=ResponseFormat.SMARTPKI,
    )


@case("HiPKI error code, shown in hexadecimal", ResponseMalformedError, detail="0x76100006")
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab, ResponseFormat.HIPKI)
    body["hipki"]["ret_code"] = 0x76100006
    lab.post(portal, json.dumps(body))


# Revocation answers that cannot be used, from a responder built without xcapki.


def _behind_hostile_responder(lab: Lab, answer: hostile_pki.OcspAnswer) -> None:
    """The XCA card, its OCSP address our hostile responder's and its CRL address dead."""
    responder = lab.responder
    responder.answer = answer
    parts = hostile_pki.revocation_addresses(
        _xca_parts(lab), ocsp_url=responder.url, crl_url=dead_url() + "xca.crl"
    )
    _sign_in_with(lab, _card_variant(lab, parts), _card_key(lab))


_CHECK_LATER = "could not confirm"


@case(
    "OCSP answer carries another request's nonce",
    RevocationCheckError,
    detail="nonce of another request.*caching proxy",
    user=_CHECK_LATER,
)
def _(lab: Lab) -> None:
    _behind_hostile_responder(lab, hostile_pki.OcspAnswer.WRONG_NONCE)


@case(
    "OCSP status unauthorized",
    RevocationCheckError,
    detail="refused to answer \\(status unauthorized\\).*does not serve this CA",
)
def _(lab: Lab) -> None:
    _behind_hostile_responder(lab, hostile_pki.OcspAnswer.UNAUTHORIZED)


@case("OCSP address answers an HTML page", RevocationCheckError, detail="not an OCSP response")
def _(lab: Lab) -> None:
    _behind_hostile_responder(lab, hostile_pki.OcspAnswer.HTML_PAGE)


@case("OCSP address answers 4 MB", RevocationCheckError, detail="larger than 65536 bytes")
def _(lab: Lab) -> None:
    _behind_hostile_responder(lab, hostile_pki.OcspAnswer.FOUR_MEGABYTES)


@case(
    "OCSP address answers 4 MB without a Content-Length",
    RevocationCheckError,
    detail="larger than 65536 bytes",
)
def _(lab: Lab) -> None:
    _behind_hostile_responder(lab, hostile_pki.OcspAnswer.FOUR_MEGABYTES_UNANNOUNCED)


@case("OCSP address answers HTTP 500", RevocationCheckError, detail="answered HTTP 500")
def _(lab: Lab) -> None:
    _behind_hostile_responder(lab, hostile_pki.OcspAnswer.HTTP_500)


@case("OCSP answer signed with SHA-1", RevocationCheckError, detail="signed with SHA1")
def _(lab: Lab) -> None:
    _behind_hostile_responder(lab, hostile_pki.OcspAnswer.SHA1_SIGNED)


@case(
    "OCSP answer for another serial number",
    RevocationCheckError,
    detail="about another certificate",
)
def _(lab: Lab) -> None:
    _behind_hostile_responder(lab, hostile_pki.OcspAnswer.OTHER_SERIAL)


@pytest.fixture(scope="module")
def hostile_responder(test_pki: TestPki) -> Iterator[hostile_pki.HostileOcspResponder]:
    key = test_pki.ca(Authority.XCA).key.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    responder = hostile_pki.HostileOcspResponder(test_pki.ca(Authority.XCA).certificate, key)
    try:
        yield responder
    finally:
        responder.close()


@pytest.fixture
def lab(
    make_portal: Callable[..., PortalLogin],
    softhsm_cards: StandardCards,
    test_pki: TestPki,
    pki_services: PkiServices,
    portal_trust: TrustStore,
    hostile_responder: hostile_pki.HostileOcspResponder,
) -> Lab:
    return Lab(
        make_portal=make_portal,
        cards=softhsm_cards,
        pki=test_pki,
        services=pki_services,
        trust=portal_trust,
        responder=hostile_responder,
    )


def test_the_corpus_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("entry", CASES, ids=[c.name for c in CASES])
def test_refused_with_its_own_error(lab: Lab, entry: Case) -> None:
    with pytest.raises(LoginError) as refused:
        entry.run(lab)
    assert type(refused.value) is entry.expected, str(refused.value)
    assert refused.value.user_message
    assert SESSION not in str(refused.value)
    if entry.detail is not None:
        assert re.search(entry.detail, str(refused.value)), str(refused.value)
    if entry.user is not None:
        assert re.search(entry.user, refused.value.user_message), refused.value.user_message
    assert_plain_message(str(refused.value))


def test_the_hostile_responder_good_answer_is_accepted(lab: Lab) -> None:
    """The control of the revocation cases: its good answer lets the same card in."""
    lab.responder.answer = hostile_pki.OcspAnswer.GOOD
    parts = hostile_pki.revocation_addresses(
        _xca_parts(lab), ocsp_url=lab.responder.url, crl_url=dead_url() + "xca.crl"
    )
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)
    der = hostile_pki.sign_attached(challenge.message, _card_variant(lab, parts), _card_key(lab))
    response = LoginResponse(
        format=ResponseFormat.XCAPKI, challenge_id=challenge.challenge_id, cms=der
    )
    login = portal.verify_response(SESSION, response.to_json())
    assert login.revocation.source is RevocationSource.OCSP


def test_certificate_hash_is_what_the_identity_reports(lab: Lab) -> None:
    """A control for the swap case: the same card's own pair is accepted."""
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)
    login = portal.verify_response(SESSION, respond(challenge, lab.xca()))
    expected = lab.cards.xca.card.signing.certificate.fingerprint(hashes.SHA256())
    assert login.identity.certificate_fingerprint == expected
