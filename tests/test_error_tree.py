"""One error vocabulary: the drawing in xcapki/errors.py is the tree of classes, names are unique.

The classes come from importing every xcapki module and walking
``XcapkiError.__subclasses__()``; the drawing is parsed from the docstring.
Both sides are built independently, so a class added, moved or re-parented
without its line in the drawing fails here.
"""

from __future__ import annotations

import datetime
import importlib
import pkgutil
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass

import pytest

import xcapki
import xcapki.errors
from xcapki.crypto.validation import errors as validation_errors
from xcapki.errors import XcapkiError
from xcapki.reader import errors as reader_errors


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """One class as the drawing shows it, or as Python defines it."""

    name: str
    module: str
    parent: tuple[str, str] | None
    also: frozenset[str]


_BRANCH = re.compile(r"(?P<indent>(?:│   |    )*)(?:[├└]── )?(?P<name>\w+)(?P<rest>.*)")
_MODULE = re.compile(r"(?<!also )\b(xcapki(?:\.\w+)+)")
_ALSO = re.compile(r"\balso (\w+)")


def parse_drawing(doc: str) -> list[Node]:
    """The nodes of the first ``::`` block of ``doc``: name, module, drawn parent, extra parents."""
    lines = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    margin = len(lines[0]) - len(lines[0].lstrip())
    stack: list[Node] = []
    nodes = []
    for line in lines:
        match = _BRANCH.fullmatch(line[margin:])
        assert match is not None, f"unreadable drawing line: {line!r}"
        depth = len(match["indent"]) // 4 + (1 if "──" in line else 0)
        assert depth <= len(stack), f"line drawn deeper than its parent: {line!r}"
        del stack[depth:]
        parent = stack[-1] if stack else None
        own_module = _MODULE.search(match["rest"])
        if own_module is not None:
            module = own_module.group(1)
        else:
            assert parent is not None, f"the root line names no module: {line!r}"
            module = parent.module
        node = Node(
            name=match["name"],
            module=module,
            parent=None if parent is None else (parent.module, parent.name),
            also=frozenset(_ALSO.findall(match["rest"])),
        )
        nodes.append(node)
        stack.append(node)
    return nodes


def all_error_classes() -> set[type[XcapkiError]]:
    """Every subclass of XcapkiError defined anywhere in xcapki, itself included."""
    for info in pkgutil.walk_packages(xcapki.__path__, "xcapki."):
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and exc.name.split(".")[0] == "xcapki":
                raise
            pytest.skip(f"{info.name} needs {exc.name}; install xcapki[all] to see its errors")
    found: set[type[XcapkiError]] = set()
    pending = [XcapkiError]
    while pending:
        cls = pending.pop()
        if cls not in found:
            found.add(cls)
            pending.extend(cls.__subclasses__())
    return found


def as_node(cls: type[XcapkiError]) -> Node:
    parents = [base for base in cls.__bases__ if issubclass(base, XcapkiError)]
    return Node(
        name=cls.__name__,
        module=cls.__module__,
        parent=(parents[0].__module__, parents[0].__name__) if parents else None,
        also=frozenset(base.__name__ for base in parents[1:]),
    )


def test_the_parser_reads_parents_modules_and_second_parents() -> None:
    doc = (
        "Tree::\n\n"
        "    Root    xcapki.a\n"
        "    ├── Left\n"
        "    │   └── Deep           xcapki.b\n"
        "    │       └── Low        also Right\n"
        "    └── Right              xcapki.c   the right one\n\n"
        "After.\n"
    )
    assert parse_drawing(doc) == [
        Node(name="Root", module="xcapki.a", parent=None, also=frozenset()),
        Node(name="Left", module="xcapki.a", parent=("xcapki.a", "Root"), also=frozenset()),
        Node(name="Deep", module="xcapki.b", parent=("xcapki.a", "Left"), also=frozenset()),
        Node(name="Low", module="xcapki.b", parent=("xcapki.b", "Deep"), also=frozenset({"Right"})),
        Node(name="Right", module="xcapki.c", parent=("xcapki.a", "Root"), also=frozenset()),
    ]


