"""doctor's Local Network Access check against the Debian chromium installed here (156,
which enforces it) and managed policy files written as an administrator would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xcapki.cli.doctor.browser_checks import check_local_network_access, portal_allowed
from xcapki.cli.doctor.model import CheckId, Recorder, Verdict
from xcapki.cli.language import Language
from xcapki.cli.messages import Catalogue

pytestmark = pytest.mark.chromium

PORTAL = "https://onestop.nat.gov.tw/"


@pytest.fixture(autouse=True)
def _chromium() -> None:
    if shutil.which("chromium") is None:
        pytest.skip("Debian chromium is not installed: apt-get install chromium")


def _check(
    portal: str,
    policies: Path,
    language: Language = Language.ENGLISH,
    browsers: tuple[tuple[str, int], ...] = (("chromium", 142),),
) -> tuple[Verdict, str, str]:
    recorder = Recorder(Catalogue(language))
    check_local_network_access(recorder, portal, browsers=browsers, policy_directories=(policies,))
    [check] = recorder.checks
    assert check.id is CheckId.LOCAL_NETWORK_ACCESS
    return check.verdict, check.message, check.remedy


def test_an_https_portal_needs_the_users_permission(tmp_path: Path) -> None:
    verdict, message, remedy = _check(PORTAL, tmp_path)
    assert verdict is Verdict.WARN
    assert "needs your permission" in message
    assert "chromium 1" in message
    assert "LocalNetworkAccessAllowedForUrls" in remedy
    chinese = _check(PORTAL, tmp_path, Language.TRADITIONAL_CHINESE)
    assert "允許" in chinese[1]


def test_a_plain_http_portal_is_told_its_probe_fails(tmp_path: Path) -> None:
    verdict, message, _ = _check("http://portal.example.gov.tw/login", tmp_path)
    assert verdict is Verdict.WARN
    assert "cannot reach the local service" in message


def test_a_policy_that_allows_the_portal_passes(tmp_path: Path) -> None:
    (tmp_path / "xcapki.json").write_text(
        json.dumps({"LocalNetworkAccessAllowedForUrls": ["[*.]gov.tw"]})
    )
    verdict, message, _ = _check(PORTAL, tmp_path)
    assert verdict is Verdict.OK
    assert "policy" in message
    assert _check("https://evil.example.com/", tmp_path)[0] is Verdict.WARN


def test_a_browser_before_the_enforcing_version_is_not_affected(tmp_path: Path) -> None:
    verdict, message, _ = _check(PORTAL, tmp_path, browsers=(("chromium", 10_000),))
    assert verdict is Verdict.OK
    assert "no Chrome" in message


@pytest.mark.parametrize(
    ("pattern", "allowed"),
    [
        ("https://onestop.nat.gov.tw", True),
        ("https://onestop.nat.gov.tw:443/", True),
        ("onestop.nat.gov.tw", True),
        ("[*.]nat.gov.tw", True),
        ("*", True),
        ("http://onestop.nat.gov.tw", False),
        ("[*.]evil.tw", False),
        ("nat.gov.tw", False),
    ],
)
def test_policy_patterns_match_as_chromium_url_patterns_do(pattern: str, allowed: bool) -> None:
    assert portal_allowed(PORTAL, [pattern]) is allowed
