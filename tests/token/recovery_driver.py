"""A token-layer process a recovery test drives over its stdin and stdout, one JSON line each.

Run in a process of its own, so the module it loads (SoftHSM2 behind the fault
shim) and its re-initialisations touch no other test's tokens. Commands:
``{"op": "login", "serial": ..., "pin": ...}``, ``{"op": "sign", "serial": ...}``
(ECDSA with SHA-256 on the card's signing key, the DER signature in hex),
``{"op": "tokens"}`` (serial and slot of every token listed) and
``{"op": "recoveries"}``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.errors import XcapkiError
from xcapki.token import TokenSelector, TokenSession, TokenSigner, load_module, login


def main() -> None:
    module = load_module(sys.argv[1])
    sessions: dict[str, tuple[TokenSession, TokenSigner]] = {}

    def run(command: dict[str, Any]) -> dict[str, Any]:
        op = command["op"]
        if op == "login":
            session = login(module, TokenSelector(serial=command["serial"]), pin=command["pin"])
            sessions[command["serial"]] = (session, session.signer())
            return {}
        if op == "sign":
            signer = sessions[command["serial"]][1]
            signature = signer.sign(
                b"payload", hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.ECDSA
            )
            return {"signature": signature.hex()}
        if op == "tokens":
            return {"tokens": {t.serial: t.slot_id for t in module.tokens() if t.initialized}}
        return {"recoveries": module.link.recoveries}

    for line in sys.stdin:
        try:
            reply = {"ok": True, **run(json.loads(line))}
        except XcapkiError as error:
            reply = {"ok": False, "error": type(error).__name__, "ckr": getattr(error, "ckr", None)}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
