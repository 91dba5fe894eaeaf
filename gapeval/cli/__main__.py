"""``python -m gapeval.cli``: the same command line as the ``gapeval`` script."""

from __future__ import annotations

import sys

from gapeval.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
