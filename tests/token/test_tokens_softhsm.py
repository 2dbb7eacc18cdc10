"""Listing, selecting, logging in to and reading objects from SoftHSM2 cards."""

from __future__ import annotations

import logging
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric import padding
from token_cards import HICOS_LABEL, Card

from xcapki.crypto.algorithms import HashAlgorithm, SignatureScheme
from xcapki.token import (
    PROTECTED_AUTH,
    AmbiguousObjectError,
    AmbiguousTokenError,
    KeyKind,
    KeyPurpose,
    PinFromEnvironment,
    PinIncorrectError,
    PinPrompt,
    PinState,
    PinUnavailableError,
    Pkcs11Module,
    SessionError,
    TokenNotFoundError,
    TokenSelector,
    login,
)

pytestmark = pytest.mark.softhsm


def test_listing_reports_reader_label_serial_pin_range_and_state(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card]
) -> None:
    tokens = {t.serial: t for t in hsm_module.tokens() if t.label == HICOS_LABEL}
    assert set(tokens) >= {card.serial for card in hsm_cards.values()}
    token = tokens[hsm_cards["rsa"].serial]
    assert token.manufacturer == "SoftHSM project"
    assert token.reader_name.startswith("SoftHSM slot")
    assert token.min_pin_length == 4
    assert token.max_pin_length == 255
    assert token.pin_state is PinState.OK
    assert not token.protected_authentication_path


def test_selection_by_serial_label_and_reader(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card]
) -> None:
    card = hsm_cards["p256"]
    by_serial = hsm_module.select_token(TokenSelector(serial=card.serial))
    assert by_serial.serial == card.serial
    by_reader = hsm_module.select_token(TokenSelector(reader_name=by_serial.reader_name))
    assert by_reader.serial == card.serial
    with pytest.raises(AmbiguousTokenError) as ambiguous:
        hsm_module.select_token(TokenSelector(label=HICOS_LABEL))
    assert len(ambiguous.value.candidates) >= 3
    for other in hsm_cards.values():
        assert other.serial in str(ambiguous.value)
    with pytest.raises(AmbiguousTokenError):
        hsm_module.select_token()
    with pytest.raises(TokenNotFoundError, match="insert the card"):
        hsm_module.select_token(TokenSelector(serial="0000000000000000"))


def test_certificates_are_paired_by_id_and_classified(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card]
) -> None:
    card = hsm_cards["rsa"]
    with login(hsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        by_label = {c.label: c for c in session.certificates()}
        assert by_label["cert1"].purpose is KeyPurpose.SIGNING
        assert by_label["cert1"].key_id == b"SIGN"
        assert by_label["cert1"].has_private_key
        assert by_label["cert1"].key_kind is KeyKind.RSA
        assert by_label["cert2"].purpose is KeyPurpose.ENCRYPTION
        assert by_label["cert2"].certificate == card.encryption_certificate
        assert by_label["CACert"].purpose is KeyPurpose.AUTHORITY
        assert not by_label["CACert"].has_private_key
        assert session.signer().token_certificate.key_id == b"SIGN"
        assert session.signer(KeyPurpose.ENCRYPTION).token_certificate.label == "cert2"
        assert session.signer(None, key_id=b"KEYX").token_certificate.label == "cert2"
        with pytest.raises(AmbiguousObjectError, match="cert1"):
            session.signer(None)


def test_wrong_pin_is_reported_once_and_not_retried(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card]
) -> None:
    card = hsm_cards["p384"]
    with pytest.raises(PinIncorrectError) as wrong:
        login(hsm_module, TokenSelector(serial=card.serial), pin="999999")
    assert wrong.value.ckr == 0xA0
    assert wrong.value.pin_state is PinState.COUNT_LOW
    with login(hsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        assert session.pin_state() is PinState.OK


def test_pin_sources(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card], monkeypatch: pytest.MonkeyPatch
) -> None:
    card = hsm_cards["p384"]
    selector = TokenSelector(serial=card.serial)
    monkeypatch.setenv("XCAPKI_TEST_PIN", card.pin)
    with login(hsm_module, selector, pin=PinFromEnvironment(variable="XCAPKI_TEST_PIN")):
        pass
    monkeypatch.delenv("XCAPKI_TEST_PIN")
    with pytest.raises(PinUnavailableError, match="XCAPKI_TEST_PIN"):
        login(hsm_module, selector, pin=PinFromEnvironment(variable="XCAPKI_TEST_PIN"))
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return card.pin

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    with login(hsm_module, selector, pin=PinPrompt(prompt="卡片 PIN: ")):
        pass
    assert prompts == ["卡片 PIN: "]
    with pytest.raises(PinUnavailableError, match="no PIN pad"):
        login(hsm_module, selector, pin=PROTECTED_AUTH)


def test_one_session_per_token_in_a_process(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card]
) -> None:
    card = hsm_cards["p384"]
    selector = TokenSelector(serial=card.serial)
    with (
        login(hsm_module, selector, pin=card.pin),
        pytest.raises(SessionError, match="share that"),
    ):
        login(hsm_module, selector, pin=card.pin)
    with login(hsm_module, selector, pin=card.pin) as session:
        assert session.pin_state() is PinState.OK


def test_pin_never_appears_in_messages_logs_or_reprs(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card], caplog: pytest.LogCaptureFixture
) -> None:
    card = hsm_cards["rsa"]
    secret_wrong = "73519086"
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with pytest.raises(PinIncorrectError) as wrong:
        login(hsm_module, TokenSelector(serial=card.serial), pin=secret_wrong)
    texts += [str(wrong.value), repr(wrong.value), repr(wrong.value.args)]
    with login(hsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()
        texts += [repr(session), repr(signer), repr(session.token), repr(vars(session))]
    texts += [record.getMessage() for record in caplog.records]
    assert any("login to" in text for text in texts)
    for text in texts:
        assert secret_wrong not in text
        assert card.pin not in text


def test_eight_threads_sign_two_hundred_times_each(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card]
) -> None:
    card = hsm_cards["rsa"]
    public = card.signing_certificate.public_key()
    failures: list[BaseException] = []
    results: list[tuple[bytes, bytes]] = []
    results_lock = threading.Lock()
    with login(hsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()

        def work(thread: int) -> None:
            mine = []
            try:
                for i in range(200):
                    data = f"thread {thread} signature {i}".encode()
                    mine.append(
                        (
                            data,
                            signer.sign(
                                data,
                                hash_algorithm=HashAlgorithm.SHA256,
                                scheme=SignatureScheme.RSA_PKCS1V15,
                            ),
                        )
                    )
            except BaseException as exc:
                failures.append(exc)
            with results_lock:
                results.extend(mine)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert len(results) == 1600
    for data, signature in results:
        public.verify(signature, data, padding.PKCS1v15(), HashAlgorithm.SHA256.new())  # type: ignore[union-attr,call-arg]
