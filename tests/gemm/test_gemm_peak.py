"""fastconv.ops.fma_peak_probe: the FMA throughput probe the benchmarks divide by."""

from __future__ import annotations

import pytest

from fastconv import ops


@pytest.mark.parametrize("threads", [1, 2])
def test_peak_probe_is_positive(isa, threads):
    # No wall-clock bound here: timings belong in benchmarks (a loaded CI machine would flake).
    gflops = ops.fma_peak_probe(0.01, threads)
    assert gflops > 0.0 and gflops < 1e5, f"{isa}: implausible peak {gflops} GF/s"


def test_peak_probe_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"fma_peak_probe: threads must be >= 1, got 0"):
        ops.fma_peak_probe(0.01, 0)
    with pytest.raises(ValueError, match=r"fma_peak_probe: seconds must be in \(0, 60\]"):
        ops.fma_peak_probe(-1.0, 1)
    with pytest.raises(TypeError, match=r"fma_peak_probe: threads must be an int"):
        ops.fma_peak_probe(0.01, 1.5)
    with pytest.raises(TypeError, match=r"fma_peak_probe: seconds must be a real number"):
        ops.fma_peak_probe("1", 1)
