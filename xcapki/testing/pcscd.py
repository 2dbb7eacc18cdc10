"""A private pcscd for tests: its own socket, its own vpcd readers, stopped by PID.

pcsc-lite's client library (libpcsclite) connects to the socket named by
``PCSCLITE_CSOCK_NAME``, read once, when the process establishes its first
PC/SC context. pcscd 1.9.x itself ignores that variable and always binds
``/run/pcscd/pcscd.comm``; on such versions this helper starts pcscd in a
private mount namespace (``unshare --mount``, needs root) with its own
directory bind-mounted over ``/run/pcscd``, so the system pcscd and other
test runs are never touched. The client side then only has to point
``PCSCLITE_CSOCK_NAME`` at :attr:`PrivatePcscd.socket_path`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from xcapki.testing.errors import TestingError
from xcapki.testing.ports import unused_port

__all__ = [
    "VPCD_DRIVER",
    "PcscdSite",
    "PcscdStartError",
    "PrivatePcscd",
    "find_free_port_pair",
    "pcscd_missing_reason",
    "vpcd_reader_names",
]

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so.0.8")
"""Debian vsmartcard-vpcd's reader driver."""

_SYSTEM_RUN_DIR = Path("/run/pcscd")
_READY_LINE = b"daemon ready"


class PcscdStartError(TestingError):
    """The private pcscd could not be started; the message says what is missing."""


def pcscd_missing_reason() -> str | None:
    """Why a private pcscd with vpcd cannot run here, or ``None`` if it can."""
    if shutil.which("pcscd") is None:
        return "pcscd is not installed (Debian: apt-get install pcscd)"
    if not VPCD_DRIVER.exists():
        return f"the vpcd driver {VPCD_DRIVER} is missing (Debian: apt-get install vsmartcard-vpcd)"
    if not _daemon_honours_socket_env() and not _can_unshare():
        return "pcscd ignores PCSCLITE_CSOCK_NAME here and unshare --mount needs root"
    return None


def vpcd_reader_names(friendly_name: str = "Virtual PCD") -> tuple[str, str]:
    """The two reader names pcscd gives one vpcd entry (slots on port and port+1)."""
    return (f"{friendly_name} 00 00", f"{friendly_name} 00 01")


def find_free_port_pair() -> int:
    """A TCP port ``p`` such that ``p`` and ``p + 1`` (vpcd's two slots, on every
    interface) are free and stay free for the session (see ``xcapki.testing.ports``)."""
    return unused_port(consecutive=2, host="0.0.0.0")  # noqa: S104 - vpcd binds all interfaces


@dataclass(frozen=True, slots=True, kw_only=True)
class PcscdSite:
    """The directory and vpcd ports every private pcscd of one process shares.

    libpcsclite keeps the first socket it connects to for the life of the
    process, so all daemons a process starts (and restarts) bind the same one.
    """

    workdir: Path
    vpcd_port: int

    @property
    def socket_path(self) -> Path:
        """The socket every daemon of this site binds."""
        return self.daemon().socket_path

    def daemon(self, *, with_reader: bool = True) -> PrivatePcscd:
        """A (not yet started) pcscd with the two vpcd readers, or with none."""
        return PrivatePcscd(self.workdir, vpcd_port=self.vpcd_port if with_reader else None)


class PrivatePcscd:
    """One pcscd process serving ``socket_path`` with zero or one vpcd reader entry.

    With ``vpcd_port`` set, pcscd exposes two readers (see
    :func:`vpcd_reader_names`) whose cards connect to ``vpcd_port`` and
    ``vpcd_port + 1``; with ``vpcd_port=None`` it runs with no reader at all.
    """

    def __init__(self, workdir: Path, *, vpcd_port: int | None) -> None:
        self.workdir = workdir
        self.vpcd_port = vpcd_port
        self.run_dir = workdir / "run"
        self.config_dir = workdir / "reader.conf.d"
        self.log_path = workdir / "pcscd.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        """Point ``PCSCLITE_CSOCK_NAME`` here before the first PC/SC context."""
        return self.run_dir / "pcscd.comm"

    @property
    def pid(self) -> int | None:
        """The running daemon's PID."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the daemon process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start pcscd in the foreground and wait until it serves clients."""
        if self.running:
            return
        reason = pcscd_missing_reason()
        if reason is not None:
            raise PcscdStartError(f"cannot start a private pcscd: {reason}")
        self._write_config()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        env = dict(os.environ, PCSCLITE_CSOCK_NAME=str(self.socket_path))
        log = self.log_path.open("ab")
        log_start = log.tell()
        try:
            self._process = subprocess.Popen(
                self._command(), env=env, stdout=log, stderr=subprocess.STDOUT
            )
        finally:
            log.close()
        self._wait_ready(timeout, log_start)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the daemon by its PID (SIGTERM, then SIGKILL if it lingers)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def restart(self) -> None:
        """Stop and start again on the same socket and ports."""
        self.stop()
        self.start()

    def __enter__(self) -> PrivatePcscd:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _write_config(self) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        entry = self.config_dir / "vpcd"
        if self.vpcd_port is None:
            entry.unlink(missing_ok=True)
            return
        entry.write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:{self.vpcd_port}\n"
            f"LIBPATH      {VPCD_DRIVER}\n"
            f"CHANNELID    {self.vpcd_port}\n"
        )

    def _command(self) -> list[str]:
        pcscd = ["pcscd", "--foreground", "--info", "--config", str(self.config_dir)]
        if _daemon_honours_socket_env():
            return pcscd
        _SYSTEM_RUN_DIR.mkdir(parents=True, exist_ok=True)
        bind_then_exec = 'mount --bind "$0" /run/pcscd && exec "$@"'
        return [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            bind_then_exec,
            str(self.run_dir),
            *pcscd,
        ]

    def _wait_ready(self, timeout: float, log_start: int) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                break
            log = self.log_path.read_bytes()[log_start:]
            if _READY_LINE in log and self.socket_path.exists():
                return
            time.sleep(0.02)
        log_tail = self.log_path.read_text(errors="replace")[-2000:]
        self.stop()
        raise PcscdStartError(f"private pcscd did not become ready; its log ends:\n{log_tail}")


def _daemon_honours_socket_env() -> bool:
    pcscd = shutil.which("pcscd")
    return pcscd is not None and b"PCSCLITE_CSOCK_NAME" in Path(pcscd).read_bytes()


def _can_unshare() -> bool:
    return os.geteuid() == 0 and shutil.which("unshare") is not None
