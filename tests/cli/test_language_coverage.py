"""zh-TW everywhere: every message, every help string, argparse's own words, every error reason.

A Traditional Chinese text may hold English only where it names something
typed or shown as is: flags, commands, file names and paths, placeholders,
acronyms and product names (the ``NAMES`` below). Anything else is an
untranslated sentence, and the test names it.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import run_cli

import xcapki
from xcapki.cli.argparse_text import ARGPARSE_ZH, argparse_language
from xcapki.cli.language import Language
from xcapki.cli.main import build_parser
from xcapki.cli.messages import MESSAGES, Catalogue, template_fields
from xcapki.cli.reasons import ZH_REASONS
from xcapki.errors import XcapkiError

_NAMES = (
    # commands, options' values and words typed as they are
    """
    xcapki pip install apt get sudo systemctl start pcscd ss ltnp sport openssl cms cmsout
    inform outform page local off soft hard require xca gca moica moeaca en zh status change
    certs tokens readers sign verify selftest doctor serve demo card service redis http https
    sha id data tw gov nat host port pin virtual opensc Ctrl create pem der signing encryption
    trust list add remove encrypt decrypt native browser install uninstall
    """
    # products, platforms and standards
    """
    Smart Card Client Debian Windows HiCOS HiPKI OpenSC SoftHSM opencryptoki Proxy Chunghwa
    Telecom PKI CCID USB IC CI JSON SignedData systemd launchd macOS Chrome Chromium Edge
    LocalNetworkAccessAllowedForUrls PAdES hipki smartpki webeid SmartPKI Firefox Web eID
    """
)
NAMES = frozenset(_NAMES.split())
_TYPED = re.compile(
    r"--?[\w-]+"  # flags
    r"|\{[^}]*\}|%\([^)]*\)[sr]|%[sr]"  # placeholders
    r"|\$\w+|~/\S*|\S*[/\\]\S*|\S+\.\w+"  # variables, paths, files, hosts
    r"|'[^']*'|`[^`]*`"  # quoted as typed
    r"|\b[A-Z0-9][A-Z0-9#_.-]*\b"  # acronyms, metavars and numbers
    r"|\b\w*\d\w*\b"  # anything with a digit (sha256, libpcsclite1, T=1)
)
_WORD = re.compile(r"[A-Za-z]{2,}")


def english_left(text: str) -> list[str]:
    """The English words in ``text`` that are neither typed nor a name."""
    stripped = _TYPED.sub(" ", text)
    return [w for w in _WORD.findall(stripped) if w not in NAMES and w.lower() not in NAMES]


def test_the_detector_sees_an_untranslated_sentence() -> None:
    assert english_left("請執行：xcapki pin change --token SERIAL") == []
    assert english_left("請安裝 libHicos_p11.so 到 /usr/lib") == []
    assert english_left("the card is not inserted") == ["the", "is", "not", "inserted"]


def test_every_message_exists_in_both_languages_with_the_same_fields() -> None:
    for key, texts in MESSAGES.items():
        assert set(texts) == set(Language), key
        english, chinese = texts[Language.ENGLISH], texts[Language.TRADITIONAL_CHINESE]
        assert english.strip(), key
        assert chinese.strip(), key
        assert template_fields(english) == template_fields(chinese), key


def test_no_chinese_message_is_left_in_english() -> None:
    untranslated = {
        key: english_left(texts[Language.TRADITIONAL_CHINESE])
        for key, texts in MESSAGES.items()
        if english_left(texts[Language.TRADITIONAL_CHINESE])
    }
    assert untranslated == {}


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield from _parsers(child)


def _help_strings(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str]]:
    for each in _parsers(parser):
        yield each.prog, each.description or ""
        for group in each._action_groups:
            yield f"{each.prog} group", group.title or ""
        for action in each._actions:
            yield f"{each.prog} {'/'.join(action.option_strings) or action.dest}", action.help or ""
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    yield f"{each.prog} {choice.dest}", choice.help or ""


def test_every_help_string_is_translated() -> None:
    with argparse_language(Language.TRADITIONAL_CHINESE):
        parser = build_parser(Catalogue(Language.TRADITIONAL_CHINESE))
        untranslated = {
            where: english_left(text) for where, text in _help_strings(parser) if english_left(text)
        }
        pages = {each.prog: each.format_help() for each in _parsers(parser)}
    assert untranslated == {}
    assert len(pages) >= 14
    for prog, page in pages.items():
        assert page.startswith("用法：xcapki"), prog
        assert english_left(page.split("\n\n", 1)[1]) == [], (prog, english_left(page))


def test_every_english_help_string_is_english() -> None:
    parser = build_parser(Catalogue(Language.ENGLISH))
    texts = [text for _, text in _help_strings(parser) if text]
    assert all(
        not re.search(r"[\u4e00-\u9fff]", t) or "統一編號" in t or "驗簽" in t for t in texts
    )


# argparse sentences only a programming mistake in building the parser can show.
_ARGPARSE_INTERNAL = {
    ".__call__() not defined",
    "conflicting subparser: %s",
    "conflicting subparser alias: %s",
    'argument "-" with mode %r',
    "cannot merge actions - two groups are named %r",
    "'required' is an invalid argument for positionals",
    "invalid option string %(option)r: ",
    "dest= is required for options like %r",
    "invalid conflict_resolution value: %r",
    "conflicting option string: %s",
    "conflicting option strings: %s",
    "mutually exclusive arguments must be optional",
    "cannot have multiple subparser arguments",
    "%r is not callable",
    "subcommands",
}


def test_argparse_has_a_translation_for_every_sentence_a_user_can_see() -> None:
    source = Path(inspect.getfile(argparse)).read_text()
    found = set(re.findall(r"\b_\(\s*'((?:[^'\\]|\\.)*)'", source))
    found |= set(re.findall(r'\b_\(\s*"((?:[^"\\]|\\.)*)"', source))
    found |= {m for pair in re.findall(r"ngettext\('([^']*)',\s*'([^']*)'", source) for m in pair}
    found = {text.encode().decode("unicode_escape") for text in found}
    missing = sorted(found - set(ARGPARSE_ZH) - _ARGPARSE_INTERNAL)
    assert missing == []
    for text in ARGPARSE_ZH.values():
        assert english_left(text) == [], text


def _error_classes() -> set[type[XcapkiError]]:
    for info in pkgutil.walk_packages(xcapki.__path__, "xcapki."):
        if info.name.rsplit(".", 1)[-1] in ("_pkcs11", "_pcsc") or ".demo." in info.name:
            continue
        if (
            ".service." in info.name
            or ".testing." in info.name
            or info.name.endswith("redis_store")
        ):
            continue
        importlib.import_module(info.name)
    found: set[type[XcapkiError]] = set()
    pending = [XcapkiError]
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_has_a_reason_in_chinese() -> None:
    classes = _error_classes()
    assert len(classes) > 60
    named = {cls.__name__ for cls in classes}
    # The CLI's own errors carry a catalogue key (or, PinMismatchError, a catalogue text).
    cli_keyed = {"CliError", "InputFileError", "OutputFileError", "ExtraMissingError"}
    cli_keyed |= {"ArgumentValueError"}
    missing = sorted(named - set(ZH_REASONS) - cli_keyed - {"PinMismatchError"})
    assert missing == []
    assert all(english_left(text) == [] for text in ZH_REASONS.values())


@pytest.mark.parametrize(
    "arguments",
    [
        ["--help"],
        ["sign", "--help"],
        ["verify"],
        ["verify", "x.p7s", "--max-size", "lots"],
        ["frobnicate"],
        ["verify", "x.p7s", "--revocation", "sometimes"],
    ],
)
def test_help_and_usage_errors_follow_lang_and_the_locale(arguments: list[str]) -> None:
    by_flag = run_cli(*arguments, "--lang", "zh-TW")
    by_locale = run_cli(*arguments, env={"LANG": "zh_TW.UTF-8"})
    for result in (by_flag, by_locale):
        shown = result.stdout + result.stderr
        assert "用法：xcapki" in shown
        assert "usage:" not in shown
        assert "error:" not in shown
        assert "required" not in shown
        assert "invalid choice" not in shown
