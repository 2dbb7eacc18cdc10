"""APDU round trips against the virtual card over real pcscd: chaining, errors, removal."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from xcapki.reader import (
    ApduError,
    CardConnection,
    CardInUseError,
    CardRemovedError,
    CommandApdu,
    NoCardError,
    StatusKind,
    wait_for_card,
    wait_for_removal,
)
from xcapki.testing.virtual_reader import (
    DEMO_AID,
    DEMO_LONG_OBJECT_SIZE,
    DEMO_SHORT_FILE,
    DemoApplet,
    EmulatedCard,
)

pytestmark = pytest.mark.pcscd

SELECT_DEMO = CommandApdu(cla=0x00, ins=0xA4, p1=0x04, p2=0x00, data=DEMO_AID)
GET_LONG_OBJECT = CommandApdu(cla=0x80, ins=0xCA, p1=0x01, p2=0x00, le=0)
READ_SHORT_FILE_WRONG_LE = CommandApdu(cla=0x00, ins=0xB0, p1=0, p2=0, le=0)
PULL_CARD = CommandApdu(cla=0x80, ins=0xDD, p1=0, p2=0)


def echo(data: bytes) -> CommandApdu:
    return CommandApdu(cla=0x80, ins=0xEE, p1=0, p2=0, data=data, le=0)


@pytest.fixture
def connection(reader_name: str, virtual_card: EmulatedCard) -> Iterator[CardConnection]:
    virtual_card.insert()
    wait_for_card(reader_name, timeout=5)
    with CardConnection(reader_name) as opened:
        yield opened


def test_select_round_trip(connection: CardConnection) -> None:
    response = connection.transmit(SELECT_DEMO)
    assert response.sw.value == 0x9000
    assert response.data == b""
    assert response.exchanges == 1


def test_raw_bytes_are_accepted(connection: CardConnection) -> None:
    response = connection.transmit(bytes.fromhex("80EE000003ABCDEF00"))
    assert response.data == bytes.fromhex("ABCDEF")


def test_error_status_word_is_kept_and_can_be_raised(connection: CardConnection) -> None:
    missing = CommandApdu(cla=0x00, ins=0xA4, p1=0x04, p2=0x00, data=b"\xa0\x00\x00\x00\x99")
    response = connection.transmit(missing)
    assert response.sw.value == 0x6A82
    assert response.sw.kind is StatusKind.ERROR
    assert "not found" in response.sw.meaning
    with pytest.raises(ApduError) as caught:
        connection.transmit(missing, check=True)
    assert caught.value.sw.value == 0x6A82


def test_61xx_chain_is_followed_with_get_response(connection: CardConnection) -> None:
    response = connection.transmit(GET_LONG_OBJECT)
    expected = DemoApplet()._long_object  # the object the virtual card serves
    assert len(response.data) == DEMO_LONG_OBJECT_SIZE
    assert response.data == expected
    assert response.sw.value == 0x9000
    # 600 bytes = GET DATA (61 00) + 256 + 256 + 88 through three GET RESPONSEs
    assert response.exchanges == 4


def test_6cxx_is_resent_with_the_exact_length(connection: CardConnection) -> None:
    response = connection.transmit(READ_SHORT_FILE_WRONG_LE)
    assert response.data == DEMO_SHORT_FILE
    assert response.sw.value == 0x9000
    assert response.exchanges == 2


def test_echo_of_every_short_length(connection: CardConnection) -> None:
    for size in (1, 16, 200, 255):
        payload = bytes(range(size % 256)) if size < 256 else bytes(255)
        assert connection.transmit(echo(payload), check=True).data == payload


def test_card_removed_mid_transmit_then_next_call_recovers(
    reader_name: str, virtual_card: EmulatedCard, connection: CardConnection
) -> None:
    with pytest.raises(CardRemovedError) as caught:
        connection.transmit(PULL_CARD)
    assert "insert it again" in str(caught.value)
    wait_for_removal(reader_name, timeout=5)
    with pytest.raises(NoCardError):
        connection.transmit(SELECT_DEMO)
    virtual_card.insert()
    wait_for_card(reader_name, timeout=5)
    assert connection.transmit(SELECT_DEMO).sw.value == 0x9000
    assert connection.transmit(echo(b"back")).data == b"back"


def test_exclusive_connection_keeps_others_out(
    reader_name: str, connection: CardConnection
) -> None:
    connection.close()
    with CardConnection(reader_name, exclusive=True) as owner:
        assert owner.transmit(SELECT_DEMO).sw.value == 0x9000
        with pytest.raises(CardInUseError):
            CardConnection(reader_name)
    with CardConnection(reader_name) as later:
        assert later.transmit(SELECT_DEMO).sw.value == 0x9000


def test_transaction_gives_exclusive_access(reader_name: str, connection: CardConnection) -> None:
    entered = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def hold_transaction() -> None:
        with connection.transaction():
            entered.set()
            release.wait(5)
            connection.transmit(SELECT_DEMO)
            order.append("holder done")

    with CardConnection(reader_name) as other:

        def wait_for_turn() -> None:
            sw = other.transmit(SELECT_DEMO).sw.value
            order.append(f"other {sw:04X}")

        holder = threading.Thread(target=hold_transaction)
        holder.start()
        assert entered.wait(5)
        contender = threading.Thread(target=wait_for_turn)
        contender.start()
        contender.join(0.5)
        assert order == []
        release.set()
        holder.join(5)
        contender.join(5)
        assert order == ["holder done", "other 9000"]
