"""Choosing the PKCS#11 module by evidence: which module sees the card, not which loads first.

OpenSC's module loads on almost every machine but cannot read HiCOS cards
(it shows their slot as "token not recognized"), so "the first module that
loads" picks it and then finds no card. Here every installed module is
asked which tokens it sees, and each card in a reader is recognised by its
ATR: a module is chosen because it sees a card (HiCOS's before the others),
and a HiCOS card with no HiCOS module installed is a diagnosis that names
the files to install on this platform, not a "no card" later.

``HICOS_INSTALLS`` is the per-platform table of where the HiCOS PKI Smart
Card client puts its module (from public installer reports; the Linux name
rests on one report, so both names are looked for). It adds to the token
layer's known candidates (``known_module_candidates``); ``root`` re-roots
every path so the table can be checked against a file tree of any platform.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Final

from xcapki.reader.atr import Atr
from xcapki.reader.cards import CardFamily, identify_card
from xcapki.reader.errors import AtrFormatError
from xcapki.token.errors import ModuleError, TokenError
from xcapki.token.modules import (
    MODULE_ENVIRONMENT_VARIABLE,
    ModuleCandidate,
    ModuleOrigin,
    Pkcs11Module,
    find_module,
    known_module_candidates,
    load_module,
)
from xcapki.token.tokens import TokenFlags, TokenInfo

__all__ = [
    "HICOS_DOWNLOAD",
    "HICOS_INSTALLS",
    "CardInReader",
    "HicosInstall",
    "HicosModuleMissingError",
    "ModuleChoice",
    "ModuleEvidence",
    "ModuleVerdict",
    "choose_module",
    "installed_candidates",
    "platform_key",
]

HICOS_DOWNLOAD: Final = "https://moica.nat.gov.tw/"
"""Where the HiCOS client is published (its download area, 下載專區, serves every GPKI card)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HicosInstall:
    """Where the HiCOS PKI Smart Card client installs its PKCS#11 module on one platform."""

    platform: str
    file_names: tuple[str, ...]
    paths: tuple[str, ...]

    @property
    def folders(self) -> tuple[str, ...]:
        """The folders of ``paths``, in order, without repeats."""
        flavour = PureWindowsPath if self.platform == "win32" else PurePosixPath
        return tuple(dict.fromkeys(str(flavour(path).parent) for path in self.paths))


_LINUX_LIBDIRS: Final = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                         "/usr/lib", "/usr/local/lib")  # fmt: skip
_WINDOWS_HICOS: Final = r"C:\Program Files (x86)\Chunghwa Telecom\HiCOS PKI Smart Card"

HICOS_INSTALLS: Final[Mapping[str, HicosInstall]] = {
    "linux": HicosInstall(
        platform="linux",
        file_names=("libHicos_p11.so", "libHicos_p11v1.so"),
        paths=tuple(
            f"{folder}/{name}"
            for folder in _LINUX_LIBDIRS
            for name in ("libHicos_p11.so", "libHicos_p11v1.so")
        ),
    ),
    "darwin": HicosInstall(
        platform="darwin",
        file_names=("libHicos_p11v1.dylib",),
        paths=(
            "/usr/local/lib/libHicos_p11v1.dylib",
            "/Library/HiCOS/libHicos_p11v1.dylib",
            "/Library/FBTokenLib/libHicos_p11v1.dylib",
        ),
    ),
    "win32": HicosInstall(
        platform="win32",
        file_names=("HiCOSPKCS11.dll", "HiCOSPKCS11_219.dll"),
        paths=(
            r"C:\Windows\System32\HiCOSPKCS11.dll",
            r"C:\Windows\SysWOW64\HiCOSPKCS11.dll",
            rf"{_WINDOWS_HICOS}\HiCOSPKCS11.dll",
            rf"{_WINDOWS_HICOS}\HiCOSPKCS11_219.dll",
        ),
    ),
}


class HicosModuleMissingError(ModuleError):
    """A HiCOS card is in a reader and no HiCOS module is installed to read it."""

    def __init__(self, message: str, *, install: HicosInstall, readers: Sequence[str]) -> None:
        super().__init__(message)
        self.install = install
        self.readers = tuple(readers)


class ModuleVerdict(enum.Enum):
    """What one installed module showed when asked."""

    SEES_CARD = "sees-card"
    NO_CARD = "no-card"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleEvidence:
    """One installed module and what it showed: its cards, or why none."""

    candidate: ModuleCandidate
    verdict: ModuleVerdict
    tokens: tuple[TokenInfo, ...] = ()
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CardInReader:
    """A card a reader holds, by its reader's name and ATR (from the reader layer)."""

    reader: str
    atr: bytes

    @property
    def is_hicos(self) -> bool:
        """Whether the ATR is a known HiCOS card's."""
        try:
            family = identify_card(Atr.parse(self.atr)).family
        except AtrFormatError:
            return False
        return family is CardFamily.HICOS_GEN1


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleChoice:
    """The module chosen, why, and the evidence every installed module gave."""

    module: Pkcs11Module
    reason: str
    evidence: tuple[ModuleEvidence, ...]


def platform_key(platform: str | None = None) -> str:
    """``linux``, ``darwin`` or ``win32`` for ``platform`` (default: this one)."""
    system = platform or sys.platform
    return "linux" if system.startswith("linux") else system


