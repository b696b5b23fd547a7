"""``python -m sharokey``: the same command as the ``sharokey`` script."""

from __future__ import annotations

import sys

from sharokey.cli import main

if __name__ == "__main__":
    sys.exit(main())
