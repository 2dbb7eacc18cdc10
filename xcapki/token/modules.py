"""Finding PKCS#11 modules on this machine, loading them, and listing their tokens.

Candidates come from an explicit path, the ``XCAPKI_PKCS11_MODULE``
environment variable (paths separated by ``os.pathsep``) and the places the
HiCOS, OpenSC, SoftHSM2 and opencryptoki installers use on Windows, macOS and
Linux. Each is reported as loaded, missing or failed with the reason, so a
``doctor`` can tell the user what is wrong. Several modules may be loaded at once.
"""

from __future__ import annotations

import enum
import os
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from xcapki.token._link import ModuleLink
from xcapki.token.errors import ModuleError, TokenError
from xcapki.token.objects import TokenCertificate, pair_certificates
from xcapki.token.tokens import TokenInfo, TokenSelector, choose_token

if TYPE_CHECKING:
    from xcapki.token._pkcs11 import ModuleHandle

__all__ = [
    "MODULE_ENVIRONMENT_VARIABLE",
    "ModuleCandidate",
    "ModuleOrigin",
    "ModuleReport",
    "ModuleStatus",
    "Pkcs11Module",
    "discover_modules",
    "find_module",
    "known_module_candidates",
    "load_module",
]

MODULE_ENVIRONMENT_VARIABLE = "XCAPKI_PKCS11_MODULE"


class ModuleOrigin(enum.Enum):
    """Why a path is a candidate module."""

    EXPLICIT = "explicit"
    ENVIRONMENT = "environment"
    HICOS = "hicos"
    OPENSC = "opensc"
    SOFTHSM = "softhsm"
    OPENCRYPTOKI = "opencryptoki"


class ModuleStatus(enum.Enum):
    """What happened when the candidate was tried."""

    LOADED = "loaded"
    MISSING = "missing"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleCandidate:
    """A path that may hold a PKCS#11 module."""

    path: Path
    origin: ModuleOrigin


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleReport:
    """The outcome of trying one candidate; ``reason`` says why it did not load."""

    candidate: ModuleCandidate
    status: ModuleStatus
    manufacturer: str = ""
    description: str = ""
    library_version: tuple[int, int] = (0, 0)
    reason: str = ""


_LINUX_LIBDIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                  "/usr/lib", "/usr/local/lib")  # fmt: skip

# HiCOS's Linux file name is unverified; these are the names its installers are reported to use.
_KNOWN: dict[str, tuple[tuple[ModuleOrigin, str], ...]] = {
    "win32": (
        (ModuleOrigin.HICOS, r"C:\Windows\System32\HiCOSPKCS11.dll"),
        (ModuleOrigin.HICOS, r"C:\Windows\SysWOW64\HiCOSPKCS11.dll"),
        (ModuleOrigin.OPENSC, r"C:\Windows\System32\opensc-pkcs11.dll"),
        (ModuleOrigin.OPENSC, r"C:\Program Files\OpenSC Project\OpenSC\pkcs11\opensc-pkcs11.dll"),
        (ModuleOrigin.SOFTHSM, r"C:\SoftHSM2\lib\softhsm2-x64.dll"),
    ),
    "darwin": (
        (ModuleOrigin.HICOS, "/usr/local/lib/libHicos_p11v1.dylib"),
        (ModuleOrigin.HICOS, "/Library/HiCOS/libHicos_p11v1.dylib"),
        (ModuleOrigin.OPENSC, "/Library/OpenSC/lib/opensc-pkcs11.so"),
        (ModuleOrigin.OPENSC, "/opt/homebrew/lib/opensc-pkcs11.so"),
        (ModuleOrigin.SOFTHSM, "/opt/homebrew/lib/softhsm/libsofthsm2.so"),
        (ModuleOrigin.SOFTHSM, "/usr/local/lib/softhsm/libsofthsm2.so"),
    ),
    "linux": (
        *((ModuleOrigin.HICOS, f"{d}/libHicos_p11v1.so") for d in _LINUX_LIBDIRS),
        *((ModuleOrigin.OPENSC, f"{d}/opensc-pkcs11.so") for d in _LINUX_LIBDIRS),
        *((ModuleOrigin.SOFTHSM, f"{d}/softhsm/libsofthsm2.so") for d in _LINUX_LIBDIRS),
        *((ModuleOrigin.OPENCRYPTOKI, f"{d}/pkcs11/libopencryptoki.so") for d in _LINUX_LIBDIRS),
    ),
}  # fmt: skip


