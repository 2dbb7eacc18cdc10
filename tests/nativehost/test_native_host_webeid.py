"""The native host's Web eID side over pipes, on SoftHSM2 virtual cards.

Tokens the host makes are checked by the portal-side validator; signatures
of ``sign`` are checked with ``cryptography`` directly.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from host_helpers import ORIGIN, PIN, Dialogs, Store

from xcapki.crypto.trust import TrustStore
from xcapki.login import ChallengeIssuer, MemoryChallengeStore
from xcapki.login.webeid import WebEidRules, WebEidValidator
from xcapki.testing import PkiServices, TestPki

SESSION = "browser-session-native-host"

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp]


def portal_trust(pki: TestPki) -> TrustStore:
    """A token carries no chain: the portal knows the authorities' CA certificates."""
    return (
        TrustStore.empty()
        .with_roots(pki.root.certificate)
        .with_intermediates(*(ca.certificate for ca in pki.authorities[1:]))
    )


@pytest.fixture
def portal(test_pki: TestPki, pki_services: PkiServices) -> tuple[ChallengeIssuer, WebEidValidator]:
    trust = portal_trust(test_pki)
    store = MemoryChallengeStore()
    issuer = ChallengeIssuer(origin=ORIGIN, store=store)
    validator = WebEidValidator(origin=ORIGIN, store=store, trust_store=trust)
    return issuer, validator


def authenticate(host: Any, nonce: str, origin: str = ORIGIN) -> Any:
    return host.ask(
        {"command": "authenticate", "arguments": {"challengeNonce": nonce, "origin": origin}}
    )


def nonce_of(issuer: ChallengeIssuer) -> tuple[str, str]:
    challenge = issuer.issue(SESSION)
    return challenge.challenge_id, base64.b64encode(challenge.nonce).decode()


def test_quit_after_the_version(start_host: Any) -> None:
    host = start_host()
    assert host.ask({"command": "quit", "arguments": {}}) == {}
    assert host.finish() == 0


@pytest.mark.parametrize(("card", "algorithm"), [("xca", "RS256"), ("xca_ec", "ES256")])
def test_authenticate_makes_a_token_the_validator_accepts(
    start_host: Any,
    dialogs: Dialogs,
    stores: dict[str, Store],
    portal: tuple[ChallengeIssuer, WebEidValidator],
    card: str,
    algorithm: str,
) -> None:
    issuer, validator = portal
    challenge_id, nonce = nonce_of(issuer)
    dialogs.answer({"pin": PIN})
    token = authenticate(start_host(card), nonce)
    assert token["format"] == "web-eid:1.0"
    assert token["algorithm"] == algorithm
    login = validator.validate(json.dumps(token), challenge_id=challenge_id, session_id=SESSION)
    virtual = stores[card].card
    assert virtual is not None
    assert login.certificate == virtual.card.signing.certificate
    assert login.identity is not None
    assert login.identity.card_serial == virtual.serial
    description = dialogs.texts("SETDESC")[0]
    assert ORIGIN in description
    assert virtual.serial in description
    assert "log in" in description
    assert "no failed tries" in description
    assert [name for name, _ in dialogs.asked()].count("GETPIN") == 1


def test_a_token_for_another_origin_fails_at_the_portal(
    start_host: Any, dialogs: Dialogs, portal: tuple[ChallengeIssuer, WebEidValidator]
) -> None:
    from xcapki.login import SignatureRejectedError

    issuer, validator = portal
    challenge_id, nonce = nonce_of(issuer)
    dialogs.answer({"pin": PIN})
    token = authenticate(start_host(), nonce, origin="https://phish.example.tw")
    with pytest.raises(SignatureRejectedError):
        validator.validate(json.dumps(token), challenge_id=challenge_id, session_id=SESSION)


def test_web_eid_rules_accept_the_moica_token(
    start_host: Any, dialogs: Dialogs, test_pki: TestPki, pki_services: PkiServices
) -> None:
    store = MemoryChallengeStore()
    issuer = ChallengeIssuer(origin=ORIGIN, store=store)
    validator = WebEidValidator(
        origin=ORIGIN,
        store=store,
        trust_store=portal_trust(test_pki),
        rules=WebEidRules.WEB_EID,
    )
    challenge_id, nonce = nonce_of(issuer)
    dialogs.answer({"pin": PIN})
    token = authenticate(start_host("moica"), nonce)
    assert validator.validate(token, challenge_id=challenge_id, session_id=SESSION).profile is None


