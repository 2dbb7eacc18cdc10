"""Writing a command's output: all or nothing, owner-only, and never over a file by accident.

The data goes to a private temporary file beside the target first. Without
``force`` it is then hard-linked to the target name, which fails if that
name exists, so no existing file is replaced even by a race; with ``force``
it is renamed over the target. Either way a failure leaves no half file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from xcapki.cli.errors import OutputFileError
from xcapki.cli.files import check_output, unwritable

__all__ = ["check_new_file", "write_new_file"]


def check_new_file(name: str, *, force: bool) -> None:
    """Refuse an output that cannot be written (a missing or read-only folder, a folder
    as the name) and an existing ``name`` unless ``force``: checked early, before a PIN."""
    check_output(name, force=force)


def write_new_file(name: str, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``name`` (mode 0600); an existing ``name`` needs ``force``."""
    check_new_file(name, force=force)
    target = Path(name)
    # The target's name is cut short in the temporary one: a name near the file system's
    # 255-byte limit is a valid target, and must not make the temporary name too long.
    staged = target.with_name(f".{target.name[:32]}.{secrets.token_hex(6)}.tmp")
    try:
        descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        if force:
            staged.replace(target)
        else:
            os.link(staged, target)
    except FileExistsError:
        raise _exists(name) from None
    except OSError as exc:
        raise unwritable(target, exc) from None
    finally:
        with contextlib.suppress(OSError):
            staged.unlink(missing_ok=True)


def _exists(name: str) -> OutputFileError:
    return OutputFileError(key="output.exists", path=name)
