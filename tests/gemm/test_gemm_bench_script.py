"""bench/bench_gemm.py runs end to end (a tiny shape, CSV) and checks its own results."""

from __future__ import annotations

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_bench_gemm_script_runs(capsys):
    spec = importlib.util.spec_from_file_location(
        "bench_gemm_script", os.path.join(ROOT, "bench", "bench_gemm.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--csv", "--shapes", "13x17x19", "--threads", "1,2", "--reps", "1",
                     "--peak-seconds", "0.01"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line and not line.startswith("#")]
    assert rows[0].startswith("shape,threads,fastconv_ms")
    assert len(rows) == 3 and rows[1].startswith("13x17x19,1,")
    assert float(rows[1].split(",")[-1]) < 1e-4  # max abs error vs float64


def test_bench_gemm_script_gemv_mode(capsys):
    spec = importlib.util.spec_from_file_location(
        "bench_gemm_script_gemv", os.path.join(ROOT, "bench", "bench_gemm.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--gemv", "--csv", "--shapes", "1x300x70", "--threads", "1", "--reps", "1",
                     "--peak-seconds", "0.01"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines()
            if line and not line.startswith("#")]
    assert rows[0] == ("shape,threads,fastconv_us,numpy_us,fastconv_gbps,numpy_gbps,ratio,"
                       "max_abs_err")
    assert len(rows) == 2 and rows[1].startswith("1x300x70,1,")
    assert float(rows[1].split(",")[-1]) < 1e-4