def known_module_candidates(platform: str | None = None) -> tuple[ModuleCandidate, ...]:
    """Where HiCOS, OpenSC, SoftHSM2 and opencryptoki install their modules on ``platform``."""
    system = platform or sys.platform
    key = "linux" if system.startswith("linux") else system
    return tuple(ModuleCandidate(path=Path(p), origin=o) for o, p in _KNOWN.get(key, ()))


def _candidates(
    explicit: Iterable[str | os.PathLike[str]],
    environ: Mapping[str, str],
    platform: str | None,
) -> list[ModuleCandidate]:
    found = [ModuleCandidate(path=Path(p), origin=ModuleOrigin.EXPLICIT) for p in explicit]
    variable = environ.get(MODULE_ENVIRONMENT_VARIABLE, "")
    found += [
        ModuleCandidate(path=Path(p), origin=ModuleOrigin.ENVIRONMENT)
        for p in variable.split(os.pathsep)
        if p
    ]
    found += known_module_candidates(platform)
    unique: dict[Path, ModuleCandidate] = {}
    for candidate in found:
        unique.setdefault(candidate.path, candidate)
    return list(unique.values())


def _why_missing(path: Path) -> str | None:
    """Why no module can be at ``path`` (None when a file is there). A path that cannot
    even be looked at (too long, in a folder this user may not enter) is missing too."""
    try:
        return None if path.exists() else "does not exist"
    except OSError as exc:
        return f"cannot be looked at ({exc.strerror or exc})"


def discover_modules(
    explicit: Iterable[str | os.PathLike[str]] = (),
    *,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    include_missing: bool = False,
) -> tuple[ModuleReport, ...]:
    """Try every candidate module and report each; explicit and environment ones always appear."""
    reports: list[ModuleReport] = []
    for candidate in _candidates(explicit, os.environ if environ is None else environ, platform):
        named = candidate.origin in (ModuleOrigin.EXPLICIT, ModuleOrigin.ENVIRONMENT)
        missing = _why_missing(candidate.path)
        if missing is not None:
            if named or include_missing:
                reports.append(
                    ModuleReport(
                        candidate=candidate,
                        status=ModuleStatus.MISSING,
                        reason=f"{candidate.path} {missing}: install the module or fix the path",
                    )
                )
            continue
        try:
            module = load_module(candidate.path)
        except TokenError as exc:
            reports.append(
                ModuleReport(candidate=candidate, status=ModuleStatus.FAILED, reason=str(exc))
            )
            continue
        reports.append(
            ModuleReport(
                candidate=candidate,
                status=ModuleStatus.LOADED,
                manufacturer=module.manufacturer,
                description=module.description,
                library_version=module.library_version,
            )
        )
    return tuple(reports)


