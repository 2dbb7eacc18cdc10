"""Signing and verifying a large file: xcapki's CLI beside ``openssl cms`` and ``sha256sum``.

One file (1 GiB of random bytes by default) is signed and verified, attached
and detached, by ``xcapki`` on a virtual HiCOS card (SoftHSM2, made by
xcapki.testing) and by ``openssl cms`` with the same card's key file;
``sha256sum`` reads the same file as the floor (it only hashes). Each run is
a fresh process: the figures are its wall time as throughput (MiB/s) and
its peak resident memory (MiB, from GNU time); one read before the runs
puts the file in the page cache for all of them. OpenSSL signs attached with
``-stream`` (its streaming BER form, like xcapki's). The last line is JSON.

    .venv/bin/python bench/large_files.py [--size-mib 1024] [--directory /var/tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xcapki.crypto.authority import Authority
from xcapki.testing import CardSpec, TestPki, VirtualCard, provision_softhsm_card, softhsm_config

PIN_VARIABLE = "XCAPKI_BENCH_PIN"
GNU_TIME = "/usr/bin/time"
MIB = 1024 * 1024


def _card(directory: Path) -> tuple[TestPki, VirtualCard]:
    conf = softhsm_config(directory / "softhsm")
    pki = TestPki.create(directory / "pki")
    spec = CardSpec(authority=Authority.XCA, organisation_name="大檔案效能測試")
    return pki, provision_softhsm_card(pki, spec, softhsm_conf=conf)


def _write_content(path: Path, size: int) -> None:
    block = os.urandom(MIB)
    with path.open("wb") as handle:
        for index in range(size // MIB):
            handle.write(block[index % 7 :] + block[: index % 7])
        handle.write(block[: size % MIB])


def _measure(command: list[str], env: dict[str, str], report: Path) -> tuple[float, float]:
    """(seconds, peak resident MiB) of one run of ``command``, which must succeed.

    GNU time reports the peak: wait4 from this process would count this
    process's own memory, which a child inherits as its starting peak.
    """
    start = time.perf_counter()
    done = subprocess.run(
        [GNU_TIME, "-f", "%M", "-o", str(report), *command],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode(errors='replace')}")
    return seconds, int(report.read_text().split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size (default 1024)")
    parser.add_argument("--directory", type=Path, default=None, help="where the files go")
    arguments = parser.parse_args()
    openssl = shutil.which("openssl")
    sha256sum = shutil.which("sha256sum")
    if openssl is None or sha256sum is None or not Path(GNU_TIME).exists():
        raise SystemExit("needs openssl, sha256sum and GNU time (Debian: openssl, coreutils, time)")
    size = arguments.size_mib * MIB
    with tempfile.TemporaryDirectory(prefix="large-files-", dir=arguments.directory) as name:
        directory = Path(name)
        pki, card = _card(directory)
        content = directory / "content.bin"
        _write_content(content, size)
        _measure([sha256sum, str(content)], os.environ.copy(), directory / "peak.txt")
        env = {**os.environ, **card.environment, PIN_VARIABLE: card.pin, "LANG": "C.UTF-8"}
        xcapki = [sys.executable, "-m", "xcapki"]
        card_options = ["--module", str(card.module_path), "--token", card.serial]
        card_options += ["--pin-env", PIN_VARIABLE, "--quiet"]
        trust = ["--trust-root", str(pki.root_certificate_path), "--revocation", "off"]
        key = card.card.signing
        signer = ["-signer", str(key.certificate_path), "-inkey", str(key.private_key_path)]
        ossl_verify = [openssl, "cms", "-verify", "-binary", "-inform", "DER"]
        ossl_verify += ["-CAfile", str(pki.root_certificate_path), "-purpose", "any"]
        runs: dict[str, list[str]] = {
            "sha256sum": [sha256sum, str(content)],
            "xcapki_sign_detached": [
                *xcapki, "sign", str(content), "-o", str(directory / "x.det.p7s"), "--detached",
                *card_options,
            ],
            "openssl_sign_detached": [
                openssl, "cms", "-sign", "-binary", "-in", str(content), "-outform", "DER",
                "-out", str(directory / "o.det.p7s"), *signer,
            ],
            "xcapki_sign_attached": [
                *xcapki, "sign", str(content), "-o", str(directory / "x.att.p7s"), *card_options,
            ],
            "openssl_sign_attached": [
                openssl, "cms", "-sign", "-binary", "-stream", "-nodetach", "-in", str(content),
                "-outform", "DER", "-out", str(directory / "o.att.p7s"), *signer,
            ],
            "xcapki_verify_detached": [
                *xcapki, "verify", str(directory / "x.det.p7s"), "--content", str(content),
                *trust, "--quiet",
            ],
            "openssl_verify_detached": [
                *ossl_verify, "-in", str(directory / "x.det.p7s"), "-content", str(content),
                "-out", os.devnull,
            ],
            "xcapki_verify_attached": [
                *xcapki, "verify", str(directory / "x.att.p7s"), *trust, "--quiet",
            ],
            "openssl_verify_attached": [
                *ossl_verify, "-in", str(directory / "x.att.p7s"), "-out", os.devnull,
            ],
        }  # fmt: skip
        figures: dict[str, dict[str, float]] = {}
        print(f"file: {arguments.size_mib} MiB of random bytes")
        print(f"{'run':<26} {'seconds':>8} {'MiB/s':>8} {'peak MiB':>9}")
        for label, command in runs.items():
            seconds, peak = _measure(command, env, directory / "peak.txt")
            rate = size / MIB / seconds
            figures[label] = {
                "seconds": round(seconds, 2),
                "mib_per_s": round(rate, 1),
                "peak_mib": round(peak, 1),
            }
            print(f"{label:<26} {seconds:>8.2f} {rate:>8.1f} {peak:>9.1f}")
    print(json.dumps({"bench": "large_files", "size_mib": arguments.size_mib, **figures}))


if __name__ == "__main__":
    main()
