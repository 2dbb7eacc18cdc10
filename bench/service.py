"""/sign on the local signing service against raw token signatures, on a SoftHSM2 virtual card.

The service runs under uvicorn in its own process (as ``xcapki serve`` does);
this process is the page. Raw signatures go through xcapki's ``TokenSigner``
on the same card in this process, one thread signing back to back (the card's
own rate). Latency is measured one request at a time (p50/p95); throughput
with ``--clients`` keep-alive clients at once (a page that signs several
documents, or several tabs), since the service serialises one card's
signatures and overlaps the HTTP work around them. The contenders take turns
in ``--rounds`` rounds, so load from other jobs on a shared machine falls on
both alike; the ratio is the median of the rounds' ratios. Both PKCS1 (bare
signature) and PKCS7 (HiPKI CMS) are measured; the headline figures are
PKCS1, whose work on the card equals the raw signature's. The last line is
JSON.

    .venv/bin/python bench/service.py [--requests 400] [--seconds 2] [--rounds 3] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.authority import Authority
from xcapki.testing import CardSpec, TestPki, VirtualCard, provision_softhsm_card, softhsm_config
from xcapki.testing.ports import unused_port
from xcapki.token import TokenSelector, load_module, login

ORIGIN = "https://bench.example.gov.tw"
DATA = "x" * 256

_SERVER = """
import sys
from pathlib import Path
from xcapki.service import ServiceConfig, run_service
run_service(ServiceConfig(port=int(sys.argv[1]), module_path=Path(sys.argv[2]),
                          trust_list_path=Path(sys.argv[3])))
"""


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class _Raw:
    """Back-to-back signatures through xcapki's TokenSigner: the card's own rate."""

    def __init__(self, card: VirtualCard) -> None:
        module = load_module(card.module_path)
        self._session = login(module, TokenSelector(serial=card.serial), pin=card.pin)
        self._signer = self._session.signer()
        for _ in range(20):
            self.sign()

    def sign(self) -> object:
        return self._signer.sign(
            DATA.encode(), hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.RSA_PKCS1V15
        )

    def latencies(self, count: int) -> list[float]:
        return _timed(self.sign, count)

    def rate(self, seconds: float) -> float:
        done = 0
        began = time.perf_counter()
        deadline = began + seconds
        while time.perf_counter() < deadline:
            self.sign()
            done += 1
        return done / (time.perf_counter() - began)

    def close(self) -> None:
        self._session.close()


def _timed(action: Callable[[], object], count: int) -> list[float]:
    """Milliseconds per call of ``action``, one call at a time."""
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        action()
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def _form(card: VirtualCard, reader: str, kind: str) -> dict[str, str]:
    package = {
        "func": "MakeSignature",
        "signatureType": kind,
        "tbs": quote(DATA),
        "hashAlgorithm": "SHA256",
        "pin": quote(card.pin),
        "slotDescription": reader,
    }
    return {"tbsPackage": json.dumps(package)}


class _Page:
    """A keep-alive HTTP/1.1 client as light as a browser's, so its own cost stays small."""

    def __init__(self, port: int, form: dict[str, str]) -> None:
        self._connection = http.client.HTTPConnection("localhost", port, timeout=30)
        self._body = urlencode(form).encode()
        self._headers = {
            "Origin": ORIGIN,
            "Content-Type": "application/x-www-form-urlencoded",
        }

    def sign(self) -> bytes:
        self._connection.request("POST", "/sign", self._body, self._headers)
        return self._connection.getresponse().read()

    def close(self) -> None:
        self._connection.close()


def _answered(page: _Page) -> bytes:
    answer = page.sign()
    if b'"ret_code":0,' not in answer:
        raise SystemExit(f"the service refused: {answer[:300]!r}")
    return answer


def _service_rate(port: int, form: dict[str, str], seconds: float, clients: int) -> float:
    """/sign requests per second with ``clients`` keep-alive clients signing back to back."""
    pages = [_Page(port, form) for _ in range(clients)]
    for page in pages:
        _answered(page)
    done = [0] * clients
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        while time.perf_counter() < deadline:
            _answered(pages[index])
            done[index] += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = sum(done) / (time.perf_counter() - began)
    for page in pages:
        page.close()
    return rate


