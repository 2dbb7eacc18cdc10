"""``python -m xcapki``: the same command line as ``xcapki``."""

from __future__ import annotations

import sys

from xcapki.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
