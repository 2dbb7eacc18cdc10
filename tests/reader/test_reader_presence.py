"""Service down, no reader, empty reader, inserted card: what a doctor distinguishes."""

from __future__ import annotations

import pytest

from xcapki.reader import (
    CardConnection,
    CardFamily,
    CardPresence,
    ChecksumStatus,
    NoCardError,
    NoReaderError,
    PcscServiceUnavailableError,
    Protocol,
    ReaderGoneError,
    card_status,
    list_readers,
    wait_for_card,
)
from xcapki.testing.pcscd import PcscdSite, PrivatePcscd, vpcd_reader_names
from xcapki.testing.virtual_reader import HICOS_GEN1_ATR, EmulatedCard

pytestmark = pytest.mark.pcscd


def test_service_down_is_its_own_error_with_the_remedy(pcsc_session: PcscdSite) -> None:
    assert not pcsc_session.daemon().socket_path.exists()
    with pytest.raises(PcscServiceUnavailableError) as caught:
        list_readers()
    assert "systemctl start pcscd" in str(caught.value)
    assert caught.value.pcsc_code is not None
    assert not isinstance(caught.value, NoReaderError)


def test_no_reader_is_distinct_from_service_down(pcsc_session: PcscdSite) -> None:
    with pcsc_session.daemon(with_reader=False):
        with pytest.raises(NoReaderError) as caught:
            list_readers()
        assert not isinstance(caught.value, PcscServiceUnavailableError)
        with pytest.raises(NoReaderError):
            card_status()


def test_readers_are_listed_by_name(pcscd: PrivatePcscd) -> None:
    assert tuple(r.name for r in list_readers()) == vpcd_reader_names()


def test_reader_without_card(reader_name: str) -> None:
    status = card_status(reader_name)
    assert status.presence is CardPresence.ABSENT
    assert not status.has_card
    assert status.atr is None
    with pytest.raises(NoCardError) as caught:
        CardConnection(reader_name)
    assert "insert the card" in str(caught.value)


def test_unknown_reader_name(pcscd: PrivatePcscd) -> None:
    with pytest.raises(ReaderGoneError) as caught:
        card_status("No Such Reader 00 00")
    assert "Virtual PCD 00 00" in str(caught.value)


def test_inserted_card_reports_its_atr_and_family(
    reader_name: str, virtual_card: EmulatedCard
) -> None:
    virtual_card.insert()
    wait_for_card(reader_name, timeout=5)
    status = card_status(reader_name)
    assert status.presence is CardPresence.PRESENT
    assert status.atr is not None
    assert status.atr.raw == HICOS_GEN1_ATR
    assert status.atr.historical_bytes == b"CHTMOICA"
    assert status.atr.checksum is ChecksumStatus.VALID
    assert status.card is not None
    assert status.card.family is CardFamily.HICOS_GEN1
    with CardConnection(reader_name) as connection:
        assert connection.atr.raw == HICOS_GEN1_ATR
        assert connection.protocol is Protocol.T1
        assert card_status(reader_name).presence in (CardPresence.PRESENT, CardPresence.IN_USE)


def test_card_with_other_atr_is_honestly_unknown(
    pcsc_session: PcscdSite, pcscd: PrivatePcscd, reader_name: str
) -> None:
    other_atr = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
    with EmulatedCard(pcsc_session.vpcd_port, atr=other_atr):
        event = wait_for_card(reader_name, timeout=5)
    assert event.status is not None
    assert event.status.atr is not None
    assert event.status.atr.raw == other_atr
    assert event.status.card is not None
    assert event.status.card.family is CardFamily.UNKNOWN
    assert not event.status.card.known
