"""A tbsPackage that names a field twice is refused before the card is touched.

``JSON.stringify`` never writes such a package; a page that glues its JSON
together from strings can, and then parsers disagree on which value counts
(the first, the last, an error). The service must not pick one and spend a
PIN try on a guess, nor sign for another ``func`` than the page meant.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from service_helpers import TRUSTED, sign_package
from starlette.testclient import TestClient

from xcapki.service import HipkiCode
from xcapki.testing import StandardCards

pytestmark = pytest.mark.softhsm


def _glued(package: dict[str, str], extra: str) -> bytes:
    """The package's JSON with ``extra`` (``"name":"value"``) glued in before its end."""
    text = json.dumps(package, ensure_ascii=False)
    return b"tbsPackage=" + quote(text[:-1] + "," + extra + "}", safe="").encode()


def _post(client: TestClient, body: bytes) -> dict[str, object]:
    response = client.post(
        "/sign",
        content=body,
        headers={"Origin": TRUSTED, "Content-Type": "application/x-www-form-urlencoded"},
    )
    answer: dict[str, object] = response.json()
    answer["status"] = response.status_code
    return answer


def test_the_package_alone_signs(client: TestClient, softhsm_cards: StandardCards) -> None:
    answer = _post(client, _glued(sign_package(softhsm_cards.xca), '"nonce":"n1"'))
    assert answer["ret_code"] == HipkiCode.OK, answer
    assert answer["signature"]


@pytest.mark.parametrize(
    "extra",
    ['"pin":"000000"', '"func":"DecryptData"', '"tbs":"other"', '"signatureType":"PKCS1"'],
)
def test_a_field_given_twice_is_refused_naming_it(
    client: TestClient, softhsm_cards: StandardCards, extra: str
) -> None:
    answer = _post(client, _glued(sign_package(softhsm_cards.xca), extra))
    assert answer["status"] == 400, answer
    assert answer["ret_code"] == HipkiCode.BAD_REQUEST
    assert answer["last_error"] == 0
    assert "signature" not in answer
    name = extra.split(":")[0]
    assert f"'{name.strip(chr(34))}' twice" in str(answer["message"])
