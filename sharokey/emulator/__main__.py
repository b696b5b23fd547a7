"""``python -m sharokey.emulator``: serve the local Sharokey emulator."""

from __future__ import annotations

import sys

from sharokey.emulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
