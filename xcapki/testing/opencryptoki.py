"""An opencryptoki software token laid out like a HiCOS card, for PIN-lockout tests.

SoftHSM2 never locks a PIN; opencryptoki's soft token does, after 3 wrong
tries, reporting COUNT_LOW and FINAL_TRY on the way, as cards do. Its state
lives system-wide (``/var/lib/opencryptoki/swtok``) and needs the
``pkcsslotd`` daemon, which is started here if its PID file names no live
process. ``provision_opencryptoki_card`` re-initialises the token, so every
lockout test starts from a fresh card. The SO PIN stays at opencryptoki's
default because this version cannot re-initialise a token after the SO PIN
was changed.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from xcapki.testing.errors import TestingError
from xcapki.token.tokens import TokenSelector

__all__ = [
    "DEFAULT_SO_PIN",
    "HICOS_LABEL",
    "OpencryptokiCard",
    "ensure_pkcsslotd",
    "opencryptoki_module_path",
    "provision_opencryptoki_card",
]

DEFAULT_SO_PIN = "87654321"
HICOS_LABEL = "HiCOS PKI Smart Card"
PKCSSLOTD = Path("/usr/sbin/pkcsslotd")
PKCSCONF = Path("/usr/sbin/pkcsconf")
PID_FILE = Path("/var/run/pkcsslotd.pid")
_MODULE_PATHS = (
    "/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so",
    "/usr/lib/aarch64-linux-gnu/pkcs11/libopencryptoki.so",
    "/usr/lib64/pkcs11/libopencryptoki.so",
    "/usr/lib/pkcs11/libopencryptoki.so",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpencryptokiCard:
    """The provisioned soft token: where it is and how to log in."""

    module_path: Path
    slot: int
    label: str
    pin: str = field(repr=False)
    so_pin: str = field(repr=False)


def opencryptoki_module_path() -> Path | None:
    """The installed libopencryptoki, or None."""
    return next((Path(p) for p in _MODULE_PATHS if Path(p).exists()), None)


def _daemon_pid() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def ensure_pkcsslotd(timeout: float = 10.0) -> int:
    """The PID of the running pkcsslotd, starting it when its PID file names no live process."""
    pid = _daemon_pid()
    if pid is not None:
        return pid
    if not PKCSSLOTD.exists():
        raise TestingError("pkcsslotd is missing: install the Debian package opencryptoki")
    result = subprocess.run([str(PKCSSLOTD)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise TestingError(
            f"pkcsslotd did not start ({result.stderr.strip()}): run"
            " scripts/opencryptoki-setup.sh as root"
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = _daemon_pid()
        if pid is not None:
            return pid
        time.sleep(0.1)
    raise TestingError(f"pkcsslotd started but wrote no PID to {PID_FILE}")


def _pkcsconf(*arguments: str, stdin: str = "") -> str:
    result = subprocess.run(
        [str(PKCSCONF), *arguments], input=stdin, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise TestingError(
            f"pkcsconf {arguments[0]} failed ({result.returncode}):"
            f" {(result.stdout + result.stderr).strip()[-300:]}"
        )
    return result.stdout


def _soft_token_slot() -> int:
    listing = _pkcsconf("-t")
    for match in re.finditer(r"Token #(\d+) Info:(.*?)(?=Token #|\Z)", listing, re.S):
        if "SoftTok" in match.group(2):
            return int(match.group(1))
    raise TestingError(
        "opencryptoki lists no software token: add the libpkcs11_sw.so slot to"
        " /etc/opencryptoki/opencryptoki.conf (scripts/opencryptoki-setup.sh does) and restart"
        " pkcsslotd"
    )


def provision_opencryptoki_card(
    *,
    pin: str = "123456",
    label: str = HICOS_LABEL,
    so_pin: str = DEFAULT_SO_PIN,
    signing: tuple[rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, x509.Certificate] | None = None,
) -> OpencryptokiCard:
    """Re-initialise the soft token as a fresh card with ``pin``; optionally store a SIGN pair.

    Re-initialising clears a locked PIN, so call it before every lockout test.
    """
    module = opencryptoki_module_path()
    if module is None:
        raise TestingError("libopencryptoki is missing: install the Debian package opencryptoki")
    ensure_pkcsslotd()
    slot = _soft_token_slot()
    _pkcsconf("-I", "-c", str(slot), "-S", so_pin, stdin=f"{label}\n")
    _pkcsconf("-u", "-c", str(slot), "-S", so_pin, "-n", pin)
    card = OpencryptokiCard(module_path=module, slot=slot, label=label, pin=pin, so_pin=so_pin)
    if signing is not None:
        _store_signing_pair(card, *signing)
    return card


def _store_signing_pair(
    card: OpencryptokiCard,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
) -> None:
    from xcapki.token.modules import load_module
    from xcapki.token.provisioning import store_key_pair

    module = load_module(card.module_path)
    store_key_pair(
        module,
        module.select_token(TokenSelector(label=card.label)),
        pin=card.pin,
        key=key,
        certificate=certificate,
        key_id=b"SIGN",
        label="cert1",
    )
