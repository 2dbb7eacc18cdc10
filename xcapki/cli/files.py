"""Reading and writing the files named on the command line, with errors a user can act on.

Output is checked before anything costly happens (a PIN, a long hash): the
folder must exist, the name must not be the input, and an existing file is
only replaced with ``--force``. It is then written to a temporary file in
the same folder and renamed into place, so a failure or Ctrl-C leaves
neither a half file nor a damaged old one.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import io
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Final

from xcapki.cli.errors import InputFileError, OutputFileError

__all__ = [
    "PEM_SIGNATURE_LIMIT",
    "CheckedInput",
    "StagedOutput",
    "check_output",
    "open_input",
    "read_file",
    "read_signature",
    "unwritable",
]

_STAGED_NAME_CHARS = 32
"""Of the target's name in the temporary file's: a name near the file system's 255-byte
limit is a valid target, and must not make the temporary name too long."""
_NO_HARD_LINKS: Final = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK})
"""What ``link`` answers on a file system that has no hard links."""

PEM_SIGNATURE_LIMIT = 64 * 1024 * 1024
"""A PEM signature is decoded in memory; larger signatures come as DER."""


def _unreadable(name: str, exc: OSError) -> InputFileError:
    return InputFileError(key="file.unreadable", path=name, reason=exc.strerror or str(exc))


def read_file(name: str) -> bytes:
    """The bytes of ``name``; ``InputFileError`` naming the file when it cannot be read."""
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise _unreadable(name, exc) from None


def open_input(name: str) -> io.BufferedReader:
    """``name`` opened for reading (a regular file or a pipe, not a folder)."""
    try:
        if Path(name).is_dir():
            raise InputFileError(key="file.is_folder", path=name)
        return open(name, "rb")
    except OSError as exc:  # e.g. a name too long for the file system
        raise _unreadable(name, exc) from None


def read_signature(name: str) -> BinaryIO:
    """A CMS signature file opened as DER; PEM (``-----BEGIN PKCS7-----`` etc.) is decoded."""
    stream = open_input(name)
    start = stream.peek(64)[:64]
    if not start.lstrip().startswith(b"-----BEGIN"):
        return stream
    with stream:
        data = stream.read(PEM_SIGNATURE_LIMIT + 1)
    if len(data) > PEM_SIGNATURE_LIMIT:
        raise InputFileError(key="file.pem_too_large", path=name)
    text = data.lstrip()
    if text.startswith((b"-----BEGIN CERTIFICATE", b"-----BEGIN X509 CERTIFICATE")):
        raise InputFileError(key="file.certificate_not_signature", path=name)
    lines = [line.strip() for line in text.splitlines()]
    body = [line for line in lines if line and not line.startswith(b"-----")]
    try:
        decoded = base64.b64decode(b"".join(body), validate=True)
    except binascii.Error:
        raise InputFileError(key="file.pem_damaged", path=name) from None
    return io.BytesIO(decoded)


def check_output(name: str, *, inputs: Sequence[str] = (), force: bool = False) -> Path:
    """``name`` as an output path, or ``OutputFileError`` saying why it cannot be one."""
    try:
        return _checked_output(name, inputs, force)
    except OSError as exc:  # e.g. a name too long for the file system
        raise unwritable(Path(name), exc) from None


def _checked_output(name: str, inputs: Sequence[str], force: bool) -> Path:
    target = Path(name)
    if target.is_dir():
        raise OutputFileError(key="output.is_folder", path=name, remedy_key="remedy.output_name")
    if target.exists() and not target.is_file():
        # A device, FIFO or socket (/dev/stdout, a named pipe): the output replaces its
        # target whole, which would swap the device or pipe for a plain file.
        raise OutputFileError(key="output.not_regular", path=name, remedy_key="remedy.output_name")
    folder = target.absolute().parent
    if not folder.is_dir():
        raise OutputFileError(
            key="output.no_folder",
            path=name,
            folder=str(folder),
            remedy_key="remedy.output_folder",
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputFileError(
            key="output.folder_read_only",
            path=name,
            folder=str(folder),
            remedy_key="remedy.output_folder",
        )
    for source in inputs:
        if _same_file(target, Path(source)):
            raise OutputFileError(key="output.is_input", path=name, remedy_key="remedy.output_name")
    if target.exists() and not force:
        raise OutputFileError(key="output.exists", path=name)
    return target


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.exists() and second.exists() and first.samefile(second)
    except OSError:
        return first.absolute() == second.absolute()


class StagedOutput:
    """A temporary file beside ``target`` that becomes it only on ``commit()``.

    Leaving the ``with`` block without committing (an error, Ctrl-C, a verdict
    that says the content must not be kept) removes the temporary file. A
    ``private`` output (decrypted content) keeps mode 0600 instead of the umask's.
    Without ``replace`` (no ``--force``) the commit links the file into place,
    which fails if a file of that name appeared while the command ran: nothing
    the user did not ask to overwrite is ever replaced.
    """

    def __init__(self, target: Path, *, replace: bool, private: bool = False) -> None:
        self.target = target
        self._replace = replace
        self._private = private
        try:
            handle, staged = tempfile.mkstemp(
                prefix=f".{target.name[:_STAGED_NAME_CHARS]}.",
                suffix=".partial",
                dir=target.absolute().parent,
            )
        except OSError as exc:
            raise unwritable(target, exc) from None
        self._staged = Path(staged)
        self._file = os.fdopen(handle, "wb")
        self._committed = False

    def write(self, data: bytes) -> int:
        """Write ``data``; a full disk or I/O error becomes ``OutputFileError``."""
        try:
            return self._file.write(data)
        except OSError as exc:
            raise unwritable(self.target, exc) from None

    def commit(self) -> None:
        """Flush to disk and move into place."""
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            if not self._private:
                self._staged.chmod(0o666 & ~_umask())
            if self._replace:
                self._staged.replace(self.target)
            else:
                self._link_into_place()
        except FileExistsError:
            raise OutputFileError(key="output.exists", path=str(self.target)) from None
        except OSError as exc:
            raise unwritable(self.target, exc) from None
        self._committed = True

    def _link_into_place(self) -> None:
        """Give the staged file the target's name unless that name is taken. File systems
        without hard links (FAT and exFAT memory sticks) get a check and a rename instead."""
        try:
            os.link(self._staged, self.target)
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            if self.target.exists():
                raise FileExistsError(errno.EEXIST, "exists", str(self.target)) from None
            self._staged.replace(self.target)
        else:
            self._staged.unlink()

    def __enter__(self) -> StagedOutput:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._committed:
            self._file.close()
            self._staged.unlink(missing_ok=True)


class CheckedInput:
    """A file being read whose I/O errors become ``InputFileError`` naming it."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._stream = stream
        self._name = name

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes."""
        try:
            return self._stream.read(size)
        except OSError as exc:
            raise _unreadable(self._name, exc) from None

    def size(self) -> int | None:
        """The file's size, or None for a pipe."""
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            info = os.fstat(self._stream.fileno())
            if stat.S_ISREG(info.st_mode):
                return info.st_size
        if isinstance(self._stream, io.BytesIO):
            return len(self._stream.getbuffer())
        return None

    def close(self) -> None:
        """Close the file."""
        self._stream.close()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


_REMEDY_FOR_ERRNO = {
    errno.ENAMETOOLONG: "remedy.output_name",
    errno.EACCES: "remedy.output_folder",
    errno.EPERM: "remedy.output_folder",
    errno.EROFS: "remedy.output_folder",
}


def unwritable(target: Path, exc: OSError) -> OutputFileError:
    """The error for an output whose write failed (full disk, name too long, I/O error)."""
    return OutputFileError(
        key="output.failed",
        path=str(target),
        reason=exc.strerror or str(exc),
        remedy_key=_REMEDY_FOR_ERRNO.get(exc.errno or 0, "remedy.output_space"),
    )
