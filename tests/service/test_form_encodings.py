"""The encodings a page's form can arrive in: URL-encoded is HiPKI's; a FormData object
(multipart) is refused with a message that says how to send it instead."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from service_helpers import TRUSTED, sign_package
from starlette.testclient import TestClient

from xcapki.service import HipkiCode
from xcapki.testing import StandardCards

pytestmark = pytest.mark.softhsm

_BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"


def _multipart(fields: dict[str, str]) -> bytes:
    """The body Chromium sends for ``fetch(url, {method: "POST", body: formData})``."""
    parts = [
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{_BOUNDARY}--\r\n").encode()


@pytest.mark.parametrize("path", ["/sign", "/decrypt"])
def test_a_form_data_body_is_refused_saying_how_to_send_it(
    client: TestClient, softhsm_cards: StandardCards, path: str
) -> None:
    package = json.dumps(sign_package(softhsm_cards.xca))
    response = client.post(
        path,
        content=_multipart({"tbsPackage": package}),
        headers={
            "Origin": TRUSTED,
            "Content-Type": f"multipart/form-data; boundary={_BOUNDARY}",
        },
    )
    assert response.status_code == 400
    answer = response.json()
    assert answer["ret_code"] == HipkiCode.BAD_REQUEST
    assert "URL-encoded" in answer["message"]
    assert "multipart/form-data" in answer["message"]
    assert "signature" not in answer


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=UTF-8",
        "text/plain;charset=UTF-8",
    ],
)
def test_a_url_encoded_body_signs_whatever_it_is_labelled(
    client: TestClient, softhsm_cards: StandardCards, content_type: str
) -> None:
    body = urlencode({"tbsPackage": json.dumps(sign_package(softhsm_cards.xca))})
    response = client.post(
        "/sign", content=body, headers={"Origin": TRUSTED, "Content-Type": content_type}
    )
    assert response.json()["ret_code"] == HipkiCode.OK, response.text