def _rooted(path: str, root: Path | None) -> Path:
    if root is None:
        return Path(path)
    if PureWindowsPath(path).drive:
        windows = PureWindowsPath(path)
        return root.joinpath(windows.drive.rstrip(":"), *windows.parts[1:])
    return root.joinpath(*PurePosixPath(path).parts[1:])


def installed_candidates(
    platform: str | None = None, *, root: Path | None = None
) -> tuple[ModuleCandidate, ...]:
    """The known module paths of ``platform`` that exist (under ``root`` when given), HiCOS
    first, then the others in the token layer's order."""
    key = platform_key(platform)
    hicos = [
        ModuleCandidate(path=_rooted(path, root), origin=ModuleOrigin.HICOS)
        for path in HICOS_INSTALLS[key].paths
    ] if key in HICOS_INSTALLS else []  # fmt: skip
    others = [
        ModuleCandidate(path=_rooted(str(c.path), root), origin=c.origin)
        for c in known_module_candidates(key)
    ]
    ordered = [c for c in [*hicos, *others] if c.origin is ModuleOrigin.HICOS]
    ordered += [c for c in others if c.origin is not ModuleOrigin.HICOS]
    unique: dict[str, ModuleCandidate] = {}
    for candidate in ordered:
        if candidate.path.is_file():
            unique.setdefault(os.path.realpath(candidate.path), candidate)
    return tuple(unique.values())


def _evidence(candidate: ModuleCandidate) -> tuple[ModuleEvidence, Pkcs11Module | None]:
    try:
        module = load_module(candidate.path)
        tokens = module.tokens()
    except TokenError as error:
        return ModuleEvidence(
            candidate=candidate, verdict=ModuleVerdict.FAILED, reason=str(error)
        ), None
    cards = tuple(t for t in tokens if t.flags & TokenFlags.TOKEN_INITIALIZED)
    verdict = ModuleVerdict.SEES_CARD if cards else ModuleVerdict.NO_CARD
    return ModuleEvidence(candidate=candidate, verdict=verdict, tokens=cards), module


def _serves(evidence: ModuleEvidence, readers: Iterable[str]) -> bool:
    return any(
        reader in token.reader_name or token.reader_name in reader
        for token in evidence.tokens
        for reader in readers
        if token.reader_name.strip()
    )


def choose_module(
    explicit: str | os.PathLike[str] | None = None,
    *,
    cards: Sequence[CardInReader] = (),
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    root: Path | None = None,
) -> ModuleChoice:
    """The module to use, chosen by what each installed module sees.

    An ``explicit`` path or ``XCAPKI_PKCS11_MODULE`` is used as given. Otherwise:
    for a HiCOS card among ``cards``, the module that sees a card in its reader
    (else ``HicosModuleMissingError`` when no HiCOS module is installed); then any
    module that sees a card, HiCOS's first; then an installed HiCOS module; then
    the first that loads, which will report that it sees no card.
    """
    variables = os.environ if environ is None else environ
    if explicit is not None or variables.get(MODULE_ENVIRONMENT_VARIABLE):
        module = find_module(explicit, environ=variables, platform=platform)
        how = "given with --module" if explicit is not None else MODULE_ENVIRONMENT_VARIABLE
        return ModuleChoice(module=module, reason=how, evidence=())
    key = platform_key(platform)
    gathered = [_evidence(candidate) for candidate in installed_candidates(key, root=root)]
    evidence = tuple(found for found, _ in gathered)
    loaded = [(found, module) for found, module in gathered if module is not None]
    hicos_readers = [card.reader for card in cards if card.is_hicos]
    if hicos_readers:
        for found, module in loaded:
            if _serves(found, hicos_readers):
                return ModuleChoice(
                    module=module, reason="it sees the HiCOS card", evidence=evidence
                )
        if not any(found.candidate.origin is ModuleOrigin.HICOS for found, _ in loaded):
            raise _hicos_missing(key, hicos_readers)
    for wanted in (ModuleOrigin.HICOS, None):
        for found, module in loaded:
            if found.verdict is ModuleVerdict.SEES_CARD and wanted in (
                None,
                found.candidate.origin,
            ):
                return ModuleChoice(module=module, reason="it sees a card", evidence=evidence)
    for found, module in loaded:
        if found.candidate.origin is ModuleOrigin.HICOS:
            return ModuleChoice(module=module, reason="the HiCOS module", evidence=evidence)
    if loaded:
        return ModuleChoice(
            module=loaded[0][1],
            reason="the only kind installed; it sees no card",
            evidence=evidence,
        )
    install = HICOS_INSTALLS.get(key)
    names = " or ".join(install.file_names) if install else "the HiCOS module"
    raise ModuleError(
        f"no PKCS#11 module is installed: install the HiCOS PKI Smart Card client ({names},"
        f" from {HICOS_DOWNLOAD}) or set {MODULE_ENVIRONMENT_VARIABLE} to a module's path"
    )


def _hicos_missing(key: str, readers: Sequence[str]) -> HicosModuleMissingError:
    install = HICOS_INSTALLS.get(key) or HicosInstall(platform=key, file_names=(), paths=())
    names = " or ".join(install.file_names) or "its PKCS#11 module"
    where = ", ".join(install.folders) or "the system library folder"
    return HicosModuleMissingError(
        f"a HiCOS card is in {', '.join(readers)} but no HiCOS module is installed (OpenSC"
        f" cannot read these cards): install the HiCOS PKI Smart Card client from"
        f" {HICOS_DOWNLOAD}, which puts {names} in {where}",
        install=install,
        readers=readers,
    )