@pytest.mark.parametrize("card", ["xca", "xca_ec"])
def test_get_signing_certificate_then_sign(
    start_host: Any, dialogs: Dialogs, stores: dict[str, Store], card: str
) -> None:
    dialogs.answer({"confirm": True})
    answer = start_host(card).ask(
        {"command": "get-signing-certificate", "arguments": {"origin": ORIGIN}}
    )
    virtual = stores[card].card
    assert virtual is not None
    der = virtual.card.signing.certificate.public_bytes(serialization.Encoding.DER)
    assert base64.b64decode(answer["certificate"]) == der
    hash_functions = {a["hashFunction"] for a in answer["supportedSignatureAlgorithms"]}
    assert hash_functions == {"SHA-256", "SHA-384", "SHA-512"}
    assert ORIGIN in dialogs.texts("SETDESC")[0]

    digest = hashlib.sha384(b"the document the portal built").digest()
    dialogs.answer({"pin": PIN})
    signed = start_host(card).ask(
        {
            "command": "sign",
            "arguments": {
                "certificate": answer["certificate"],
                "hash": base64.b64encode(digest).decode(),
                "hashFunction": "SHA-384",
                "origin": ORIGIN,
            },
        }
    )
    assert signed["signatureAlgorithm"]["hashFunction"] == "SHA-384"
    signature = base64.b64decode(signed["signature"])
    key = x509.load_der_x509_certificate(der).public_key()
    prehashed = utils.Prehashed(hashes.SHA384())
    if isinstance(key, ec.EllipticCurvePublicKey):
        half = len(signature) // 2
        r, s = int.from_bytes(signature[:half]), int.from_bytes(signature[half:])
        key.verify(utils.encode_dss_signature(r, s), digest, ec.ECDSA(prehashed))
    else:
        key.verify(signature, digest, padding.PKCS1v15(), prehashed)  # type: ignore[union-attr]
    assert "sign a document" in dialogs.texts("SETDESC")[0]


# --- refusals ---


def _error(answer: Any) -> str:
    code: str = answer["error"]["code"]
    return code


@pytest.mark.parametrize(
    "origin",
    [
        "http://portal.example.tw",
        "https://portal.example.tw/login",
        "https://portal.example.tw/",
        "https://PORTAL.example.tw",
        "https://portal.example.tw:443",
        "https://" + "a" * 250 + ".tw",
    ],
)
def test_origins_other_than_a_serialised_https_origin(
    start_host: Any, dialogs: Dialogs, origin: str
) -> None:
    answer = authenticate(start_host(), "n" * 44, origin=origin)
    assert _error(answer) == "ERR_WEBEID_NATIVE_INVALID_ARGUMENT"
    assert dialogs.asked() == []


@pytest.mark.parametrize(
    "request_",
    [
        {"command": "authenticate", "arguments": {"challengeNonce": "n" * 43, "origin": ORIGIN}},
        {"command": "authenticate", "arguments": {"challengeNonce": "n" * 129, "origin": ORIGIN}},
        {
            "command": "authenticate",
            "arguments": {"challengeNonce": "n" * 44, "origin": ORIGIN, "extra": 1},
        },
        {"command": "authenticate", "arguments": {"origin": ORIGIN}},
        {"command": "format-disk", "arguments": {}},
        {
            "command": "sign",
            "arguments": {"certificate": "AAAA", "hash": "AAAA", "hashFunction": "SHA3-256",
                          "origin": ORIGIN},
        },
    ],
)  # fmt: skip
def test_bad_arguments_never_reach_the_card(
    start_host: Any, dialogs: Dialogs, request_: dict[str, Any]
) -> None:
    assert _error(start_host().ask(request_)) == "ERR_WEBEID_NATIVE_INVALID_ARGUMENT"
    assert dialogs.asked() == []


