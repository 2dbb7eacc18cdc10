"""List readers, wait for a card, name it by its ATR and talk to it.

Against the machine's own pcscd and a real reader:
    python examples/reader_status.py
Without a reader (needs root, pcscd and vsmartcard-vpcd): a private pcscd
and a virtual HiCOS card stand in for them:
    python examples/reader_status.py --virtual
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from xcapki.reader import (
    CardConnection,
    CommandApdu,
    ReaderError,
    card_status,
    list_readers,
    wait_for_card,
)


def show(timeout: float) -> None:
    """Print every reader, wait for a card, and read its status."""
    for reader in list_readers():
        status = card_status(reader)
        print(f"reader {reader.name!r}: {status.presence.value}")
    inserted = wait_for_card(timeout=timeout).status
    if inserted is None or inserted.atr is None:
        print("the card does not answer; re-insert it")
        return
    atr, card = inserted.atr, inserted.card
    print(f"card in {inserted.reader.name!r}: ATR {atr}")
    print(f"  protocols {[p.name for p in atr.protocols]}, checksum {atr.checksum.value}")
    print(f"  historical bytes {atr.historical_bytes!r}")
    print(f"  identified as: {card.description if card else 'nothing'}")
    with CardConnection(inserted.reader) as connection:
        select_mf = CommandApdu(cla=0x00, ins=0xA4, p1=0x00, p2=0x00, data=b"\x3f\x00")
        response = connection.transmit(select_mf)
        print(f"  SELECT MF -> {response.sw}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Show readers and the inserted card.")
    parser.add_argument(
        "--virtual", action="store_true", help="use a private pcscd and virtual card"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a card")
    arguments = parser.parse_args()
    with ExitStack() as stack:
        if arguments.virtual:
            from xcapki.testing.pcscd import PcscdSite, find_free_port_pair
            from xcapki.testing.virtual_reader import EmulatedCard

            site = PcscdSite(
                workdir=Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="reader-"))),
                vpcd_port=find_free_port_pair(),
            )
            os.environ["PCSCLITE_CSOCK_NAME"] = str(site.socket_path)
            stack.enter_context(site.daemon())
            stack.enter_context(EmulatedCard(site.vpcd_port))
        try:
            show(arguments.timeout)
        except ReaderError as problem:
            print(f"{type(problem).__name__}: {problem}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
