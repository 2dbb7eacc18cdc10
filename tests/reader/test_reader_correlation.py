"""Matching PKCS#11 slot descriptions to PC/SC reader names."""

from __future__ import annotations

from xcapki.reader import Reader, SlotMatchKind, match_slots_to_readers

LONG_READER = "Alcor Micro AU9540 with an unusually long product name for testing 00 00"


def test_exact_truncated_index_and_contained_names() -> None:
    readers = [
        Reader(name="Virtual PCD 00 00"),
        "Virtual PCD 00 01",
        LONG_READER,
        "ACS ACR38U 01 00",
    ]
    truncated = LONG_READER.encode()[:64].decode().ljust(64)
    matches = match_slots_to_readers(
        [
            "Virtual PCD 00 01" + " " * 47,
            truncated,
            "ACS ACR38U",
            "HiCOS slot (Virtual PCD 00 00)",
            "Some Other Reader",
        ],
        readers,
    )
    assert [(m.reader.name if m.reader else None, m.kind) for m in matches] == [
        ("Virtual PCD 00 01", SlotMatchKind.EXACT),
        (LONG_READER, SlotMatchKind.TRUNCATED),
        ("ACS ACR38U 01 00", SlotMatchKind.WITHOUT_INDEX),
        ("Virtual PCD 00 00", SlotMatchKind.CONTAINS),
        (None, SlotMatchKind.NONE),
    ]
    assert matches[0].slot_description == "Virtual PCD 00 01"


def test_two_readers_equally_good_is_ambiguous_not_a_guess() -> None:
    (match,) = match_slots_to_readers(
        ["Gemalto PC Twin Reader"], ["Gemalto PC Twin Reader 00 00", "Gemalto PC Twin Reader 01 00"]
    )
    assert match.kind is SlotMatchKind.AMBIGUOUS
    assert match.reader is None


def test_exact_beats_contains() -> None:
    (match,) = match_slots_to_readers(["Reader A 00 00"], ["Reader A 00 00", "A 00 00"])
    assert match.kind is SlotMatchKind.EXACT
    assert match.reader == Reader(name="Reader A 00 00")
