"""`python -m fastconv train|predict|info|models` (see fastconv/cli.py)."""

import sys

from fastconv.cli import main

sys.exit(main())
