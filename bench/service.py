"""/sign on the local signing service against raw token signatures, on a SoftHSM2 virtual card.

The service runs under uvicorn in its own process (as ``xcapki serve`` does);
this process is the page. Raw signatures go through xcapki's ``TokenSigner``
on the same card in this process. Latency is measured one request at a time
(p50/p95); throughput with several clients at once, since the service
serialises one card's signatures and overlaps the HTTP work around them.
Both PKCS1 (bare signature) and PKCS7 (HiPKI CMS) are measured; the headline
figures are PKCS1, whose work on the card equals the raw signature's. The
last line is JSON.

    .venv/bin/python bench/service.py [--requests 400] [--seconds 3] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx

from xcapki.crypto.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.authority import Authority
from xcapki.testing import CardSpec, TestPki, VirtualCard, provision_softhsm_card, softhsm_config
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _raw(card: VirtualCard, count: int, seconds: float) -> tuple[float, float, float]:
    """p50 ms, p95 ms and signatures per second through TokenSigner."""
    module = load_module(card.module_path)
    with login(module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()

        def sign() -> object:
            return signer.sign(
                DATA.encode(),
                hash_algorithm=HashAlgorithm.SHA256,
                scheme=SignatureScheme.RSA_PKCS1V15,
            )

        for _ in range(20):
            sign()
        latencies = []
        for _ in range(count):
            start = time.perf_counter()
            sign()
            latencies.append((time.perf_counter() - start) * 1000)
        done = 0
        deadline = time.perf_counter() + seconds
        began = time.perf_counter()
        while time.perf_counter() < deadline:
            sign()
            done += 1
        rate = done / (time.perf_counter() - began)
    return statistics.median(latencies), _percentile(latencies, 0.95), rate


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


def _service(
    port: int, form: dict[str, str], count: int, seconds: float, clients: int
) -> tuple[float, float, float]:
    """p50 ms and p95 ms one request at a time, and requests per second with ``clients``."""
    page = _Page(port, form)
    for _ in range(20):
        assert json.loads(page.sign())["ret_code"] == 0
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        answer = page.sign()
        latencies.append((time.perf_counter() - start) * 1000)
        assert b'"ret_code":0,' in answer
    page.close()
    done = [0] * clients
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        page = _Page(port, form)
        while time.perf_counter() < deadline:
            page.sign()
            done[index] += 1
        page.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = sum(done) / (time.perf_counter() - began)
    return statistics.median(latencies), _percentile(latencies, 0.95), rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="sequential requests")
    parser.add_argument("--seconds", type=float, default=3.0, help="throughput run length")
    parser.add_argument("--clients", type=int, default=4, help="concurrent throughput clients")
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
        port = _free_port()
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
            raw_p50, raw_p95, raw_rate = _raw(card, arguments.requests, arguments.seconds)
            print(
                f"raw TokenSigner : p50 {raw_p50:6.2f} ms  p95 {raw_p95:6.2f} ms  {raw_rate:7.1f}/s"
            )
            figures = {}
            for kind in ("PKCS1", "PKCS7"):
                form = _form(card, reader, kind)
                p50, p95, rate = _service(
                    port, form, arguments.requests, arguments.seconds, arguments.clients
                )
                figures[kind] = (p50, p95, rate)
                print(
                    f"/sign {kind}     : p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  {rate:7.1f}/s"
                    f"  (overhead p50 {p50 - raw_p50:+.2f} ms, throughput ratio"
                    f" {rate / raw_rate:.3f})"
                )
        finally:
            server.terminate()
            server.wait(timeout=10)

    p50, p95, rate = figures["PKCS1"]
    print(
        json.dumps(
            {
                "raw_per_s": round(raw_rate, 1),
                "raw_p50_ms": round(raw_p50, 3),
                "sign_per_s": round(rate, 1),
                "p50_ms": round(p50, 3),
                "p95_ms": round(p95, 3),
                "p50_overhead_ms": round(p50 - raw_p50, 3),
                "ratio": round(rate / raw_rate, 3),
                "pkcs7_per_s": round(figures["PKCS7"][2], 1),
                "pkcs7_p50_overhead_ms": round(figures["PKCS7"][0] - raw_p50, 3),
                "pkcs7_ratio": round(figures["PKCS7"][2] / raw_rate, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
