"""Fixtures shared by the convolution tests."""

import pytest

from fastconv import _core


@pytest.fixture
def algo():
    """The convolution algorithm switch (_core.set_conv_algo), restored after the test."""
    previous = _core.get_conv_algo()
    try:
        yield _core.set_conv_algo
    finally:
        _core.set_conv_algo(previous)