@dataclass
class _Figures:
    """One contender's samples over all rounds."""

    latencies: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        return _percentile(self.latencies, 0.95)

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


def _measure(
    raw: _Raw, port: int, forms: dict[str, dict[str, str]], arguments: argparse.Namespace
) -> dict[str, _Figures]:
    """Latency and throughput of raw and of each form, taking turns round by round."""
    figures = {name: _Figures() for name in ("raw", *forms)}
    share = max(arguments.requests // arguments.rounds, 1)
    for _ in range(arguments.rounds):
        figures["raw"].latencies += raw.latencies(share)
        for kind, form in forms.items():
            page = _Page(port, form)  # uvicorn closes idle keep-alive connections after 5 s
            for _ in range(20):
                _answered(page)
            figures[kind].latencies += _timed(lambda page=page: _answered(page), share)
            page.close()
        figures["raw"].rates.append(raw.rate(arguments.seconds))
        for kind, form in forms.items():
            figures[kind].rates.append(
                _service_rate(port, form, arguments.seconds, arguments.clients)
            )
    return figures


def _ratio(figures: dict[str, _Figures], kind: str) -> float:
    """The median over rounds of the service's rate over raw's in the same round."""
    pairs = zip(figures[kind].rates, figures["raw"].rates, strict=True)
    return statistics.median(service / raw for service, raw in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="sequential requests")
    parser.add_argument("--seconds", type=float, default=2.0, help="each throughput run")
    parser.add_argument("--rounds", type=int, default=3, help="turns of every contender")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="service-bench-") as directory:
        root = Path(directory)
        conf = softhsm_config(root / "softhsm")
        os.environ["SOFTHSM2_CONF"] = str(conf)
        pki = TestPki.create(root / "pki")
        card = provision_softhsm_card(
            pki,
            CardSpec(
                authority=Authority.XCA,
                organisation_name="效能測試事務所",
                unified_business_number="12345678",
            ),
            softhsm_conf=conf,
        )
        trust = root / "trusted-origins.json"
        trust.write_text(json.dumps({"origins": [ORIGIN]}))
        port = unused_port()
        server = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(port), str(card.module_path), str(trust)],
            env={**os.environ},
        )
        base_url = f"http://localhost:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    httpx.get(f"{base_url}/", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the service did not start") from None
                    time.sleep(0.1)
            reader = (
                load_module(card.module_path)
                .select_token(TokenSelector(serial=card.serial))
                .reader_name
            )
            forms = {kind: _form(card, reader, kind) for kind in ("PKCS1", "PKCS7")}
            raw = _Raw(card)
            try:
                figures = _measure(raw, port, forms, arguments)
            finally:
                raw.close()
        finally:
            server.terminate()
            server.wait(timeout=10)

    base = figures["raw"]
    print(
        f"RSA-2048 SHA-256, {len(DATA)} bytes; {arguments.rounds} rounds; latency one request at"
        f" a time, throughput with {arguments.clients} keep-alive clients"
    )
    print(f"raw TokenSigner : p50 {base.p50:6.2f} ms  p95 {base.p95:6.2f} ms  {base.rate:7.1f}/s")
    for kind in forms:
        found = figures[kind]
        print(
            f"/sign {kind}     : p50 {found.p50:6.2f} ms  p95 {found.p95:6.2f} ms"
            f"  {found.rate:7.1f}/s  (overhead p50 {found.p50 - base.p50:+.2f} ms, throughput"
            f" ratio {_ratio(figures, kind):.3f})"
        )
    pkcs1, pkcs7 = figures["PKCS1"], figures["PKCS7"]
    print(
        json.dumps(
            {
                "clients": arguments.clients,
                "raw_per_s": round(base.rate, 1),
                "raw_p50_ms": round(base.p50, 3),
                "sign_per_s": round(pkcs1.rate, 1),
                "p50_ms": round(pkcs1.p50, 3),
                "p95_ms": round(pkcs1.p95, 3),
                "p50_overhead_ms": round(pkcs1.p50 - base.p50, 3),
                "ratio": round(_ratio(figures, "PKCS1"), 3),
                "pkcs7_per_s": round(pkcs7.rate, 1),
                "pkcs7_p50_overhead_ms": round(pkcs7.p50 - base.p50, 3),
                "pkcs7_ratio": round(_ratio(figures, "PKCS7"), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
