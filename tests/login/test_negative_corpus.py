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
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from login_helpers import (
    ORIGIN,
    SESSION,
    MismatchedSigner,
    SettableClock,
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
    CertificateRevokedError,
    RevocationMode,
    RevocationSource,
)
from xcapki.login import (
    CPA_FILING_POLICY,
    AlgorithmRejectedError,
    AuthorityNotAllowedError,
    CertificateFieldMismatchError,
    CertificatePolicyNotAllowedError,
    Challenge,
    ChallengeExpiredError,
    ChallengeSessionError,
    ChallengeUnknownError,
    ContentBindingError,
    ExpiredCertificateError,
    IdentityMissingError,
    KeyUsageRejectedError,
    LoginError,
    LoginPolicy,
    LoginResponse,
    NonceMismatchError,
    NotYetValidCertificateError,
    PortalLogin,
    ResponseFormat,
    ResponseMalformedError,
    ResponseSizeError,
    RevocationCheckError,
    RevokedCertificateError,
    SignatureRejectedError,
    SignedAttributesError,
    SignerCertificateError,
    SigningTimeError,
    UnknownCertificateStatusError,
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
    name: str
    expected: type[LoginError]
    run: Callable[[Lab], None]


CASES: list[Case] = []


def case(name: str, expected: type[LoginError]) -> Callable[[Callable[[Lab], None]], None]:
    def register(run: Callable[[Lab], None]) -> None:
        CASES.append(Case(name, expected, run))

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


@case("HiPKI nonce attribute is not the challenge's", NonceMismatchError)
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


@case("wrong nonce on a SHA-1 signature (step 3 before 5)", NonceMismatchError)
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


@case("HiPKI certb64 is another card's certificate", CertificateFieldMismatchError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab, ResponseFormat.HIPKI)
    other = lab.cards.gca.card.signing.certificate.public_bytes(Encoding.DER)
    body["hipki"]["certb64"] = base64.b64encode(other).decode()
    lab.post(portal, json.dumps(body))


@case("SmartPKI certificate field is another card's certificate", CertificateFieldMismatchError)
def _(lab: Lab) -> None:
    portal, _, body = _envelope(lab, ResponseFormat.SMARTPKI)
    other = lab.cards.xca_ec.card.signing.certificate.public_bytes(Encoding.DER)
    body["certificate"] = base64.b64encode(other).decode()
    lab.post(portal, json.dumps(body))


@case(
    "certb64 of another card on a SHA-1 signature (step 4 before 5)", CertificateFieldMismatchError
)
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


@case("signingTime an hour old", SigningTimeError)
def _(lab: Lab) -> None:
    lab.attempt(lab.xca(), signing_time=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))


@case("signingTime an hour ahead", SigningTimeError)
def _(lab: Lab) -> None:
    lab.attempt(
        lab.xca(),
        response_format=ResponseFormat.HIPKI,
        signing_time=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )


@case("content replaced after signing (messageDigest)", SignedAttributesError)
def _(lab: Lab) -> None:
    def replace_content(der: bytes, challenge: Challenge) -> bytes:
        other = sign_cms(b"something else entirely" * 4, lab.xca())

        def put_challenge(signed_data: cms.SignedData) -> None:
            signed_data["encap_content_info"]["content"] = challenge.message

        return edit_signed_data(other, put_challenge)

    _with_cms(lab, replace_content)


@case("signed card serial is not the certificate's", SignedAttributesError)
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


@case("the card's encryption (KEYX) certificate", KeyUsageRejectedError)
def _(lab: Lab) -> None:
    lab.attempt(file_signer(lab.cards.xca.card.encryption))


@case("expired card", ExpiredCertificateError)
def _(lab: Lab) -> None:
    lab.attempt(card_signer(lab.cards.expired))


@case("card not yet valid", NotYetValidCertificateError)
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


@case("revoked, told by OCSP", RevokedCertificateError)
def _(lab: Lab) -> None:
    lab.attempt(card_signer(lab.cards.revoked))


@case("revoked, told by the CRL while OCSP is down", RevokedCertificateError)
def _(lab: Lab) -> None:
    ca = lab.pki.ca(Authority.XCA)
    lab.services.stop_responder(ca)
    try:
        with pytest.raises(RevokedCertificateError) as refused:
            lab.attempt(card_signer(lab.cards.revoked))
    finally:
        lab.services.start_responder(ca)
    cause = refused.value.__cause__
    assert isinstance(cause, CertificateRevokedError)
    assert cause.status.source is RevocationSource.CRL
    raise refused.value


@case("OCSP answers unknown", UnknownCertificateStatusError)
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


@pytest.fixture
def lab(
    make_portal: Callable[..., PortalLogin],
    softhsm_cards: StandardCards,
    test_pki: TestPki,
    pki_services: PkiServices,
) -> Lab:
    return Lab(make_portal=make_portal, cards=softhsm_cards, pki=test_pki, services=pki_services)


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


def test_certificate_hash_is_what_the_identity_reports(lab: Lab) -> None:
    """A control for the swap case: the same card's own pair is accepted."""
    portal = lab.portal()
    challenge = portal.issue_challenge(SESSION)
    login = portal.verify_response(SESSION, respond(challenge, lab.xca()))
    expected = lab.cards.xca.card.signing.certificate.fingerprint(hashes.SHA256())
    assert login.identity.certificate_fingerprint == expected
