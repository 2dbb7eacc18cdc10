"""schemathesis drives the JSON endpoints from the service's own OpenAPI description, with
schema-shaped requests and with nested, huge and malformed ones."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance
from service_helpers import TRUSTED, LiveService, serve

from xcapki.service import DomainRequest, HipkiCode, ServiceConfig
from xcapki.service.app import service_version
from xcapki.service.openapi import openapi_document
from xcapki.testing import StandardCards

pytestmark = pytest.mark.softhsm

_DOCUMENT = openapi_document(service_version(ServiceConfig(trust_list_path=Path("unused"))))
schema = schemathesis.openapi.from_dict(_DOCUMENT)


def _refuse(request: DomainRequest) -> bool:
    return False


@pytest.fixture(scope="module")
def fuzzed_service(
    softhsm_cards: StandardCards, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveService]:
    trust_file = tmp_path_factory.mktemp("schemathesis") / "trusted-origins.json"
    trust_file.write_text('{"origins": ["portal.example.gov.tw"]}')
    config = ServiceConfig(
        module_path=softhsm_cards.xca.module_path,
        trust_list_path=trust_file,
        domain_approver=_refuse,
        pin_prompter=lambda request: None,
    )
    yield from serve(config)


def test_the_service_serves_the_document_it_is_tested_against(
    fuzzed_service: LiveService,
) -> None:
    served = httpx.get(f"{fuzzed_service.base_url}/openapi.json").json()
    assert served == _DOCUMENT


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_json_endpoints_conform_to_the_openapi_document(
    case: schemathesis.Case, fuzzed_service: LiveService
) -> None:
    # tbsPackage is JSON text inside a form field, which OpenAPI 3.0 can only call a string:
    # a random string is schema-valid yet rightly refused (400), so that one check is off there.
    carries_package = case.operation.path in ("/sign", "/decrypt")
    case.call_and_validate(
        base_url=fuzzed_service.base_url,
        headers={"Origin": TRUSTED},
        excluded_checks=[positive_data_acceptance] if carries_package else None,
    )


# Hostile inputs: nesting far past any page's, fields far longer and more numerous than
# HiPKI's, and text that is not JSON at all. Each must get the protocol's refusal.
_DEPTHS = st.sampled_from((5, 64, 1500, 150_000)) | st.integers(5, 3000)
_NESTED = st.one_of(
    _DEPTHS.map(lambda n: "[" * n + "]" * n),
    _DEPTHS.map(lambda n: '{"func":' * n + '"x"' + "}" * n),
)
_HUGE = st.one_of(
    st.integers(5000, 300_000).map(lambda n: json.dumps({"func": "MakeSignature", "pin": "1" * n})),
    st.integers(5000, 50_000).map(lambda n: json.dumps({"x" * n: "MakeSignature"})),
    st.integers(65, 3000).map(lambda n: json.dumps({f"field{i}": "v" for i in range(n)})),
)
_MALFORMED = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")),
    st.just('{"func": "MakeSignature", "tbs": '),
    st.just('{"func": "MakeSignature"}' * 3),
)
_HOSTILE_PACKAGE = st.one_of(_NESTED, _HUGE, _MALFORMED)
_HOSTILE_QUERY = st.one_of(st.text(max_size=100), st.integers(5000, 30_000).map("x".__mul__))


def _media_type(headers: Mapping[str, str | list[str]]) -> str:
    """The Content-Type's media type (schemathesis keeps each header as a list of values)."""
    values = {name.lower(): value for name, value in headers.items()}.get("content-type", "")
    value = values[0] if isinstance(values, list) and values else values
    return str(value).split(";")[0].strip()


_ANSWERED_WITHOUT_A_PACKAGE = {("GET", "/addDomain"), ("OPTIONS", "/pkcs11info")}
_OPERATIONS = [
    (result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()
]


@pytest.mark.parametrize(("method", "path"), _OPERATIONS)
@given(data=st.data())
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_endpoint_refuses_nested_huge_and_malformed_input_with_a_protocol_error(
    method: str, path: str, data: st.DataObject, fuzzed_service: LiveService
) -> None:
    case = data.draw(schema[path][method].as_strategy())
    carries_package = path in ("/sign", "/decrypt")
    if carries_package:
        case.body = {"tbsPackage": data.draw(_HOSTILE_PACKAGE)}
    for name in list(case.query or {}) or ([] if carries_package else ["withcert", "domain"]):
        case.query = {**(case.query or {}), name: data.draw(_HOSTILE_QUERY)}
    response = case.call(base_url=fuzzed_service.base_url, headers={"Origin": TRUSTED})
    case.validate_response(response, checks=[not_a_server_error])
    if _media_type(response.headers) != "application/json":
        # the /addDomain popup (a page) and the CORS preflight answer without a package:
        # for them a hostile request must only never be a server error
        assert (method, path) in _ANSWERED_WITHOUT_A_PACKAGE, response.headers
        return
    answer = response.json()
    assert answer["func"] == path.removeprefix("/")
    assert isinstance(answer["ret_code"], int)
    if carries_package:  # past max_body_bytes (1 MiB) it is too large before it is malformed
        assert (response.status_code, answer["ret_code"]) in (
            (400, HipkiCode.BAD_REQUEST),
            (413, HipkiCode.REQUEST_TOO_LARGE),
        )
