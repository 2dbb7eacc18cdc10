"""Every parser of the service works within the service's limits and refuses the rest with
the protocol's error code: nesting, field count, field length, body size, query string."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from service_helpers import TRUSTED, sign_form, sign_package
from starlette.testclient import TestClient

from xcapki.service import HipkiCode, ServiceConfigError, ServiceLimits
from xcapki.testing import StandardCards

pytestmark = pytest.mark.softhsm

_LIMITS = ServiceLimits()
_TOO_LONG = "9" * (_LIMITS.max_field_chars + 1)
_PACKAGE_PATHS = ("/sign", "/decrypt", "/pkcs11info")


def _refused(response: object, path: str, status: int = 400) -> dict[str, object]:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == status, response.text
    answer: dict[str, object] = response.json()
    assert answer["func"] == (path.removeprefix("/") or "error")
    expected = HipkiCode.REQUEST_TOO_LARGE if status == 413 else HipkiCode.BAD_REQUEST
    assert answer["ret_code"] == expected
    return answer


def _post(client: TestClient, path: str, body: bytes) -> object:
    return client.post(
        path,
        content=body,
        headers={"Origin": TRUSTED, "Content-Type": "application/x-www-form-urlencoded"},
    )


@pytest.mark.parametrize("path", _PACKAGE_PATHS)
@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"tbsPackage=%FF%FE", 400),  # not UTF-8
        (b"\xff\xfe=\x00", 400),
        (b"tbsPackage=%zz&&&=", 400),  # not a form
        (b"&".join(b"f%d=1" % i for i in range(_LIMITS.max_fields + 1)), 400),
        (b"pageOrigin=" + _TOO_LONG.encode(), 400),
        (_TOO_LONG.encode() + b"=x", 400),
        (b"tbsPackage=" + b"x" * (1 << 20), 413),
    ],
)
def test_a_hostile_form_is_refused_by_every_endpoint(
    client: TestClient, path: str, body: bytes, status: int
) -> None:
    _refused(_post(client, path, body), path, status)


@pytest.mark.parametrize("path", ["/sign", "/decrypt"])
@pytest.mark.parametrize(
    "package",
    [
        "[" * 100_000 + "]" * 100_000,  # a RecursionError for a recursive parser
        '{"func": ' * 900 + "1" + "}" * 900,
        json.dumps({"func": "MakeSignature", "x": [[[[["five levels"]]]]]}),
        json.dumps({f"field{i}": "" for i in range(_LIMITS.max_fields + 1)}),
        '{"func": "MakeSignature", "tbs": "unterminated',
        '["MakeSignature"]',
    ],
)
def test_nested_numerous_and_malformed_packages_are_refused(
    client: TestClient, path: str, package: str
) -> None:
    response = client.post(path, data={"tbsPackage": package}, headers={"Origin": TRUSTED})
    _refused(response, path)


@pytest.mark.parametrize(
    "name", ["func", "signatureType", "hashAlgorithm", "tbsEncoding", "pin", "nonce",
             "slotDescription", "withCardSN"]
)  # fmt: skip
def test_every_package_field_has_a_length_limit(
    client: TestClient, softhsm_cards: StandardCards, name: str
) -> None:
    form = sign_form(sign_package(softhsm_cards.xca, **{name: _TOO_LONG}))
    answer = _refused(client.post("/sign", data=form, headers={"Origin": TRUSTED}), "/sign")
    assert str(answer["message"]).startswith(name)


def test_limits_leave_room_for_what_pages_send(
    client: TestClient, softhsm_cards: StandardCards
) -> None:
    """A large tbs (bounded by the body only), a nonce at the field limit and a nested extra
    field within the depth limit are signed as usual."""
    card = softhsm_cards.xca
    tbs = base64.b64encode(b"\x01" * 600_000).decode()
    package = sign_package(card, tbs, signatureType="PKCS1", tbsEncoding="base64")
    package["nonce"] = "n" * _LIMITS.max_field_chars
    extra: dict[str, object] = {**package, "pageExtra": {"a": {"b": ["c"]}}}
    response = client.post(
        "/sign", data={"tbsPackage": json.dumps(extra)}, headers={"Origin": TRUSTED}
    )
    answer = response.json()
    assert answer["ret_code"] == 0, answer
    public = card.card.signing.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(
        base64.b64decode(answer["signature"]),
        b"\x01" * 600_000,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/pkcs11info", {"withcert": _TOO_LONG}),
        ("/addDomain", {"domain": _TOO_LONG}),
        ("/pkcs11info", {f"q{i}": "1" for i in range(_LIMITS.max_fields + 1)}),
        ("/", {"x": _TOO_LONG}),
    ],
)
def test_query_strings_are_bounded(client: TestClient, path: str, query: dict[str, str]) -> None:
    _refused(client.get(path, params=query, headers={"Origin": TRUSTED}), path)


def test_limits_must_be_workable() -> None:
    with pytest.raises(ServiceConfigError, match="max_json_depth"):
        ServiceLimits(max_json_depth=0)
    with pytest.raises(ServiceConfigError, match="browser"):
        ServiceLimits(max_connections=4)
