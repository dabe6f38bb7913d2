"""tests/reference checks the NumPy oracle itself (by finite differences and hand values).
Its helpers (_fd.py) are importable from the other test directories too."""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
