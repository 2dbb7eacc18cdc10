"""PAdES B-B signing of a 1 MB and a 50 MB PDF: xcapki's sign_pdf vs pyHanko's PKCS#11 signer.

Both sides sign with the same key of a virtual HiCOS card (SoftHSM2, made by
xcapki.testing) with the same pyHanko settings (SHA-256, PAdES subfilter,
field Signature1, the issuing CA embedded), writing a new file each time. Each
side runs in a process of its own
(python-pkcs11 initialises a module once per process), the two alternating
round by round; in each round a side signs once to warm up, then ``--repeat``
times, and its fastest signature over all rounds counts, in wall-clock time
and, separately, in CPU time of the signing process (which other jobs on a
loaded machine barely change, so it tells their delays from a real cost).
Peak memory is what tracemalloc sees allocated during one more signature,
compared with the file's size. The last line is JSON.

    .venv/bin/python bench/pdf.py [--rounds 3] [--repeat 3] [--sizes 1,50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.pkcs11 import PKCS11Signer, TokenCriteria, open_pkcs11_session
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner

from xcapki.crypto.authority import Authority
from xcapki.crypto.profile import load_certificate
from xcapki.pdf import sign_pdf
from xcapki.testing import CardSpec, TestPki, VirtualCard, provision_softhsm_card, softhsm_config
from xcapki.testing.pdf_documents import write_pdf
from xcapki.token import KeyPurpose, TokenSelector, load_module, login

MEGABYTE = 1 << 20


def _card(directory: Path) -> VirtualCard:
    """An RSA-2048 XCA virtual card, made before SoftHSM2 is loaded."""
    conf = softhsm_config(directory / "softhsm")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pki = TestPki.create(directory / "pki")
    spec = CardSpec(
        authority=Authority.XCA, organisation_name="效能測試", unified_business_number="12345678"
    )
    return provision_softhsm_card(pki, spec, softhsm_conf=conf)


def _pyhanko_sign(signer: PKCS11Signer, source: Path, output: Path) -> None:
    meta = PdfSignatureMetadata(
        field_name="Signature1", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES
    )
    with source.open("rb") as handle, output.open("wb") as out:
        writer = IncrementalPdfFileWriter(handle)
        asyncio.run(PdfSigner(meta, signer=signer).async_sign_pdf(writer, output=out))


def _worker(arguments: argparse.Namespace) -> None:
    """One side, in a process of its own (python-pkcs11 loads a module once per process)."""
    card = json.loads(arguments.card)
    source, output = Path(arguments.source), Path(arguments.output)
    module_path, serial, pin = card["module"], card["serial"], card["pin"]
    if arguments.side == "xcapki":
        chain = [load_certificate(Path(card["issuer"]).read_bytes())]
        session = login(load_module(Path(module_path)), TokenSelector(serial=serial), pin=pin)
        signer = session.signer(KeyPurpose.SIGNING)

        def sign() -> None:
            sign_pdf(source, output, signer, chain=chain)

        close = session.close
    else:
        pyhanko_session = open_pkcs11_session(
            module_path, token_criteria=TokenCriteria(serial=serial.encode()), user_pin=pin
        )
        issuer = asn1_x509.Certificate.load(
            load_certificate(Path(card["issuer"]).read_bytes()).public_bytes(
                serialization.Encoding.DER
            )
        )
        reference = PKCS11Signer(
            pyhanko_session,
            key_id=b"SIGN",
            cert_id=b"SIGN",
            ca_chain=[issuer],
            other_certs_to_pull=(),
        )

        def sign() -> None:
            _pyhanko_sign(reference, source, output)

        close = pyhanko_session.close
    try:
        sign()
        best = best_cpu = float("inf")
        for _ in range(arguments.repeat):
            output.unlink()
            start, start_cpu = time.perf_counter(), time.process_time()
            sign()
            best = min(best, time.perf_counter() - start)
            best_cpu = min(best_cpu, time.process_time() - start_cpu)
        output.unlink()
        tracemalloc.start()
        sign()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        close()
    print(json.dumps({"seconds": best, "cpu_seconds": best_cpu, "peak": peak}))


def _run_side(side: str, card: dict[str, str], source: Path, repeat: int) -> dict[str, float]:
    output = source.with_name(f"{source.stem}-{side}.pdf")
    completed = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            side,
            "--card",
            json.dumps(card),
            "--source",
            str(source),
            "--output",
            str(output),
            "--repeat",
            str(repeat),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(completed.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="timed signatures per round")
    parser.add_argument("--sizes", default="1,50", help="document sizes in MB, comma-separated")
    parser.add_argument("--worker", choices=("xcapki", "pyhanko"), help=argparse.SUPPRESS)
    parser.add_argument("--card", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        arguments.side = arguments.worker
        _worker(arguments)
        return
    sizes = [int(size) for size in arguments.sizes.split(",")]

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="pdf-bench-") as name:
        directory = Path(name)
        virtual = _card(directory)
        card = {
            "module": str(virtual.module_path),
            "serial": virtual.serial,
            "pin": virtual.pin,
            "issuer": str(directory / "issuer.pem"),
        }
        (directory / "issuer.pem").write_bytes(
            virtual.card.issuer.public_bytes(serialization.Encoding.PEM)
        )
        for size in sizes:
            source = write_pdf(directory / f"{size}mb.pdf", size=size * MEGABYTE)
            best = {"xcapki": float("inf"), "pyhanko": float("inf")}
            cpu = {"xcapki": float("inf"), "pyhanko": float("inf")}
            peaks = {"xcapki": 0.0, "pyhanko": 0.0}
            for _ in range(arguments.rounds):
                for side in ("xcapki", "pyhanko"):
                    run = _run_side(side, card, source, arguments.repeat)
                    best[side] = min(best[side], run["seconds"])
                    cpu[side] = min(cpu[side], run["cpu_seconds"])
                    peaks[side] = max(peaks[side], run["peak"])
            file_size = source.stat().st_size
            ratio = best["xcapki"] / best["pyhanko"]
            cpu_ratio = cpu["xcapki"] / cpu["pyhanko"]
            results[f"{size}MB"] = {
                "xcapki_s": round(best["xcapki"], 4),
                "pyhanko_s": round(best["pyhanko"], 4),
                "time_ratio": round(ratio, 3),
                "xcapki_cpu_s": round(cpu["xcapki"], 4),
                "pyhanko_cpu_s": round(cpu["pyhanko"], 4),
                "cpu_ratio": round(cpu_ratio, 3),
                "xcapki_peak_mb": round(peaks["xcapki"] / MEGABYTE, 2),
                "pyhanko_peak_mb": round(peaks["pyhanko"] / MEGABYTE, 2),
                "peak_over_file_size": round(peaks["xcapki"] / file_size, 3),
            }
            print(
                f"{size:>3} MB: xcapki {best['xcapki'] * 1000:8.1f} ms, pyHanko "
                f"{best['pyhanko'] * 1000:8.1f} ms (ratio {ratio:.3f}); CPU "
                f"{cpu['xcapki'] * 1000:.1f} vs {cpu['pyhanko'] * 1000:.1f} ms "
                f"(ratio {cpu_ratio:.3f}); peak "
                f"{peaks['xcapki'] / MEGABYTE:.1f} MB vs {peaks['pyhanko'] / MEGABYTE:.1f} MB"
            )
    print(json.dumps({"bench": "pdf", "load_average": os.getloadavg(), "results": results}))


if __name__ == "__main__":
    main()
