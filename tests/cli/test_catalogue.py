"""The message catalogue, the language choice, exit codes and the error paragraph."""

from __future__ import annotations

import io
import json

import pytest
from cli_helpers import run_cli

from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.failures import describe_failure
from xcapki.cli.language import Language, language_from_environment
from xcapki.cli.main import run
from xcapki.cli.messages import MESSAGES, Catalogue, template_fields
from xcapki.reader import NoReaderError
from xcapki.token import ModuleError, PinIncorrectError, PinState


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_exists_in_both_languages_with_the_same_fields(key: str) -> None:
    english = MESSAGES[key][Language.ENGLISH]
    chinese = MESSAGES[key][Language.TRADITIONAL_CHINESE]
    assert english.strip()
    assert chinese.strip()
    assert template_fields(english) == template_fields(chinese)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, Language.ENGLISH),
        ({"LANG": "zh_TW.UTF-8"}, Language.TRADITIONAL_CHINESE),
        ({"LANG": "zh_TW.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, Language.ENGLISH),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"}, Language.TRADITIONAL_CHINESE),
        (
            {"LC_ALL": "zh_TW", "LC_MESSAGES": "en_US", "LANG": "en_US"},
            Language.TRADITIONAL_CHINESE,
        ),
        ({"LC_ALL": "", "LANG": "zh_HK.UTF-8"}, Language.TRADITIONAL_CHINESE),
        ({"LANG": "C.UTF-8"}, Language.ENGLISH),
    ],
)
def test_language_follows_posix_precedence(environ: dict[str, str], expected: Language) -> None:
    assert language_from_environment(environ) is expected


def test_error_kinds_have_their_exit_codes_and_translations() -> None:
    zh = Catalogue(Language.TRADITIONAL_CHINESE)
    reader = describe_failure(NoReaderError("no card reader is attached; plug it in"), zh)
    assert (reader.kind, reader.exit_code) == ("no_reader", ExitCode.READER)
    assert "讀卡機沒有裝好" in reader.paragraph(zh)
    module = describe_failure(ModuleError("x.so does not exist"), zh)
    assert module.exit_code is ExitCode.TOKEN
    assert "請安裝新憑證元件" in module.paragraph(zh)
    wrong = describe_failure(
        PinIncorrectError("rejected", ckr=0xA0, pin_state=PinState.COUNT_LOW), zh
    )
    assert wrong.exit_code is ExitCode.PIN
    assert "沒有自動重試" in wrong.summary


def test_demo_set_up_failures_exit_as_the_service_does() -> None:
    from xcapki.demo.errors import DemoSetupError

    error = DemoSetupError("port 61161 for the local signing service is taken by another program")
    for language, words in (
        (Language.ENGLISH, "demo cannot start"),
        (Language.TRADITIONAL_CHINESE, "示範環境無法啟動"),
    ):
        failure = describe_failure(error, Catalogue(language))
        assert (failure.kind, failure.exit_code) == ("demo_setup", ExitCode.SERVICE)
        assert words in failure.summary
        assert "doctor" in failure.remedy


def test_module_missing_is_one_paragraph_in_either_language_and_json_parses() -> None:
    english = run_cli("tokens", "--module", "/nonexistent/libnothing.so")
    assert english.code == ExitCode.TOKEN
    assert "Traceback" not in english.stderr
    assert "card component" in english.stderr
    assert "/nonexistent/libnothing.so" in english.stderr
    chinese = run_cli(
        "tokens", "--module", "/nonexistent/libnothing.so", env={"LANG": "zh_TW.UTF-8"}
    )
    assert chinese.code == ExitCode.TOKEN
    assert "請安裝新憑證元件" in chinese.stderr
    forced = run_cli(
        "--lang",
        "en",
        "tokens",
        "--module",
        "/nonexistent/x.so",
        "--json",
        env={"LC_ALL": "zh_TW.UTF-8"},
    )
    document = forced.json()
    assert document["error"]["kind"] == "module"
    assert document["error"]["exit_code"] == ExitCode.TOKEN
    assert "card component" in document["error"]["summary"]


def test_debug_shows_the_traceback() -> None:
    result = run_cli("tokens", "--module", "/nonexistent/x.so", "--debug")
    assert result.code == ExitCode.TOKEN
    assert "Traceback" in result.stderr


def test_usage_errors_exit_2_and_common_options_go_before_or_after() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run(["sign"], stdout=out, stderr=err) == ExitCode.USAGE
    assert run(["verify", "x", "--revocation", "sometimes"], stdout=out, stderr=err) == 2
    for argv in (
        ["--json", "tokens", "--module", "/none.so"],
        ["tokens", "--module", "/none.so", "--json"],
    ):
        out = io.StringIO()
        assert run(argv, stdout=out, stderr=io.StringIO()) == ExitCode.TOKEN
        assert json.loads(out.getvalue())["error"]["kind"] == "module"


def test_python_dash_m_and_version() -> None:
    result = run_cli("--version")
    assert result.code == 0
    assert result.stdout.startswith("xcapki ")
