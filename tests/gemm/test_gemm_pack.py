"""The transposing pack kernel (f32_packt_ukernel_*) of every ISA against its definition.

It builds A micro-panels from a row-major A and B micro-panels from a transposed B; the SIMD
versions work in 8x8 and 4x4 register blocks, so heights and depths around 4 and 8 matter.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastconv import _core


def _expected(src, width):
    h, kc = src.shape
    out = np.zeros((kc, width), np.float32)
    out[:, :h] = src.T
    return out


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(width=st.sampled_from([4, 6, 8, 12, 16, 32]), data=st.data())
def test_pack_transpose_matches_definition(isa, width, data):
    h = data.draw(st.integers(0, width), label="h")
    kc = data.draw(st.one_of(st.integers(0, 40), st.sampled_from([383, 384, 385])), label="kc")
    src = np.random.default_rng(h * 1000 + kc).standard_normal((h, kc)).astype(np.float32)
    got = _core._gemm_pack_transpose(src, width)
    np.testing.assert_array_equal(got, _expected(src, width), err_msg=f"{isa} h={h} kc={kc}")


@pytest.mark.parametrize("width", [12, 32])
def test_pack_transpose_zero_fills_and_copies_exactly(isa, width):
    src = np.full((width - 3, 19), np.nan, np.float32)  # NaN payloads are copied bit for bit
    src[0, :] = np.arange(19)
    got = _core._gemm_pack_transpose(src, width)
    assert (got[:, width - 3:] == 0).all()
    np.testing.assert_array_equal(got[:, 0], np.arange(19, dtype=np.float32))
    assert np.isnan(got[:, 1:width - 3]).all()
