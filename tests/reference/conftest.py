"""Make `fastconv.reference` importable from a source checkout.

If fastconv is not importable (not installed, no PYTHONPATH), put <repo>/python
first on sys.path. tests/reference itself goes on the path so `_fd` imports.
"""

import importlib
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_PYDIR = os.path.normpath(os.path.join(_HERE, "..", "..", "python"))

if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

try:
    importlib.import_module("fastconv.reference")
except ImportError:
    for name in [m for m in sys.modules if m == "fastconv" or m.startswith("fastconv.")]:
        del sys.modules[name]
    sys.path.insert(0, _PYDIR)
    importlib.import_module("fastconv.reference")
