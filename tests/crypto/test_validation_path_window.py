"""How long a validated intermediate path may be reused, from its revocation answers.

An OCSP response or CRL may omit nextUpdate (RFC 6960 4.2.2.1, RFC 5280
5.1.2.5) and certvalidator accepts it; such an answer gives no time until
which the GOOD verdict stays true, so the path must not be remembered (and
the validation must not crash on it).
"""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from handmade_certificates import ANCHOR_FOLDER

from xcapki.crypto.validation import RevocationSource, RevocationState, RevocationStatus
from xcapki.crypto.validation._cache import Window
from xcapki.crypto.validation._validator import _path_window

TRUST = ANCHOR_FOLDER / "GRCA-G2.pem"


@pytest.fixture
def ca() -> asn1_x509.Certificate:
    _, _, der = pem.unarmor(TRUST.read_bytes())
    return asn1_x509.Certificate.load(der)


def _good(this_update: dt.datetime, next_update: dt.datetime | None) -> RevocationStatus:
    return RevocationStatus(
        state=RevocationState.GOOD,
        source=RevocationSource.OCSP,
        this_update=this_update,
        next_update=next_update,
    )


def test_good_answer_bounds_the_window(ca: asn1_x509.Certificate) -> None:
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    window = _path_window([ca], [_good(now, now + dt.timedelta(hours=1))], True)
    assert window == Window(not_before=now, not_after=now + dt.timedelta(hours=1))


def test_good_answer_without_next_update_is_not_remembered(ca: asn1_x509.Certificate) -> None:
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert _path_window([ca], [_good(now, None)], True) is None
