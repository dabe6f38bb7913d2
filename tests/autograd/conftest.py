"""tests/autograd: make the finite-difference helpers of tests/reference importable here even
when this directory is run on its own."""

import os
import sys

_REF = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference")
if _REF not in sys.path:
    sys.path.insert(0, _REF)
