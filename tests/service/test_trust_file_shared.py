"""The trusted-sites file has several writers: the running service (/addDomain), the
``xcapki trust`` command and the native host. None of them may drop what another wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from service_helpers import approve_in_popup
from starlette.testclient import TestClient

from xcapki.service import ServiceConfig

pytestmark = pytest.mark.softhsm


def _xcapki_trust(*arguments: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "xcapki", "trust", *arguments],
        env={**os.environ, "LANG": "C.UTF-8"},
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def _stored(config: ServiceConfig) -> list[str]:
    origins: list[str] = json.loads(config.trust_list_path.read_text())["origins"]
    return origins


def test_a_site_added_from_the_command_line_survives_an_approval_in_the_running_service(
    client: TestClient, config: ServiceConfig
) -> None:
    before = _stored(config)
    _xcapki_trust("add", "intranet.example.gov.tw", "--file", str(config.trust_list_path))
    added = approve_in_popup(
        client, "www.other.gov.tw", referer="https://www.other.gov.tw/login.html"
    )
    assert added["ret_code"] == 0, added
    assert sorted(_stored(config)) == sorted(
        [*before, "intranet.example.gov.tw", "www.other.gov.tw"]
    )


def test_a_site_removed_from_the_command_line_stays_removed(
    client: TestClient, config: ServiceConfig
) -> None:
    (kept,) = _stored(config)
    _xcapki_trust("add", "old.example.gov.tw", "--file", str(config.trust_list_path))
    _xcapki_trust("remove", "old.example.gov.tw", "--file", str(config.trust_list_path))
    added = approve_in_popup(client, "new.example.gov.tw", referer="https://new.example.gov.tw/")
    assert added["ret_code"] == 0, added
    assert sorted(_stored(config)) == sorted([kept, "new.example.gov.tw"])
