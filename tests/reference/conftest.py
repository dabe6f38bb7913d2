"""Make `fastconv.reference` importable from a source checkout.

1. If `fastconv.reference` imports normally (installed, or PYTHONPATH=python
   with the native extension built), use that.
2. Otherwise put <repo>/python first on sys.path and try again.
3. If the package __init__ still fails (typically: the native `_core`
   extension is not built yet), register a bare namespace module for
   `fastconv` so its pure-Python submodules `reference` and `_geometry` can be
   tested: the oracle must never depend on the native code it checks.

tests/reference itself goes on sys.path so `_fd` imports from any rootdir.
"""

import importlib
import importlib.machinery
import os
import sys
import types

_HERE = os.path.dirname(os.path.abspath(__file__))
_PYDIR = os.path.normpath(os.path.join(_HERE, "..", "..", "python"))
_PKGDIR = os.path.join(_PYDIR, "fastconv")

if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


def _forget_fastconv():
    for name in [m for m in sys.modules if m == "fastconv" or m.startswith("fastconv.")]:
        del sys.modules[name]


def _import_reference():
    importlib.import_module("fastconv._geometry")
    importlib.import_module("fastconv.reference")


try:
    _import_reference()
except ImportError:
    _forget_fastconv()
    if _PYDIR not in sys.path:
        sys.path.insert(0, _PYDIR)
    try:
        _import_reference()
    except ImportError:
        _forget_fastconv()
        stub = types.ModuleType("fastconv")
        stub.__path__ = [_PKGDIR]
        stub.__spec__ = importlib.machinery.ModuleSpec("fastconv", None, is_package=True)
        stub.__spec__.submodule_search_locations = [_PKGDIR]
        sys.modules["fastconv"] = stub
        _import_reference()
