"""Shared test fixtures: run kernel tests once per ISA this CPU supports."""

from __future__ import annotations

import os

import numpy as np
import pytest

import fastconv
from fastconv import _core

_INFO = fastconv.cpu_info()
ALL_ISAS = ["scalar", "avx2", "avx512f"]
SUPPORTED_ISAS = list(_INFO["supported_isas"])

# The repository's shared data directory (MNIST, Fashion-MNIST), as laid out beside the repo.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.environ.get("FASTCONV_DATA", os.path.join(REPO_ROOT, "..", "shared", "data"))


@pytest.fixture(params=ALL_ISAS)
def isa(request):
    """Switch the kernel table to each ISA in turn; skip the ones this CPU/OS cannot run."""
    name = request.param
    if name not in _INFO["compiled_isas"]:
        pytest.skip(f"{name} kernels are not compiled into this build")
    if name not in SUPPORTED_ISAS:
        pytest.skip(f"this CPU/OS does not support {name}")
    previous = _core.get_isa()
    _core.set_isa(name)
    try:
        yield name
    finally:
        _core.set_isa(previous)


@pytest.fixture
def threads():
    """Restore the thread count after a test changes it."""
    previous = fastconv.get_num_threads()
    try:
        yield
    finally:
        fastconv.set_num_threads(previous)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def algo():
    """The convolution algorithm switch (_core.set_conv_algo), restored after the test."""
    previous = _core.get_conv_algo()
    try:
        yield _core.set_conv_algo
    finally:
        _core.set_conv_algo(previous)
