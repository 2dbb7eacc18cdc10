"""The Web eID token validator, on tokens signed here with ``cryptography`` directly.

The tokens are built the way the reference describes them (H(origin) ||
H(nonce), raw r || s for ECDSA, PSS with salt = hash length), never with the
validator's own helpers, so a mistake in the validator cannot hide in them.
Each check of the reference is met once failing, and its order is checked
where two failures meet in one token.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID
from login_helpers import ORIGIN, SESSION, SettableClock

from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode, RevocationState
from xcapki.login import (
    CPA_FILING_POLICY,
    AlgorithmRejectedError,
    AuthorityNotAllowedError,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    ChallengeExpiredError,
    ChallengeIssuer,
    ChallengeSessionError,
    ChallengeUnknownError,
    IdentityMissingError,
    KeyUsageRejectedError,
    LoginConfigurationError,
    LoginPolicy,
    MemoryChallengeStore,
    PortalLogin,
    ResponseFormat,
    ResponseMalformedError,
    ResponseSizeError,
    SignatureRejectedError,
    UntrustedSignerError,
    respond,
)
from xcapki.login.webeid import (
    CertificateDecodingError,
    CertificatePurposeMissingError,
    DisallowedPolicyError,
    ExtendedKeyUsageRejectedError,
    TokenFormatError,
    WebEidRules,
    WebEidValidator,
)
from xcapki.testing import IssuedKey, PkiServices, StandardCards, TestPki
from xcapki.testing.keys import KeyAlgorithm
from xcapki.token import TokenSession

_HASHES: dict[str, Any] = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
_HASHLIB: dict[str, Callable[[bytes], Any]] = {
    "256": hashlib.sha256,
    "384": hashlib.sha384,
    "512": hashlib.sha512,
}
MOBILE_ID_POLICY = "1.3.6.1.4.1.10015.1.3.1"

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp]


def make_token(
    key: Any,
    certificate: x509.Certificate,
    *,
    nonce: str,
    origin: str = ORIGIN,
    algorithm: str = "RS256",
    claimed: str | None = None,
    **overrides: Any,
) -> str:
    """A ``web-eid:1.0`` token as a Web eID app makes one, signed by ``key`` with
    ``algorithm``; ``claimed`` replaces the algorithm the token names."""
    bits = algorithm[2:]
    message = _HASHLIB[bits](origin.encode()).digest() + _HASHLIB[bits](nonce.encode()).digest()
    digest = _HASHES[bits]()
    if algorithm.startswith("ES"):
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(digest)))
        size = (key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    elif algorithm.startswith("PS"):
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        signature = key.sign(message, pss, digest)
    else:
        signature = key.sign(message, padding.PKCS1v15(), digest)
    token = {
        "unverifiedCertificate": base64.b64encode(
            certificate.public_bytes(serialization.Encoding.DER)
        ).decode(),
        "algorithm": claimed or algorithm,
        "signature": base64.b64encode(signature).decode(),
        "format": "web-eid:1.0",
        "appVersion": "https://xcapki.example/native-host/0.1.0",
    }
    token.update(overrides)
    return json.dumps({k: v for k, v in token.items() if v is not None})


class Desk:
    """A portal's Web eID set-up: an issuer and a validator sharing one store and clock."""

    def __init__(
        self, trust: TrustStore, *, clock: SettableClock | None = None, **options: Any
    ) -> None:
        self.clock = clock or SettableClock()
        self.store = options.pop("store", None) or MemoryChallengeStore(clock=self.clock)
        self.issuer = ChallengeIssuer(origin=ORIGIN, store=self.store, clock=self.clock)
        self.validator = WebEidValidator(
            origin=ORIGIN, store=self.store, trust_store=trust, clock=self.clock, **options
        )

    def challenge(self) -> tuple[str, str]:
        """(challenge id, challengeNonce) of a fresh challenge for ``SESSION``."""
        challenge = self.issuer.issue(SESSION)
        return challenge.challenge_id, base64.b64encode(challenge.nonce).decode()

    def login(
        self, key: IssuedKey, *, algorithm: str = "RS256", claimed: str | None = None, **token: Any
    ) -> Any:
        """Sign with ``algorithm``; the token names ``claimed`` instead when given."""
        challenge_id, nonce = self.challenge()
        signed = make_token(
            key.private_key,
            key.certificate,
            nonce=nonce,
            algorithm=algorithm,
            claimed=claimed,
            **token,
        )
        return self.validator.validate(signed, challenge_id=challenge_id, session_id=SESSION)


