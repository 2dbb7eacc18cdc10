"""The CLI on a virtual card, as a user types it: create, sign, verify, selftest, doctor.

Runs anywhere SoftHSM2 and OpenSC's pkcs11-tool are installed; everything is
made under a temporary directory (pass a directory to keep it). Each step
prints the command and its output, and the script stops at the first
unexpected exit code.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

PIN_VARIABLE = "XCAPKI_EXAMPLE_PIN"


def xcapki(*arguments: str, env: dict[str, str], expect: int = 0) -> str:
    """Run ``python -m xcapki ARGUMENTS``, show it, and return its stdout."""
    print(f"\n$ xcapki {shlex.join(arguments)}")
    done = subprocess.run(
        [sys.executable, "-m", "xcapki", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout.rstrip())
    if done.returncode != expect:
        print(done.stderr.rstrip(), file=sys.stderr)
        raise SystemExit(f"exit code {done.returncode}, expected {expect}")
    return done.stdout


def main(directory: Path) -> None:
    env = {**os.environ, PIN_VARIABLE: "123456", "LANG": os.environ.get("LANG", "C.UTF-8")}
    made = xcapki(
        "virtual-card",
        "create",
        "--directory",
        str(directory),
        "--organisation",
        "範例聯合會計師事務所",
        "--pin-env",
        PIN_VARIABLE,
        "--quiet",
        env=env,
    )
    export = next(line for line in made.splitlines() if "export SOFTHSM2_CONF=" in line)
    env["SOFTHSM2_CONF"] = shlex.split(export.strip())[1].split("=", 1)[1]
    options = next(line for line in made.splitlines() if "xcapki certs --module" in line)
    card = shlex.split(options.strip())[2:]
    root = str(directory / "pki" / "ca" / "grca" / "ca.pem")
    card_pin = [*card, "--pin-env", PIN_VARIABLE, "--quiet"]
    xcapki("certs", *card, "--quiet", env=env)  # certificates need no PIN

    report = directory / "申報書.txt"
    report.write_text("會計師查核簽證線上申報\n", encoding="utf-8")
    signature = directory / "申報書.p7s"
    xcapki("sign", str(report), "-o", str(signature), *card_pin, env=env)
    xcapki("verify", str(signature), "--trust-root", root, "--revocation", "off", env=env)
    xcapki("verify", str(signature), "--revocation", "off", "--quiet", env=env, expect=4)
    xcapki("selftest", *card_pin, "--trust-root", root, "--revocation", "off", env=env)
    xcapki(
        "doctor",  # no PIN either: it reads the PIN state and the certificates only
        *card,
        "--quiet",
        "--no-pcsc",
        "--offline",
        "--trust-root",
        root,
        "--lang",
        "zh-TW",
        env=env,
    )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory(prefix="xcapki-cli-example-") as temporary:
            main(Path(temporary))
