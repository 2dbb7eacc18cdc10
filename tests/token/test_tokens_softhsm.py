"""Listing, selecting, logging in to and reading objects from SoftHSM2 virtual HiCOS cards."""

from __future__ import annotations

import dataclasses
import logging
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.testing import HICOS_CARD_LABEL, StandardCards, VirtualCard
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
    TokenFlags,
    TokenNotFoundError,
    TokenSelector,
    choose_token,
    login,
)

pytestmark = pytest.mark.softhsm


def test_listing_reports_reader_label_serial_pin_range_and_state(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    tokens = {t.serial: t for t in softhsm_module.tokens() if t.label == HICOS_CARD_LABEL}
    assert set(tokens) >= {softhsm_cards.xca.serial, softhsm_cards.moica.serial}
    token = tokens[softhsm_cards.xca.serial]
    assert token.manufacturer == "SoftHSM project"
    assert token.reader_name.startswith("SoftHSM slot")
    assert token.min_pin_length == 4
    assert token.max_pin_length == 255
    assert token.pin_state is PinState.OK
    assert token.initialized
    assert not token.protected_authentication_path


def test_uninitialised_tokens_are_listed_but_never_selected(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    """SoftHSM2 always offers one blank slot; it shows in the listing with its flags only."""
    listed = softhsm_module.tokens()
    blank = [t for t in listed if not t.flags & TokenFlags.TOKEN_INITIALIZED]
    assert len(blank) == 1
    assert not blank[0].initialized
    with pytest.raises(AmbiguousTokenError) as ambiguous:
        softhsm_module.select_token()
    assert len(ambiguous.value.candidates) == len(listed) - 1
    assert blank[0].describe() not in ambiguous.value.candidates
    with pytest.raises(TokenNotFoundError, match="1 uninitialised token"):
        softhsm_module.select_token(TokenSelector(reader_name=blank[0].reader_name))


def test_selection_by_serial_label_and_reader(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca_ec
    by_serial = softhsm_module.select_token(TokenSelector(serial=card.serial))
    assert by_serial.serial == card.serial
    by_reader = softhsm_module.select_token(TokenSelector(reader_name=by_serial.reader_name))
    assert by_reader.serial == card.serial
    with pytest.raises(AmbiguousTokenError) as ambiguous:
        softhsm_module.select_token(TokenSelector(label=HICOS_CARD_LABEL))
    assert len(ambiguous.value.candidates) >= 8
    for other in (softhsm_cards.xca, softhsm_cards.gca, softhsm_cards.revoked):
        assert other.serial in str(ambiguous.value)
    with pytest.raises(TokenNotFoundError, match="insert the card"):
        softhsm_module.select_token(TokenSelector(serial="0000000000000000"))


def test_serial_or_label_prefers_a_serial_else_a_label(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca_ec
    by_serial = softhsm_module.select_token(TokenSelector(serial_or_label=card.serial))
    assert by_serial.serial == card.serial
    with pytest.raises(AmbiguousTokenError, match="serial or label") as ambiguous:
        softhsm_module.select_token(TokenSelector(serial_or_label=HICOS_CARD_LABEL))
    serials = {t.serial for t in softhsm_module.tokens() if t.initialized}
    assert len(ambiguous.value.candidates) == len(serials)
    for other in (softhsm_cards.xca, softhsm_cards.xca_ec, softhsm_cards.gca):
        assert other.serial in str(ambiguous.value)
    with pytest.raises(TokenNotFoundError, match="insert the card"):
        softhsm_module.select_token(TokenSelector(serial_or_label="0000000000000000"))


def test_a_serial_match_wins_over_a_label_equal_to_it(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    """A card labelled with another card's serial: asking for that text picks the serial's card.

    SoftHSM2 cards are all labelled alike, so the clash is made by relabelling one listed
    token; adding such a token to the shared store would change what other tests list.
    """
    wanted, clash = softhsm_cards.xca.serial, softhsm_cards.gca.serial
    tokens = [
        dataclasses.replace(t, label=wanted) if t.serial == clash else t
        for t in softhsm_module.tokens()
    ]
    chosen = choose_token(tokens, TokenSelector(serial_or_label=wanted))
    assert chosen.serial == wanted
    assert choose_token(tokens, TokenSelector(label=wanted)).serial == clash
    with pytest.raises(TokenNotFoundError):
        choose_token(tokens, TokenSelector(serial_or_label=wanted, reader_name="no such reader"))


def test_certificates_are_paired_by_id_and_classified(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        by_label = {c.label: c for c in session.certificates()}
        assert by_label["cert1"].purpose is KeyPurpose.SIGNING
        assert by_label["cert1"].key_id == b"SIGN"
        assert by_label["cert1"].has_private_key
        assert by_label["cert1"].key_kind is KeyKind.RSA
        assert by_label["cert1"].certificate == card.card.signing.certificate
        assert by_label["cert2"].purpose is KeyPurpose.ENCRYPTION
        assert by_label["cert2"].certificate == card.card.encryption.certificate
        for authority in ("CACert", "ROOTCACert"):
            assert by_label[authority].purpose is KeyPurpose.AUTHORITY
            assert not by_label[authority].has_private_key
            assert by_label[authority].key_kind is KeyKind.OTHER
        assert by_label["CACert"].certificate == card.card.issuer
        assert session.signer().token_certificate.key_id == b"SIGN"
        assert session.signer(KeyPurpose.ENCRYPTION).token_certificate.label == "cert2"
        assert session.signer(None, key_id=b"KEYX").token_certificate.label == "cert2"
        with pytest.raises(AmbiguousObjectError, match="cert1"):
            session.signer(None)


def test_wrong_pin_is_reported_once_and_not_retried(
    softhsm_module: Pkcs11Module, p384_card: VirtualCard
) -> None:
    selector = TokenSelector(serial=p384_card.serial)
    with pytest.raises(PinIncorrectError) as wrong:
        login(softhsm_module, selector, pin="999999")
    assert wrong.value.ckr == 0xA0
    assert wrong.value.pin_state is PinState.COUNT_LOW
    with login(softhsm_module, selector, pin=p384_card.pin) as session:
        assert session.pin_state() is PinState.OK


def test_a_pin_refused_on_reconnecting_is_never_offered_again(
    softhsm_module: Pkcs11Module, p384_card: VirtualCard
) -> None:
    """The PIN changes behind a live session; after a refresh its one re-login fails, and
    the next call asks for a new login instead of trying the kept PIN once more."""
    selector = TokenSelector(serial=p384_card.serial)
    other = "654321"
    session = login(softhsm_module, selector, pin=p384_card.pin)
    try:
        link = softhsm_module.link
        with link.lock:
            writer = link.open_session(session.token.slot_id, read_write=True)
            try:
                writer.set_pin(p384_card.pin.encode(), other.encode())
            finally:
                writer.close(logout=False)
        softhsm_module.refresh()
        with pytest.raises(PinIncorrectError):
            session.certificates()
        with pytest.raises(SessionError, match="log in again"):
            session.certificates()
    finally:
        session.close()
        with login(softhsm_module, selector, pin=other) as restoring:
            restoring.change_pin(other, p384_card.pin)
    with login(softhsm_module, selector, pin=p384_card.pin) as session:
        assert session.pin_state() is PinState.OK


def test_pin_sources(
    softhsm_module: Pkcs11Module, p384_card: VirtualCard, monkeypatch: pytest.MonkeyPatch
) -> None:
    selector = TokenSelector(serial=p384_card.serial)
    monkeypatch.setenv("XCAPKI_TEST_PIN", p384_card.pin)
    with login(softhsm_module, selector, pin=PinFromEnvironment(variable="XCAPKI_TEST_PIN")):
        pass
    monkeypatch.delenv("XCAPKI_TEST_PIN")
    with pytest.raises(PinUnavailableError, match="XCAPKI_TEST_PIN"):
        login(softhsm_module, selector, pin=PinFromEnvironment(variable="XCAPKI_TEST_PIN"))
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return p384_card.pin

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    with login(softhsm_module, selector, pin=PinPrompt(prompt="卡片 PIN: ")):
        pass
    assert prompts == ["卡片 PIN: "]
    with pytest.raises(PinUnavailableError, match="no PIN pad"):
        login(softhsm_module, selector, pin=PROTECTED_AUTH)


def test_one_session_per_token_in_a_process(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca_ec
    selector = TokenSelector(serial=card.serial)
    with (
        login(softhsm_module, selector, pin=card.pin),
        pytest.raises(SessionError, match="share that"),
    ):
        login(softhsm_module, selector, pin=card.pin)
    with login(softhsm_module, selector, pin=card.pin) as session:
        assert session.pin_state() is PinState.OK


def test_threads_logging_in_at_once_get_one_session(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    """The one-session rule holds under a race: only one thread's login reaches the card."""
    card = softhsm_cards.xca_ec
    selector = TokenSelector(serial=card.serial)
    start = threading.Barrier(4)
    sessions = []
    refused: list[SessionError] = []
    outcomes_lock = threading.Lock()

    def log_in() -> None:
        start.wait()
        try:
            session = login(softhsm_module, selector, pin=card.pin)
        except SessionError as exc:
            with outcomes_lock:
                refused.append(exc)
            return
        with outcomes_lock:
            sessions.append(session)

    threads = [threading.Thread(target=log_in) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert (len(sessions), len(refused)) == (1, 3)
    finally:
        for session in sessions:
            session.close()


def test_pin_never_appears_in_messages_logs_or_reprs(
    softhsm_module: Pkcs11Module, p384_card: VirtualCard, caplog: pytest.LogCaptureFixture
) -> None:
    selector = TokenSelector(serial=p384_card.serial)
    secret_wrong = "73519086"
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with pytest.raises(PinIncorrectError) as wrong:
        login(softhsm_module, selector, pin=secret_wrong)
    texts += [str(wrong.value), repr(wrong.value), repr(wrong.value.args)]
    with login(softhsm_module, selector, pin=p384_card.pin) as session:
        signer = session.signer()
        texts += [repr(session), repr(signer), repr(session.token), repr(vars(session))]
    texts += [record.getMessage() for record in caplog.records]
    assert any("login to" in text for text in texts)
    for text in texts:
        assert secret_wrong not in text
        assert p384_card.pin not in text


@pytest.mark.parametrize(
    ("which", "scheme"), [("xca", SignatureScheme.RSA_PKCS1V15), ("xca_ec", SignatureScheme.ECDSA)]
)
def test_eight_threads_sign_two_hundred_times_each(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards, which: str, scheme: SignatureScheme
) -> None:
    """Every signature is checked, so a buffer shared between threads would show."""
    card: VirtualCard = getattr(softhsm_cards, which)
    public = card.card.signing.certificate.public_key()
    failures: list[BaseException] = []
    results: list[tuple[bytes, bytes]] = []
    results_lock = threading.Lock()
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()

        def work(thread: int) -> None:
            mine = []
            try:
                for i in range(200):
                    data = f"thread {thread} signature {i}".encode()
                    mine.append(
                        (
                            data,
                            signer.sign(data, hash_algorithm=HashAlgorithm.SHA256, scheme=scheme),
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
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(HashAlgorithm.SHA256.new()))
        else:
            assert isinstance(public, rsa.RSAPublicKey)
            public.verify(signature, data, padding.PKCS1v15(), HashAlgorithm.SHA256.new())