@pytest.fixture
def desk(portal_trust: TrustStore, pki_services: PkiServices) -> Desk:
    return Desk(portal_trust)


@pytest.fixture
def webeid_desk(portal_trust: TrustStore, pki_services: PkiServices) -> Desk:
    return Desk(portal_trust, rules=WebEidRules.WEB_EID)


def reissued(pki: TestPki, template: x509.Certificate, **changes: Any) -> IssuedKey:
    """``template`` reissued by its XCA for a fresh RSA key, known to the OCSP responder."""
    key = KeyAlgorithm.RSA_2048.generate()
    certificate = pki.reissue(template, Authority.XCA, key=key, record=True, **changes)
    return IssuedKey(
        certificate=certificate,
        private_key=key,
        certificate_path=None,  # type: ignore[arg-type]
        private_key_path=None,  # type: ignore[arg-type]
    )


def _without(certificate: x509.Certificate, extension: type[x509.ExtensionType]) -> Any:
    """A template of ``certificate`` minus one extension (TestPki.reissue keeps the rest)."""
    return _Template(certificate, extension)


class _Template:
    """Duck-types the parts of x509.Certificate that ``TestPki.reissue`` reads."""

    def __init__(self, certificate: x509.Certificate, dropped: type[x509.ExtensionType]) -> None:
        self._certificate = certificate
        self.extensions = [e for e in certificate.extensions if not isinstance(e.value, dropped)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._certificate, name)


# --- success, every algorithm the cards and the reference allow ---


def test_rs256_taiwan_profile_login_carries_the_identity(
    desk: Desk, softhsm_cards: StandardCards
) -> None:
    login = desk.login(softhsm_cards.xca.card.signing)
    assert login.algorithm.value == "RS256"
    assert login.identity is not None
    assert login.profile is not None
    assert login.identity.authority is Authority.XCA
    assert login.identity.unified_business_number == "12345678"
    assert login.revocation.state is RevocationState.GOOD
    assert login.chain[0] == softhsm_cards.xca.card.signing.certificate
    assert login.origin == ORIGIN


def test_web_eid_and_cms_logins_state_the_same_identity(
    desk: Desk,
    softhsm_cards: StandardCards,
    card_sessions: dict[str, TokenSession],
    make_portal: Callable[..., PortalLogin],
) -> None:
    """A CMS in the SmartPKI shape signs no attributes, so both protocols read the whole
    identity from the certificate and must state the same one."""
    webeid = desk.login(softhsm_cards.xca.card.signing)
    portal = make_portal()
    challenge = portal.issue_challenge(SESSION)
    response = respond(challenge, card_sessions["xca"], response_format=ResponseFormat.SMARTPKI)
    cms = portal.verify_response(SESSION, response)
    assert webeid.identity == cms.identity


@pytest.mark.parametrize("algorithm", ["PS256", "RS384", "PS512"])
def test_rsa_algorithms_verify(desk: Desk, softhsm_cards: StandardCards, algorithm: str) -> None:
    assert desk.login(softhsm_cards.xca.card.signing, algorithm=algorithm).algorithm.value == (
        algorithm
    )


def test_es256_on_the_ec_card(desk: Desk, softhsm_cards: StandardCards) -> None:
    assert desk.login(softhsm_cards.xca_ec.card.signing, algorithm="ES256").identity is not None


def test_web_eid_rules_admit_any_trusted_card_without_a_profile(
    webeid_desk: Desk, softhsm_cards: StandardCards
) -> None:
    login = webeid_desk.login(softhsm_cards.moica.card.signing)
    assert login.profile is None
    assert login.identity is None


# --- step 1: size and JSON ---


@pytest.mark.parametrize("text", ["{}", "x" * 10_001])
def test_size_bounds(desk: Desk, text: str) -> None:
    challenge_id, _ = desk.challenge()
    with pytest.raises(ResponseSizeError):
        desk.validator.validate(text, challenge_id=challenge_id, session_id=SESSION)


