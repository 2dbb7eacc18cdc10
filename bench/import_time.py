"""Import time of `import xcapki` beside `import cryptography.x509`, same run, fresh processes.

A portal backend and every CLI call pay this on start, so it is kept under
0.15 s by importing heavy bindings lazily. Each sample is a new interpreter
that times the import alone; the reference is the X.509 library xcapki's
server side builds on. The last line is JSON.

Run: .venv/bin/python bench/import_time.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

TARGET_SECONDS = 0.15

_TIMER = """
import time
start = time.perf_counter()
import {module}
print(time.perf_counter() - start)
"""


def sample(module: str) -> float:
    result = subprocess.run(
        [sys.executable, "-c", _TIMER.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout)


def median_ms(module: str, runs: int) -> float:
    sample(module)  # warm the file system cache
    return statistics.median(sample(module) for _ in range(runs)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    xcapki_ms = median_ms("xcapki", args.runs)
    reference_ms = median_ms("cryptography.x509", args.runs)
    print(f"import xcapki:            {xcapki_ms:7.1f} ms (median of {args.runs})")
    print(f"import cryptography.x509: {reference_ms:7.1f} ms (median of {args.runs})")
    print(f"target: under {TARGET_SECONDS * 1000:.0f} ms")
    figures = {
        "import_ms_xcapki": round(xcapki_ms, 1),
        "import_ms_cryptography_x509": round(reference_ms, 1),
        "target_ms": TARGET_SECONDS * 1000,
        "meets_target": xcapki_ms < TARGET_SECONDS * 1000,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
