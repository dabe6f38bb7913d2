"""`import fastconv` stays light: the Keras stack, data sets and saving load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import fastconv


def test_heavy_parts_are_imported_lazily():
    code = (
        "import sys, fastconv\n"
        "heavy = [m for m in ('fastconv.keras', 'fastconv.saving', 'fastconv.reference',"
        " 'fastconv.datasets', 'fastconv._tfcompat') if m in sys.modules]\n"
        "print(heavy)\n"
        "assert fastconv.keras.layers.Dense is not None\n"
        "assert callable(fastconv.nn.relu) and fastconv.float32 is __import__('numpy').float32\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["[]", "ok"]


def test_public_names_resolve():
    for name in fastconv.__all__:
        assert getattr(fastconv, name) is not None, name
    assert "keras" in dir(fastconv)
    with pytest.raises(AttributeError, match="no attribute 'kerass'"):
        fastconv.kerass
