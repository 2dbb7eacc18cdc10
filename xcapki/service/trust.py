"""The origins the user trusted to use the card, kept in a small JSON file.

An entry is either a domain (``www.example.gov.tw``: trusts that host over
https on any port) or a full origin (``http://intranet.example:8080``: trusts
exactly that origin, which is how a plain-http page is trusted). Only what the
user approved through ``/addDomain`` (or wrote into the file) is trusted.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import threading
from pathlib import Path

from xcapki._origin import Origin, OriginError, parse_origin
from xcapki.service.errors import TrustListError

__all__ = ["TrustList", "normalise_trust_entry"]

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def _valid_host(host: str) -> bool:
    return len(host) <= 253 and bool(_HOSTNAME.match(host) or _IPV4.match(host))


def _origin(text: str) -> Origin | None:
    """The origin ``text`` names, when its host is a plain name or IPv4 address; else None."""
    try:
        origin = parse_origin(text)
    except OriginError:
        return None
    return origin if _valid_host(origin.host) else None


def normalise_trust_entry(text: str) -> str | None:
    """The entry to store for ``text`` (a domain or an origin); None when it is neither."""
    candidate = text.strip().lower().rstrip(".")
    if "://" not in candidate:
        return candidate if _valid_host(candidate) else None
    origin = _origin(candidate)
    return None if origin is None else origin.serialised()


_VERDICTS_KEPT = 256


class TrustList:
    """The trusted entries, read from and written back to ``path`` (mode 0600).

    Verdicts for Origin header values are remembered (a page sends the same one with
    every request), at most ``_VERDICTS_KEPT`` of them, and forgotten when an entry is added.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._entries = self._load()
        self._verdicts: dict[str, str | None] = {}

    @property
    def entries(self) -> frozenset[str]:
        """Every trusted domain and origin."""
        return frozenset(self._entries)

    def _load(self) -> set[str]:
        try:
            document = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return set()
        except (OSError, ValueError) as exc:
            raise TrustListError(
                f"the trusted-origins file {self._path} cannot be read ({exc}): fix or delete it"
            ) from None
        origins = document.get("origins") if isinstance(document, dict) else None
        if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
            raise TrustListError(
                f'{self._path} must hold {{"origins": ["domain or origin", ...]}}: fix or delete it'
            )
        entries = {normalise_trust_entry(o) for o in origins}
        return {e for e in entries if e is not None}

    def is_trusted(self, origin: str | None) -> bool:
        """Whether a page of ``origin`` (an Origin header value) may use the card."""
        return origin is not None and self.entry_for(origin) is not None

    def entry_for(self, origin: str) -> str | None:
        """The entry that trusts ``origin`` (an Origin header value); None when none does."""
        with self._lock:
            if origin in self._verdicts:
                return self._verdicts[origin]
            verdict = self._judge(origin)
            if len(self._verdicts) >= _VERDICTS_KEPT:
                self._verdicts.clear()
            self._verdicts[origin] = verdict
            return verdict

    def _judge(self, origin: str) -> str | None:
        """The verdict from the entries (called with the lock held)."""
        parsed = _origin(origin.lower())
        if parsed is None:
            return None
        exact = parsed.serialised()
        if exact in self._entries:
            return exact
        return parsed.host if parsed.scheme == "https" and parsed.host in self._entries else None

    def add(self, entry: str) -> None:
        """Trust ``entry`` (already normalised) and write the file.

        The file is read again first: ``xcapki trust``, the service and the native host
        each keep a copy, and writing a stale one would drop what another one added."""
        with self._lock:
            self._entries = self._load()
            self._verdicts.clear()
            if entry in self._entries:
                return
            self._entries.add(entry)
            self._write(sorted(self._entries))

    def remove(self, entry: str) -> bool:
        """Stop trusting ``entry`` (already normalised) and write the file; False when absent."""
        with self._lock:
            self._entries = self._load()
            self._verdicts.clear()
            if entry not in self._entries:
                return False
            self._entries.discard(entry)
            self._write(sorted(self._entries))
            return True

    def _write(self, entries: list[str]) -> None:
        text = json.dumps({"origins": entries}, indent=2) + "\n"
        staged: str | None = None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # A temporary name of its own: two processes writing at once must not share one.
            descriptor, staged = tempfile.mkstemp(
                prefix=f".{self._path.name}.", suffix=".tmp", dir=self._path.parent
            )
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(staged, self._path)
            staged = None
        except OSError as exc:
            raise TrustListError(
                f"the trusted-origins file {self._path} cannot be written ({exc}): check the"
                " directory's permissions"
            ) from None
        finally:
            if staged is not None:
                with contextlib.suppress(OSError):
                    os.unlink(staged)
