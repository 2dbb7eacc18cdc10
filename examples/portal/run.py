"""Run the example portal (xcapki.demo.portal) in the foreground, as a portal operator would.

    python examples/portal/run.py                      # trust the real GRCA roots, port 61180
    python examples/portal/run.py --trust-root ROOT.pem --revocation hard

The login page finds the local signing service at --service-url (HiPKI's
http://localhost:61161 by default): run ``xcapki serve`` next to the browser
and trust this portal's origin there (see README.md). ``xcapki demo`` starts
all of it, with a virtual card, in one command.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.demo import DEFAULT_SERVICE_URL, PortalConfig, create_portal_app

REVOCATION = {
    "off": RevocationMode.OFF,
    "soft": RevocationMode.SOFT_FAIL,
    "hard": RevocationMode.HARD_FAIL,
    "require": RevocationMode.REQUIRE,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=61180)
    parser.add_argument("--service-url", default=DEFAULT_SERVICE_URL)
    parser.add_argument(
        "--trust-root",
        action="append",
        default=[],
        metavar="PEM",
        help="trust this root instead of the bundled GRCA roots (repeatable)",
    )
    parser.add_argument("--revocation", choices=tuple(REVOCATION), default="hard")
    args = parser.parse_args()

    # 1. Whom the portal trusts: the GRCA roots, or a test PKI's root for a virtual card.
    trust_store = (
        TrustStore.from_pem_files(roots=[Path(p) for p in args.trust_root])
        if args.trust_root
        else TrustStore.bundled()
    )
    # 2. The portal's own origin: the login message is derived from it, so it must be
    #    exactly the address users open in their browser.
    origin = f"http://localhost:{args.port}"
    app = create_portal_app(
        PortalConfig(
            origin=origin,
            trust_store=trust_store,
            service_url=args.service_url,
            revocation_mode=REVOCATION[args.revocation],
        )
    )
    print(f"portal: {origin}/login  (local signing service expected at {args.service_url})")
    # 3. Loopback only: this is an example, not a hardened deployment.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