@pytest.mark.parametrize("text", ["[" + '"a",' * 40 + '"a"]', "{" + " " * 120 + "oops"])
def test_not_a_json_object(desk: Desk, text: str) -> None:
    challenge_id, _ = desk.challenge()
    with pytest.raises(ResponseMalformedError):
        desk.validator.validate(text, challenge_id=challenge_id, session_id=SESSION)


# --- step 2: format and certificate; the challenge is not used up ---


@pytest.mark.parametrize("form", ["web-eid:2", "", None])
def test_format_must_be_web_eid_1(desk: Desk, softhsm_cards: StandardCards, form: Any) -> None:
    with pytest.raises(TokenFormatError):
        desk.login(softhsm_cards.xca.card.signing, format=form, pad="x" * 100)


@pytest.mark.parametrize(
    "value", ["", "***not base64***", base64.b64encode(b"\x30" * 200).decode()]
)
def test_certificate_must_be_base64_der(
    desk: Desk, softhsm_cards: StandardCards, value: str
) -> None:
    challenge_id, nonce = desk.challenge()
    signing = softhsm_cards.xca.card.signing
    token = make_token(
        signing.private_key, signing.certificate, nonce=nonce, unverifiedCertificate=value
    )
    with pytest.raises(CertificateDecodingError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)
    good = make_token(signing.private_key, signing.certificate, nonce=nonce)
    assert desk.validator.validate(good, challenge_id=challenge_id, session_id=SESSION)


# --- the challenge: single use, expiring, bound to the session ---


def test_a_token_replayed_is_refused(desk: Desk, softhsm_cards: StandardCards) -> None:
    signing = softhsm_cards.xca.card.signing
    challenge_id, nonce = desk.challenge()
    token = make_token(signing.private_key, signing.certificate, nonce=nonce)
    desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)
    with pytest.raises(ChallengeUnknownError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)


def test_a_failed_login_uses_the_challenge_up(desk: Desk, softhsm_cards: StandardCards) -> None:
    signing = softhsm_cards.xca.card.signing
    challenge_id, nonce = desk.challenge()
    wrong = make_token(signing.private_key, signing.certificate, nonce=nonce, origin="https://x.tw")
    with pytest.raises(SignatureRejectedError):
        desk.validator.validate(wrong, challenge_id=challenge_id, session_id=SESSION)
    right = make_token(signing.private_key, signing.certificate, nonce=nonce)
    with pytest.raises(ChallengeUnknownError):
        desk.validator.validate(right, challenge_id=challenge_id, session_id=SESSION)


def test_an_expired_challenge(desk: Desk, softhsm_cards: StandardCards) -> None:
    signing = softhsm_cards.xca.card.signing
    challenge_id, nonce = desk.challenge()
    desk.clock.advance(dt.timedelta(minutes=5, seconds=1))
    token = make_token(signing.private_key, signing.certificate, nonce=nonce)
    with pytest.raises(ChallengeExpiredError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)


def test_a_challenge_of_another_session(desk: Desk, softhsm_cards: StandardCards) -> None:
    signing = softhsm_cards.xca.card.signing
    challenge_id, nonce = desk.challenge()
    token = make_token(signing.private_key, signing.certificate, nonce=nonce)
    with pytest.raises(ChallengeSessionError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id="another-session")


def test_the_nonce_is_32_random_bytes_in_base64(desk: Desk) -> None:
    nonces = {desk.challenge()[1] for _ in range(20)}
    assert len(nonces) == 20
    assert all(len(n) == 44 and len(base64.b64decode(n)) == 32 for n in nonces)


@pytest.mark.redis
def test_redis_store_is_single_use(
    portal_trust: TrustStore,
    pki_services: PkiServices,
    redis_url: str,
    softhsm_cards: StandardCards,
) -> None:
    from xcapki.login.redis_store import RedisChallengeStore

    desk = Desk(portal_trust, store=RedisChallengeStore.from_url(redis_url))
    signing = softhsm_cards.xca.card.signing
    challenge_id, nonce = desk.challenge()
    token = make_token(signing.private_key, signing.certificate, nonce=nonce)
    assert desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)
    with pytest.raises(ChallengeUnknownError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)


# --- step 3: purpose ---


def test_no_key_usage(desk: Desk, test_pki: TestPki, softhsm_cards: StandardCards) -> None:
    template = _without(softhsm_cards.xca.card.signing.certificate, x509.KeyUsage)
    with pytest.raises(CertificatePurposeMissingError):
        desk.login(reissued(test_pki, template))