def test_the_drawing_shows_every_error_class_under_its_parents() -> None:
    assert xcapki.errors.__doc__ is not None
    drawn = parse_drawing(xcapki.errors.__doc__)
    defined = [as_node(cls) for cls in all_error_classes()]
    assert len(defined) > 140
    assert len({(n.module, n.name) for n in drawn}) == len(drawn), "a class drawn twice"
    missing = sorted(f"{n.module}.{n.name}" for n in set(defined) - set(drawn))
    wrong = sorted(f"{n.module}.{n.name}" for n in set(drawn) - set(defined))
    assert (missing, wrong) == ([], [])


def test_every_layer_is_in_the_drawing() -> None:
    assert xcapki.errors.__doc__ is not None
    roots = {
        n.name
        for n in parse_drawing(xcapki.errors.__doc__)
        if n.parent == ("xcapki.errors", "XcapkiError")
    }
    assert {"ServiceError", "CliError", "DemoError", "NativeHostError", "PdfError"} <= roots


def _words(name: str) -> tuple[str, ...]:
    """The words of a class name, in any order, singular: what word order and plurals hide."""
    words = re.findall(r"[A-Z][a-z]*", name.removesuffix("Error"))
    return tuple(sorted(word.lower().removesuffix("s") for word in words))


def test_no_two_classes_name_one_failure_in_different_words() -> None:
    by_words: defaultdict[tuple[str, ...], list[type[XcapkiError]]] = defaultdict(list)
    for cls in all_error_classes():
        by_words[_words(cls.__name__)].append(cls)
    for classes in by_words.values():
        names = {cls.__name__ for cls in classes}
        assert len(names) == 1, f"one failure, several names: {sorted(names)}"
        lowest = min(classes, key=lambda cls: len(cls.__mro__))
        for cls in classes:
            assert issubclass(cls, lowest), f"{cls.__module__}.{cls.__name__} is a second class"


def test_the_word_comparison_sees_order_and_plurals() -> None:
    assert _words("CertificateExpiredError") == _words("ExpiredCertificateError")
    assert _words("SignedAttributeError") == _words("SignedAttributesError")
    assert _words("CertificateExpiredError") != _words("CertificateNotYetValidError")


RENAMED = {
    "NonceMismatchError": "NonceAttributeMismatchError",
    "CertificateFieldMismatchError": "UnexpectedSignerError",
    "SigningTimeError": "SigningTimeSkewError",
    "UnknownCertificateStatusError": "RevocationUnknownError",
    "ExpiredCertificateError": "CertificateExpiredError",
    "NotYetValidCertificateError": "CertificateNotYetValidError",
    "RevokedCertificateError": "CertificateRevokedError",
    "SignedAttributesError": "SignedAttributeRejectedError",
}


@pytest.mark.parametrize("module_name", ["xcapki.login", "xcapki.login.errors"])
@pytest.mark.parametrize(("old", "new"), sorted(RENAMED.items()))
def test_an_old_name_imports_with_a_warning_naming_the_new_class(
    module_name: str, old: str, new: str
) -> None:
    module = importlib.import_module(module_name)
    with pytest.warns(
        DeprecationWarning, match=rf"{old} is deprecated.*use xcapki\.login\.errors\.{new}$"
    ):
        cls = getattr(module, old)
    assert cls is getattr(module, new)
    assert old not in module.__all__


def test_an_old_name_in_a_from_import_warns_too() -> None:
    with pytest.warns(DeprecationWarning, match="CertificateExpiredError"):
        from xcapki.login import ExpiredCertificateError
    from xcapki.login import CertificateExpiredError

    assert ExpiredCertificateError is CertificateExpiredError


def test_a_name_never_defined_is_still_an_attribute_error() -> None:
    import xcapki.login

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match="NoSuchError"):
            _ = xcapki.login.NoSuchError  # type: ignore[attr-defined]


def test_a_login_failure_is_caught_by_the_lower_layer_class_of_its_name() -> None:
    from xcapki.login import CertificateExpiredError, LoginError

    ended = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    with pytest.raises(validation_errors.CertificateExpiredError) as caught:
        raise CertificateExpiredError("the signer certificate expired", expired_at=ended)
    assert isinstance(caught.value, LoginError)
    assert caught.value.expired_at == ended
    assert not issubclass(validation_errors.CertificateExpiredError, LoginError)


def test_the_native_host_no_card_is_the_reader_layer_no_card() -> None:
    from xcapki.nativehost.errors import NativeHostError, NoCardError

    with pytest.raises(reader_errors.NoCardError):
        raise NoCardError("no card")
    assert issubclass(NoCardError, NativeHostError)
