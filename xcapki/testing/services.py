"""Serving a test PKI on loopback: an OCSP responder per CA, a CRL/CA-certificate server, a TSA."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from types import TracebackType

from xcapki.testing.ocsp_responder import OcspResponder, ResponderBehaviour
from xcapki.testing.pki import LOOPBACK, CaCredentials, IssuedKey, TestPki
from xcapki.testing.tsa import TimestampAuthority


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: test output stays readable."""


class PkiServices:
    """The running OCSP responders and CRL server of one test PKI.

    Each CA answers on the port its certificates' AIA names; the CRL server
    publishes ``<ca>.crl`` and ``<ca>.cer`` where their CDP and caIssuers
    point. ``close`` (or leaving the ``with`` block) stops them all.
    """

    def __init__(self, pki: TestPki) -> None:
        self.pki = pki
        self._responders: dict[str, OcspResponder] = {}
        self._tsa: TimestampAuthority | None = None
        handler = functools.partial(_QuietHandler, directory=str(pki.published_directory))
        self._crl_server = http.server.ThreadingHTTPServer((LOOPBACK, pki.crl_port), handler)
        self._crl_thread = threading.Thread(
            target=self._crl_server.serve_forever, name="xcapki-test-crl", daemon=True
        )
        self._crl_thread.start()
        try:
            for ca in pki.authorities:
                self.start_responder(ca)
        except BaseException:
            self.close()
            raise

    def responder(self, ca: CaCredentials) -> OcspResponder:
        """The running responder of ``ca`` (to change its behaviour or count requests)."""
        return self._responders[ca.name]

    def is_running(self, ca: CaCredentials) -> bool:
        """Whether ``ca``'s responder is serving."""
        return ca.name in self._responders

    def timestamp_authority(self) -> TimestampAuthority:
        """The PKI's time-stamping authority, started on first use (it runs ``openssl ts``)."""
        if self._tsa is None:
            self._tsa = TimestampAuthority(self.pki).start()
        return self._tsa

    def start_responder(self, ca: CaCredentials) -> OcspResponder:
        """Start ``ca``'s responder, on the port its certificates name."""
        responder = OcspResponder(ca, ca.ocsp_port)
        responder.start()
        self._responders[ca.name] = responder
        return responder

    def stop_responder(self, ca: CaCredentials) -> None:
        """Stop ``ca``'s responder, so that its AIA address refuses connections."""
        responder = self._responders.pop(ca.name, None)
        if responder is not None:
            responder.close()

    @contextlib.contextmanager
    def misbehaving(
        self,
        ca: CaCredentials,
        behaviour: ResponderBehaviour,
        *,
        rogue_signer: IssuedKey | None = None,
    ) -> Iterator[OcspResponder]:
        """``ca``'s responder answering with ``behaviour`` inside the ``with`` block only."""
        responder = self.responder(ca)
        responder.settings.behaviour = behaviour
        responder.settings.rogue_signer = rogue_signer
        try:
            yield responder
        finally:
            responder.settings.behaviour = ResponderBehaviour.CORRECT
            responder.settings.rogue_signer = None

    def restore(self) -> None:
        """Undo what a test broke: every responder running and correct, every CRL fresh."""
        for ca in self.pki.authorities:
            responder = self._responders.get(ca.name) or self.start_responder(ca)
            responder.settings.behaviour = ResponderBehaviour.CORRECT
            responder.settings.rogue_signer = None
            self.pki.publish_crl(ca)

    def close(self) -> None:
        """Stop every responder and the CRL server."""
        for name in list(self._responders):
            self._responders.pop(name).close()
        if self._tsa is not None:
            self._tsa.close()
            self._tsa = None
        self._crl_server.shutdown()
        self._crl_server.server_close()
        self._crl_thread.join(timeout=5)

    def __enter__(self) -> PkiServices:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@contextlib.contextmanager
def serve_pki(pki: TestPki) -> Iterator[PkiServices]:
    """Run ``pki``'s OCSP responders and CRL server for the duration of a ``with`` block."""
    with PkiServices(pki) as services:
        yield services