def test_a_digest_of_the_wrong_length(start_host: Any, dialogs: Dialogs) -> None:
    answer = start_host().ask(
        {
            "command": "sign",
            "arguments": {
                "certificate": "AAAA",
                "hash": base64.b64encode(b"x" * 20).decode(),
                "hashFunction": "SHA-256",
                "origin": ORIGIN,
            },
        }
    )
    assert _error(answer) == "ERR_WEBEID_NATIVE_INVALID_ARGUMENT"


def test_sign_with_a_certificate_the_card_does_not_hold(
    start_host: Any, dialogs: Dialogs, stores: dict[str, Store]
) -> None:
    other = stores["moica"].card
    assert other is not None
    der = other.card.signing.certificate.public_bytes(serialization.Encoding.DER)
    answer = start_host("xca").ask(
        {
            "command": "sign",
            "arguments": {
                "certificate": base64.b64encode(der).decode(),
                "hash": base64.b64encode(b"x" * 32).decode(),
                "hashFunction": "SHA-256",
                "origin": ORIGIN,
            },
        }
    )
    assert _error(answer) == "ERR_WEBEID_NATIVE_INVALID_ARGUMENT"
    assert dialogs.asked() == []


def test_a_request_over_8192_bytes(start_host: Any) -> None:
    nonce = "n" * 9000
    answer = authenticate(start_host(), nonce)
    assert _error(answer) == "ERR_WEBEID_NATIVE_FATAL"


@pytest.mark.parametrize(
    "frame", [struct.pack("=I", 3) + b"{}1", struct.pack("=I", 9) + b"not json!"]
)
def test_broken_frames(start_host: Any, frame: bytes) -> None:
    host = start_host()
    host.send_raw(frame)
    assert _error(host.receive()) == "ERR_WEBEID_NATIVE_FATAL"
    assert host.finish() == 1


def test_no_card(start_host: Any, dialogs: Dialogs) -> None:
    answer = authenticate(start_host("absent"), "n" * 44)
    assert _error(answer) == "ERR_WEBEID_NATIVE_FATAL"
    assert "no card" in answer["error"]["message"]
    assert dialogs.asked() == []


def test_the_user_cancels(start_host: Any, dialogs: Dialogs) -> None:
    dialogs.answer({"cancel": True})
    assert _error(authenticate(start_host(), "n" * 44)) == "ERR_WEBEID_USER_CANCELLED"


def test_nobody_answers(start_host: Any, dialogs: Dialogs) -> None:
    dialogs.answer({"timeout": True})
    host = start_host("xca", "--timeout", "30")
    assert _error(authenticate(host, "n" * 44)) == "ERR_WEBEID_USER_TIMEOUT"
    assert dialogs.texts("SETTIMEOUT") == ["30"]


def test_without_a_pin_dialog(start_host: Any) -> None:
    answer = authenticate(start_host("xca", pinentry=False), "n" * 44)
    assert _error(answer) == "ERR_WEBEID_NATIVE_FATAL"
    assert "pinentry" in answer["error"]["message"]


def test_wrong_then_right_pin_in_the_same_dialog(
    start_host: Any, dialogs: Dialogs, portal: tuple[ChallengeIssuer, WebEidValidator]
) -> None:
    issuer, validator = portal
    challenge_id, nonce = nonce_of(issuer)
    dialogs.answer({"pin": "654321"}, {"pin": PIN})
    token = authenticate(start_host(), nonce)
    assert validator.validate(token, challenge_id=challenge_id, session_id=SESSION)
    errors = dialogs.texts("SETERROR")
    assert len(errors) == 1
    assert "refused" in errors[0]


def test_a_malformed_pin_costs_no_try_and_is_asked_again(
    start_host: Any, dialogs: Dialogs, portal: tuple[ChallengeIssuer, WebEidValidator]
) -> None:
    issuer, validator = portal
    challenge_id, nonce = nonce_of(issuer)
    dialogs.answer({"pin": "12"}, {"pin": PIN})
    token = authenticate(start_host(), nonce)
    assert validator.validate(token, challenge_id=challenge_id, session_id=SESSION)
    assert "cannot be right" in dialogs.texts("SETERROR")[0]
    assert all(PIN not in argument for _, argument in dialogs.asked())