def find_module(
    explicit: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> Pkcs11Module:
    """The module to use: the explicit path, else the environment variable, else the
    installed module that sees a card, HiCOS's first (``xcapki.token.discovery``)."""
    variables = os.environ if environ is None else environ
    if explicit is None and not variables.get(MODULE_ENVIRONMENT_VARIABLE):
        from xcapki.token.discovery import choose_module

        return choose_module(environ=variables, platform=platform).module
    reports = discover_modules(
        () if explicit is None else (explicit,), environ=environ, platform=platform
    )
    for report in reports:
        if report.status is ModuleStatus.LOADED:
            return load_module(report.candidate.path)
        if report.candidate.origin in (ModuleOrigin.EXPLICIT, ModuleOrigin.ENVIRONMENT):
            raise ModuleError(report.reason)
    raise ModuleError(
        "no PKCS#11 module found: install the card's driver (HiCOS PKI Smart Card client) or"
        f" set {MODULE_ENVIRONMENT_VARIABLE} to the module's path"
    )


_loaded: dict[str, Pkcs11Module] = {}
_loaded_lock = threading.Lock()


def load_module(path: str | os.PathLike[str]) -> Pkcs11Module:
    """Load and initialise the module at ``path``; loading the same path twice gives one object."""
    from xcapki.token._pkcs11 import ModuleHandle

    resolved = os.path.realpath(path)
    with _loaded_lock:
        module = _loaded.get(resolved)
        if module is None:
            if not os.path.exists(resolved):
                raise ModuleError(f"{path} does not exist: install the module or fix the path")
            module = Pkcs11Module(ModuleHandle(resolved), display_path=str(path))
            _loaded[resolved] = module
        return module


class Pkcs11Module:
    """A loaded PKCS#11 module: its description and its tokens.

    ``link`` is the internal interface sessions and provisioning use (``ModuleLink``);
    it is not part of the public API.
    """

    def __init__(self, handle: ModuleHandle, *, display_path: str) -> None:
        self.link = ModuleLink(handle, display_path=display_path)
        self.path = display_path
        info = handle.info()
        self.manufacturer = info.manufacturer
        self.description = info.description
        self.library_version = info.library_version
        self.cryptoki_version = info.cryptoki_version

    def __repr__(self) -> str:
        return f"Pkcs11Module(path={self.path!r}, manufacturer={self.manufacturer!r})"

    def tokens(self) -> tuple[TokenInfo, ...]:
        """Every token present, with its reader, label, serial, PIN range and flags."""
        return self.link.tokens()

    def select_token(self, selector: TokenSelector | None = None) -> TokenInfo:
        """The one initialised token matching ``selector``; several is an error.

        Tokens without ``TokenFlags.TOKEN_INITIALIZED`` (SoftHSM2's spare slot, a blank
        card) are never chosen, so the only card in use is found without a selector.
        """
        return choose_token(self.tokens(), selector)

    def public_certificates(
        self, token: TokenInfo | TokenSelector | None = None
    ) -> tuple[TokenCertificate, ...]:
        """The token's certificates read without logging in: no PIN, no PIN try.

        Certificates are public objects, so a session without login reads them;
        they are classified and paired by CKA_ID as ``TokenSession.certificates``
        does (see ``TokenCertificate`` for how the pair is seen without login).
        The session is closed without C_Logout, so a ``TokenSession`` logged in
        to the same token stays logged in.
        """
        from xcapki.token._pkcs11 import ObjectClass

        link = self.link
        with link.lock:
            chosen = token if isinstance(token, TokenInfo) else choose_token(self.tokens(), token)
            current = link.reread(chosen)
            raw = link.open_session(current.slot_id)
            try:
                certificates = raw.certificates()
                keys = [*raw.keys(ObjectClass.PRIVATE_KEY), *raw.keys(ObjectClass.PUBLIC_KEY)]
            finally:
                raw.close(logout=False)
        return pair_certificates(certificates, keys, token_serial=current.serial)

    def refresh(self) -> None:
        """Make the module rescan its slots: finds tokens created or cards inserted since loading.

        This is C_Finalize + C_Initialize, so every session this process has on the
        module closes and its logins end. A ``TokenSession`` notices on its next call
        and reconnects: it finds its token again by serial, logs in again with the
        PIN accepted earlier (only while the card reports no failed tries) and its
        signers carry on. Calls running in other threads finish first.
        """
        self.link.reinitialize()