def test_the_encryption_certificate(desk: Desk, softhsm_cards: StandardCards) -> None:
    with pytest.raises(KeyUsageRejectedError) as caught:
        desk.login(softhsm_cards.xca.card.encryption)
    assert type(caught.value) is KeyUsageRejectedError


def test_an_eku_without_client_auth(
    desk: Desk, test_pki: TestPki, softhsm_cards: StandardCards
) -> None:
    template = softhsm_cards.xca.card.signing.certificate
    server = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    with pytest.raises(ExtendedKeyUsageRejectedError):
        desk.login(reissued(test_pki, _with(template, server)))
    client = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    assert desk.login(reissued(test_pki, _with(template, client))).identity is not None


@pytest.mark.parametrize("rules", list(WebEidRules))
def test_an_eku_naming_ocsp_signing_beside_client_auth(
    portal_trust: TrustStore,
    pki_services: PkiServices,
    test_pki: TestPki,
    softhsm_cards: StandardCards,
    rules: WebEidRules,
) -> None:
    """A certificate that may sign OCSP answers never logs in, under either rule set."""
    desk = Desk(portal_trust, rules=rules)
    template = softhsm_cards.xca.card.signing.certificate
    both = x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.OCSP_SIGNING]
    )
    with pytest.raises(ExtendedKeyUsageRejectedError, match=r"1\.3\.6\.1\.5\.5\.7\.3\.9"):
        desk.login(reissued(test_pki, _with(template, both)))
    client = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    assert desk.login(reissued(test_pki, _with(template, client))).certificate is not None


def _with(certificate: x509.Certificate, extension: x509.ExtensionType) -> Any:
    template = _without(certificate, type(extension))
    template.extensions.append(x509.Extension(extension.oid, False, extension))
    return template


# --- step 4: policies ---


def test_web_eid_rules_refuse_a_disallowed_policy(
    webeid_desk: Desk, test_pki: TestPki, softhsm_cards: StandardCards
) -> None:
    policies = x509.CertificatePolicies(
        [x509.PolicyInformation(x509.ObjectIdentifier(MOBILE_ID_POLICY), None)]
    )
    template = _with(softhsm_cards.xca.card.signing.certificate, policies)
    with pytest.raises(DisallowedPolicyError):
        webeid_desk.login(reissued(test_pki, template))


def test_taiwan_profile_applies_the_login_policy(
    portal_trust: TrustStore, pki_services: PkiServices, softhsm_cards: StandardCards
) -> None:
    with pytest.raises(AuthorityNotAllowedError):
        Desk(portal_trust, policy=CPA_FILING_POLICY).login(softhsm_cards.moica.card.signing)
    needs_number = LoginPolicy(require_unified_business_number=True)
    with pytest.raises(IdentityMissingError):
        Desk(portal_trust, policy=needs_number).login(softhsm_cards.moica.card.signing)
    assert Desk(portal_trust, policy=CPA_FILING_POLICY).login(softhsm_cards.xca.card.signing)


# --- steps 5 and 6: validity, trust, revocation ---


def test_expired_and_not_yet_valid(desk: Desk, softhsm_cards: StandardCards) -> None:
    with pytest.raises(CertificateExpiredError):
        desk.login(softhsm_cards.expired.card.signing)
    with pytest.raises(CertificateNotYetValidError):
        desk.login(softhsm_cards.not_yet_valid.card.signing)


def test_a_certificate_from_an_untrusted_issuer(
    desk: Desk, test_pki: TestPki, softhsm_cards: StandardCards
) -> None:
    stranger = KeyAlgorithm.RSA_2048.generate()
    template = softhsm_cards.xca.card.signing.certificate
    with pytest.raises(UntrustedSignerError):
        desk.login(reissued(test_pki, template, signing_key=stranger))


def test_a_revoked_certificate(desk: Desk, softhsm_cards: StandardCards) -> None:
    with pytest.raises(CertificateRevokedError):
        desk.login(softhsm_cards.revoked.card.signing)


def test_revocation_off_reports_not_checked(
    portal_trust: TrustStore, softhsm_cards: StandardCards
) -> None:
    login = Desk(portal_trust, revocation_mode=RevocationMode.OFF).login(
        softhsm_cards.revoked.card.signing
    )
    assert login.revocation.state is RevocationState.NOT_CHECKED


