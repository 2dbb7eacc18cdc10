"""PC/SC checks: the service, the readers, a card in one of them, and its ATR.

The reader layer's error types tell "service down" from "no reader" from "no
card", so each check is one call and one ``except`` clause.
"""

from __future__ import annotations

from xcapki.cli.doctor.model import CheckId, Recorder, Verdict
from xcapki.cli.failures import describe_failure
from xcapki.reader import (
    CardPresence,
    NoReaderError,
    PcscServiceUnavailableError,
    ReaderError,
    ReaderStatus,
    card_status,
    list_readers,
)

__all__ = ["PCSC_CHECKS", "check_pcsc"]

PCSC_CHECKS = (CheckId.PCSC_SERVICE, CheckId.READERS, CheckId.CARD_PRESENT, CheckId.CARD_ATR)


def check_pcsc(recorder: Recorder) -> None:
    """Record the four PC/SC checks in order; later ones are skipped after a failure."""
    try:
        readers = list_readers()
    except PcscServiceUnavailableError as error:
        kind = describe_failure(error, recorder.catalogue).kind
        recorder.add(CheckId.PCSC_SERVICE, Verdict.FAIL, f"summary.{kind}", f"remedy.{kind}")
        recorder.skip_after(PCSC_CHECKS[1:], CheckId.PCSC_SERVICE)
        return
    except NoReaderError:
        recorder.add(CheckId.PCSC_SERVICE, Verdict.OK, "doctor.pcsc.running")
        recorder.add(CheckId.READERS, Verdict.FAIL, "summary.no_reader", "remedy.no_reader")
        recorder.skip_after(PCSC_CHECKS[2:], CheckId.READERS)
        return
    except ReaderError as error:
        failure = describe_failure(error, recorder.catalogue)
        recorder.add_text(CheckId.PCSC_SERVICE, Verdict.FAIL, failure.detail, failure.remedy)
        recorder.skip_after(PCSC_CHECKS[1:], CheckId.PCSC_SERVICE)
        return
    recorder.add(CheckId.PCSC_SERVICE, Verdict.OK, "doctor.pcsc.running")
    names = ", ".join(reader.name for reader in readers)
    recorder.add(
        CheckId.READERS, Verdict.OK, "doctor.readers.found", count=len(readers), names=names
    )
    statuses: list[ReaderStatus] = []
    for reader in readers:
        try:
            statuses.append(card_status(reader))
        except ReaderError:
            continue
    _check_card(recorder, statuses)


def _check_card(recorder: Recorder, statuses: list[ReaderStatus]) -> None:
    with_card = [status for status in statuses if status.has_card]
    if not with_card:
        recorder.add(CheckId.CARD_PRESENT, Verdict.FAIL, "summary.no_card", "remedy.no_card")
        recorder.skip_after((CheckId.CARD_ATR,), CheckId.CARD_PRESENT)
        return
    answering = [status for status in with_card if status.presence is not CardPresence.MUTE]
    if not answering:
        reader = with_card[0].reader.name
        recorder.add(
            CheckId.CARD_PRESENT,
            Verdict.FAIL,
            "doctor.card.mute",
            "doctor.card.mute.remedy",
            reader=reader,
        )
        recorder.skip_after((CheckId.CARD_ATR,), CheckId.CARD_PRESENT)
        return
    status = answering[0]
    recorder.add(CheckId.CARD_PRESENT, Verdict.OK, "doctor.card.present", reader=status.reader.name)
    if status.atr is None or status.card is None:
        recorder.add(CheckId.CARD_ATR, Verdict.WARN, "doctor.atr.none", "doctor.card.mute.remedy")
        return
    atr = status.atr.hex()
    if status.card.known:
        recorder.add(
            CheckId.CARD_ATR,
            Verdict.OK,
            "doctor.atr.known",
            description=status.card.description,
            atr=atr,
        )
    else:
        recorder.add(
            CheckId.CARD_ATR,
            Verdict.WARN,
            "doctor.atr.unknown",
            "doctor.atr.unknown.remedy",
            atr=atr,
        )
