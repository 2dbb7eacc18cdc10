"""schemathesis drives the JSON endpoints from the service's own OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from service_helpers import TRUSTED, LiveService, serve

from xcapki.service import DomainRequest, ServiceConfig
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