# --- step 7: the signature ---


@pytest.mark.parametrize("algorithm", ["HS256", "none", "RS1", "ES256K"])
def test_unsupported_algorithm_names(
    desk: Desk, softhsm_cards: StandardCards, algorithm: str
) -> None:
    with pytest.raises(AlgorithmRejectedError):
        desk.login(softhsm_cards.xca.card.signing, claimed=algorithm)


def test_an_algorithm_that_does_not_fit_the_key(desk: Desk, softhsm_cards: StandardCards) -> None:
    with pytest.raises(AlgorithmRejectedError):
        desk.login(softhsm_cards.xca.card.signing, claimed="ES256")
    with pytest.raises(AlgorithmRejectedError):
        desk.login(softhsm_cards.xca_ec.card.signing, algorithm="ES256", claimed="RS256")


@pytest.mark.parametrize("signature", ["", "%%%", base64.b64encode(b"\0" * 256).decode()])
def test_empty_unreadable_or_wrong_signature(
    desk: Desk, softhsm_cards: StandardCards, signature: str
) -> None:
    with pytest.raises(SignatureRejectedError):
        desk.login(softhsm_cards.xca.card.signing, signature=signature)


def test_a_token_for_another_origin(desk: Desk, softhsm_cards: StandardCards) -> None:
    with pytest.raises(SignatureRejectedError):
        desk.login(softhsm_cards.xca.card.signing, origin="https://phish.example.tw")


def test_a_token_for_another_nonce(desk: Desk, softhsm_cards: StandardCards) -> None:
    signing = softhsm_cards.xca.card.signing
    challenge_id, _ = desk.challenge()
    _, other_nonce = desk.challenge()
    token = make_token(signing.private_key, signing.certificate, nonce=other_nonce)
    with pytest.raises(SignatureRejectedError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)


def test_der_ecdsa_instead_of_raw_r_s(desk: Desk, softhsm_cards: StandardCards) -> None:
    signing = softhsm_cards.xca_ec.card.signing
    challenge_id, nonce = desk.challenge()
    message = hashlib.sha256(ORIGIN.encode()).digest() + hashlib.sha256(nonce.encode()).digest()
    der = signing.private_key.sign(message, ec.ECDSA(hashes.SHA256()))  # type: ignore[call-arg]
    token = make_token(
        signing.private_key,
        signing.certificate,
        nonce=nonce,
        algorithm="ES256",
        signature=base64.b64encode(der).decode(),
    )
    with pytest.raises(SignatureRejectedError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)


def test_pkcs1_signature_labelled_pss(desk: Desk, softhsm_cards: StandardCards) -> None:
    signing = softhsm_cards.xca.card.signing
    assert isinstance(signing.private_key, rsa.RSAPrivateKey)
    challenge_id, nonce = desk.challenge()
    token = json.loads(make_token(signing.private_key, signing.certificate, nonce=nonce))
    token["algorithm"] = "PS256"
    with pytest.raises(SignatureRejectedError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)


# --- the order of the checks ---


def test_purpose_is_checked_before_validity_and_signature(
    desk: Desk, softhsm_cards: StandardCards
) -> None:
    with pytest.raises(KeyUsageRejectedError):
        desk.login(softhsm_cards.expired.card.encryption, signature="")


def test_policy_is_checked_before_trust(
    portal_trust: TrustStore, pki_services: PkiServices, softhsm_cards: StandardCards
) -> None:
    with pytest.raises(AuthorityNotAllowedError):
        Desk(portal_trust, policy=CPA_FILING_POLICY).login(
            softhsm_cards.moica.card.signing, signature=""
        )


def test_validity_and_revocation_come_before_the_signature(
    desk: Desk, softhsm_cards: StandardCards
) -> None:
    with pytest.raises(CertificateExpiredError):
        desk.login(softhsm_cards.expired.card.signing, origin="https://elsewhere.tw")
    with pytest.raises(CertificateRevokedError):
        desk.login(softhsm_cards.revoked.card.signing, origin="https://elsewhere.tw")


# --- configuration ---


def test_origins_are_https_only(portal_trust: TrustStore) -> None:
    with pytest.raises(LoginConfigurationError):
        WebEidValidator(
            origin="http://portal.example.tw",
            store=MemoryChallengeStore(),
            trust_store=portal_trust,
        )
