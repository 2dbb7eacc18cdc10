"""Reading and writing the files named on the command line, with errors a user can act on."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from xcapki.cli.errors import InputFileError

__all__ = ["read_file", "read_signature", "write_file"]


def read_file(name: str) -> bytes:
    """The bytes of ``name``; ``InputFileError`` naming the file when it cannot be read."""
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read {name}: {exc.strerror or exc}; check the path") from None


def read_signature(name: str) -> bytes:
    """A CMS signature file as DER: DER as is, PEM (``-----BEGIN PKCS7-----`` etc.) decoded."""
    data = read_file(name)
    text = data.lstrip()
    if not text.startswith(b"-----BEGIN"):
        return data
    lines = [line.strip() for line in text.splitlines()]
    body = [line for line in lines if line and not line.startswith(b"-----")]
    try:
        return base64.b64decode(b"".join(body), validate=True)
    except binascii.Error:
        raise InputFileError(
            f"{name} looks like PEM but its base64 body is damaged: give the DER or PEM file"
            " as written by the signer"
        ) from None


def write_file(name: str, data: bytes) -> None:
    """Write ``data`` to ``name`` through a temporary file, so a failure leaves no half file."""
    target = Path(name)
    staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        staged.write_bytes(data)
        staged.replace(target)
    except OSError as exc:
        staged.unlink(missing_ok=True)
        raise InputFileError(
            f"cannot write {name}: {exc.strerror or exc}; check the folder and free space"
        ) from None
