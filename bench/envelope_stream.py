"""Encrypting and decrypting a large file: xcapki's CLI beside ``openssl cms``.

One file (1 GiB of random bytes by default) is encrypted by ``xcapki encrypt``
and by ``openssl cms -encrypt -stream`` to a virtual card's encryption (KEYX)
certificate, with AES-256-GCM and AES-256-CBC, and each envelope is decrypted
by ``xcapki decrypt`` on the card (SoftHSM2, made by xcapki.testing) and by
``openssl cms -decrypt`` with the same card's key file. Each run is a fresh
process: the figures are its wall time as throughput (MiB/s of content) and
its peak resident memory (MiB, from GNU time), measured as
``bench/large_files.py`` measures them. The last line is JSON.

    .venv/bin/python bench/envelope_stream.py [--size-mib 1024] [--directory /var/tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from large_files import GNU_TIME, MIB, PIN_VARIABLE, _card, _measure, _write_content

CIPHERS = ("aes-256-gcm", "aes-256-cbc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size (default 1024)")
    parser.add_argument("--directory", type=Path, default=None, help="where the files go")
    arguments = parser.parse_args()
    openssl = shutil.which("openssl")
    if openssl is None or not Path(GNU_TIME).exists():
        raise SystemExit("needs openssl and GNU time (Debian: openssl, time)")
    size = arguments.size_mib * MIB
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="envelope-stream-", dir=arguments.directory) as name:
        directory = Path(name)
        _, card = _card(directory)
        content = directory / "content.bin"
        _write_content(content, size)
        report = directory / "peak.txt"
        _measure(["cat", str(content)], os.environ.copy(), report)  # into the page cache
        env = {**os.environ, **card.environment, PIN_VARIABLE: card.pin, "LANG": "C.UTF-8"}
        xcapki = [sys.executable, "-m", "xcapki"]
        card_options = ["--module", str(card.module_path), "--token", card.serial]
        card_options += ["--pin-env", PIN_VARIABLE, "--quiet"]
        key = card.card.encryption
        recipient = ["-recip", str(key.certificate_path)]
        plain = directory / "plain.out"
        print(f"file: {arguments.size_mib} MiB of random bytes")
        print(f"{'run':<36} {'seconds':>8} {'MiB/s':>8} {'peak MiB':>9}")
        for cipher in CIPHERS:
            ours, theirs = directory / f"x.{cipher}.p7m", directory / f"o.{cipher}.p7m"
            runs: dict[str, list[str]] = {
                f"xcapki_encrypt_{cipher}": [
                    *xcapki, "encrypt", str(content), "--to", str(key.certificate_path),
                    "-o", str(ours), "--cipher", cipher, "--quiet",
                ],
                f"openssl_encrypt_{cipher}": [
                    openssl, "cms", "-encrypt", "-binary", "-stream", f"-{cipher}",
                    "-in", str(content), "-outform", "DER", "-out", str(theirs), *recipient,
                ],
                f"xcapki_decrypt_own_{cipher}": [
                    *xcapki, "decrypt", str(ours), "-o", str(plain), "--force", *card_options,
                ],
                f"xcapki_decrypt_openssl_{cipher}": [
                    *xcapki, "decrypt", str(theirs), "-o", str(plain), "--force", *card_options,
                ],
                f"openssl_decrypt_xcapki_{cipher}": [
                    openssl, "cms", "-decrypt", "-binary", "-inform", "DER", "-in", str(ours),
                    "-out", str(plain), *recipient, "-inkey", str(key.private_key_path),
                ],
            }  # fmt: skip
            for label, command in runs.items():
                seconds, peak = _measure(command, env, report)
                if "decrypt" in label and plain.stat().st_size != size:
                    raise SystemExit(f"{label} wrote {plain.stat().st_size} bytes, not {size}")
                plain.unlink(missing_ok=True)
                rate = size / MIB / seconds
                figures[label] = {
                    "seconds": round(seconds, 2),
                    "mib_per_s": round(rate, 1),
                    "peak_mib": round(peak, 1),
                }
                print(f"{label:<36} {seconds:>8.2f} {rate:>8.1f} {peak:>9.1f}")
            ours.unlink()
            theirs.unlink()
    print(json.dumps({"bench": "envelope_stream", "size_mib": arguments.size_mib, **figures}))


if __name__ == "__main__":
    main()
