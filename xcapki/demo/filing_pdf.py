"""申報書簽章: the CPA filing as a PDF, signed by the user's card through the local service.

The portal lays out a PAdES signature on the filing (``prepare_pdf_signature``)
for the certificate the user logged in with, and the filing page has the card
sign the prepared bytes through the local signing service (a HiPKI
``MakeSignature`` with ``signatureType`` PKCS1, static/filing_pdf.js). The
portal then embeds the signature, verifies the signed PDF as any recipient
would (``verify_pdf``) and offers it for download. The card never sees the PDF,
only the CMS signed attributes that cover its digest.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any, Final

from anyio import to_thread
from starlette.responses import JSONResponse, Response

from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.errors import XcapkiError
from xcapki.login import VerifiedLogin
from xcapki.testing.pdf_documents import pdf_bytes

__all__ = ["FilingPdfs", "filing_document"]

_CAPACITY: Final = 1_000
_MAX_ANSWER: Final = 16 * 1024
FILING_FILE_NAME: Final = "cpa-filing-signed.pdf"


def filing_document(login: VerifiedLogin, moment: datetime) -> bytes:
    """The filing to sign: a two-page PDF naming the firm's 統一編號 and the date."""
    number = login.identity.unified_business_number or "-"
    return pdf_bytes(pages=2, text=f"CPA audit filing, UBN {number}, {moment:%Y-%m-%d}")


class FilingPdfs:
    """Each session's prepared signature and signed filing, in memory, bounded."""

    def __init__(self, *, trust_store: TrustStore, revocation_mode: RevocationMode) -> None:
        self._trust_store = trust_store
        self._revocation_mode = revocation_mode
        self._pending: OrderedDict[str, Any] = OrderedDict()
        self._signed: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def _keep(self, table: OrderedDict[str, Any], key: str, value: Any) -> None:
        with self._lock:
            table[key] = value
            table.move_to_end(key)
            while len(table) > _CAPACITY:
                table.popitem(last=False)

    def _take(self, table: OrderedDict[str, Any], key: str) -> Any:
        with self._lock:
            return table.pop(key, None)

    async def prepare(self, session_id: str, login: VerifiedLogin, moment: datetime) -> Response:
        """Lay out the signature; answer the bytes the card must sign (base64)."""
        from xcapki.pdf import prepare_pdf_signature

        document = filing_document(login, moment)
        prepared = await to_thread.run_sync(
            lambda: prepare_pdf_signature(
                document,
                login.certificate.certificate,
                chain=login.chain[1:],
                reason="會計師查核簽證申報",
                location="全國商工行政服務入口網",
            )
        )
        self._keep(self._pending, session_id, prepared)
        return JSONResponse(
            {
                "tbs": base64.b64encode(prepared.to_be_signed).decode("ascii"),
                "hashAlgorithm": prepared.hash_algorithm.value,
            }
        )

    async def finish(self, session_id: str, body: bytes) -> Response:
        """Embed the card's signature, verify the signed PDF, keep it for download."""
        from xcapki.pdf import verify_pdf

        prepared = self._take(self._pending, session_id)
        if prepared is None:
            return JSONResponse({"message": "請重新按「以憑證簽署申報書」。"}, status_code=409)
        try:
            answer = json.loads(body)
            signature = base64.b64decode(str(answer["signature"]), validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            return JSONResponse({"message": "簽章資料格式錯誤，請再試一次。"}, status_code=400)
        try:
            signed = await to_thread.run_sync(prepared.finish, signature)
        except XcapkiError:
            return JSONResponse(
                {"message": "簽章與登入的憑證不符，請使用登入時的卡片再試一次。"}, status_code=422
            )
        result = await to_thread.run_sync(
            lambda: verify_pdf(
                signed, trust_store=self._trust_store, revocation_mode=self._revocation_mode
            )
        )
        self._keep(self._signed, session_id, signed)
        check = result.signatures[0]
        return JSONResponse(
            {
                "download": "/apps/cpa-filing/pdf/signed",
                "valid": result.valid,
                "organisation": check.signer.organisation_name,
                "unified_business_number": check.signer.unified_business_number,
                "level": None if check.level is None else check.level.value,
            }
        )

    def download(self, session_id: str) -> Response:
        """The session's signed filing, as an attachment."""
        with self._lock:
            signed = self._signed.get(session_id)
        if signed is None:
            return Response("尚未簽署申報書。", status_code=404, media_type="text/plain")
        return Response(
            signed,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{FILING_FILE_NAME}"'},
        )
