"""Sign through the local signing service exactly as a HiPKI page does, over HTTP.

With a real card: set XCAPKI_PKCS11_MODULE (or leave discovery to find HiCOS)
and XCAPKI_PIN. Without one, a throwaway SoftHSM2 card from xcapki's test PKI
is made first, so the example runs anywhere SoftHSM2 and OpenSC are installed.
The service runs in this process on a free loopback port; the trust list is a
temporary file that already trusts the demo page's origin.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import uvicorn

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import verify_cms
from xcapki.service import ServiceConfig, ServiceLimits, uvicorn_config
from xcapki.testing import CardSpec, TestPki, provision_softhsm_card, softhsm_config
from xcapki.token import MODULE_ENVIRONMENT_VARIABLE

PAGE = "https://portal.example.gov.tw"


def demo_card(directory: Path) -> None:
    """A virtual XCA card; sets the variables a real card's user would set."""
    conf = softhsm_config(directory / "softhsm")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    spec = CardSpec(authority=Authority.XCA, organisation_name="範例會計師事務所",
                    unified_business_number="12345678")  # fmt: skip
    card = provision_softhsm_card(TestPki.create(directory / "pki"), spec, softhsm_conf=conf)
    os.environ[MODULE_ENVIRONMENT_VARIABLE] = str(card.module_path)
    os.environ["XCAPKI_PIN"] = card.pin


def probe_image(bmp: bytes) -> dict[str, object]:
    """Read /p11Image.bmp as HiPKI pages do: row 0, B, G, R per pixel, until a blue of 0."""
    offset, width = int.from_bytes(bmp[10:14], "little"), int.from_bytes(bmp[18:22], "little")
    row = bmp[offset : offset + 3 * width]  # one row, its bytes B, G, R, B, G, R, ...
    text = row.split(b"\0", 1)[0]  # the text holds no NUL: the first 0 is the stop pixel
    return dict(json.loads(text.decode("ascii")))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="service-example-") as directory:
        if MODULE_ENVIRONMENT_VARIABLE not in os.environ:
            demo_card(Path(directory))
        trust = Path(directory) / "trusted-origins.json"
        trust.write_text(json.dumps({"origins": [PAGE]}))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        module = os.environ.get(MODULE_ENVIRONMENT_VARIABLE)
        config = ServiceConfig(
            port=port,
            module_path=Path(module) if module else None,
            trust_list_path=trust,
            limits=ServiceLimits(max_requests_per_client=8),  # the rest wait their turn
        )
        # The same server set-up as `xcapki serve`: timeouts and the connection cap included.
        server = uvicorn.Server(uvicorn_config(config, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            base = f"http://localhost:{port}"
            print(httpx.get(f"{base}/").text.strip())
            probe = probe_image(httpx.get(f"{base}/p11Image.bmp", headers={"Origin": PAGE}).content)
            print(
                "probe image: ret_code", probe["ret_code"], "serverVersion", probe["serverVersion"]
            )
            slots = httpx.get(f"{base}/pkcs11info", headers={"Origin": PAGE}).json()["slots"]
            card = next(slot for slot in slots if slot["token"] is not None)  # null: no card
            reader = card["slotDescription"]
            print("card", card["token"]["serialNumber"], "in", reader)
            package = {
                "func": "MakeSignature", "signatureType": "PKCS7", "tbs": quote("登入挑戰 42"),
                "hashAlgorithm": "SHA256", "withCardSN": "true", "nonce": "portal-nonce",
                "pin": quote(os.environ["XCAPKI_PIN"]), "slotDescription": reader,
            }  # fmt: skip
            answer = httpx.post(
                f"{base}/sign",
                data={"tbsPackage": json.dumps(package)},
                headers={"Origin": PAGE},
                timeout=60,
            ).json()
            print("ret_code", hex(answer["ret_code"]), "cardSN", answer.get("cardSN"))
            signed = verify_cms(base64.b64decode(answer["signature"]))
            print(
                "signed content:", signed.content.decode(), "by", signed.signer_certificate.subject
            )
            digest = hashlib.sha256(b"a document the page hashed").digest()
            raw = dict(package, signatureType="RAW", tbs=base64.b64encode(digest).decode(),
                       tbsEncoding="base64")  # fmt: skip
            answer = httpx.post(
                f"{base}/sign", data={"tbsPackage": json.dumps(raw)}, headers={"Origin": PAGE}
            ).json()
            print("RAW signature of a page-supplied SHA-256:", answer["ret_code"] == 0)
        finally:
            server.should_exit = True
            thread.join()


if __name__ == "__main__":
    main()
