"""The lab scripts in examples/ run end to end (subprocess, quickest flags: 10 images, one
batch, one epoch) and print what the labs print. The conv-basics lab checks its numbers.

Labs 2, 3, 5 and 6 take 4-15 s each on a busy 2-core machine, so they run only with
FASTCONV_SLOW_TESTS=1 (the CLI tests already train the lab CNN); labs 1 and 4 always run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT, SHARED_DATA

EXAMPLES = os.path.join(REPO_ROOT, "examples")
SLOW = os.environ.get("FASTCONV_SLOW_TESTS", "") not in ("", "0")
slow = pytest.mark.skipif(not SLOW, reason="slow example; set FASTCONV_SLOW_TESTS=1")


def _run(script, *args, tmp_path):
    if not os.path.isfile(os.path.join(SHARED_DATA, "mnist", "t10k-labels-idx1-ubyte.gz")):
        pytest.skip(f"shared MNIST not available at {SHARED_DATA}")
    env = dict(os.environ, FASTCONV_DATA=SHARED_DATA)
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def test_lab11_1_conv_basics(tmp_path):
    out = _run("lab11_1_conv_basics.py", "--no-plots", tmp_path=tmp_path)
    flat = " ".join(out.split())
    assert "conv2d.shape (1, 2, 2, 1) [[12. 16.] [24. 28.]]" in flat
    assert "[[12. 16. 9.] [24. 28. 15.] [15. 17. 9.]]" in flat
    assert "[[120. 160. 90.] [240. 280. 150.] [150. 170. 90.]]" in flat
    assert "[[-12. -16. -9.] [-24. -28. -15.] [-15. -17. -9.]]" in flat
    assert "(1, 1, 1, 1) [[[[4.]]]]" in flat
    assert "(1, 2, 2, 1) [[[[4.] [3.]] [[2.] [1.]]]]" in flat
    assert "(1, 14, 14, 5)" in flat and "(1, 7, 7, 5)" in flat
    assert "skipped" in out


QUICK = ["--limit", "10", "--batch-size", "10", "--epochs", "1"]


@pytest.mark.parametrize("script, total_params", [
    pytest.param("lab11_2_mnist_sequential.py", "619,786", marks=slow),
    pytest.param("lab11_3_mnist_functional.py", "619,786", marks=slow),
    ("lab11_4_mnist_subclass.py", "619,786"),
    pytest.param("lab11_5_mnist_ensemble.py", "619,786", marks=slow),
    pytest.param("lab11_6_mnist_best.py", "621,706", marks=slow),
])
def test_training_labs(script, total_params, tmp_path):
    out = _run(script, *QUICK, "--ckpt-dir", str(tmp_path / "ckpts"), tmp_path=tmp_path)
    assert f"Total params: {total_params}" in out
    assert "Learning started." in out and "Learning Finished!" in out
    assert "Epoch: 1 loss = " in out and "test accuracy = " in out
    if "ensemble" in script or "best" in script:
        assert "ensemble of 3 test accuracy = " in out
        assert all(os.path.isfile(tmp_path / "ckpts" / f"model-{m}" / "ckpt-1.npz")
                   for m in range(3))
    else:
        assert os.path.isfile(tmp_path / "ckpts" / "ckpt-1.npz")


def test_example_bad_flag_is_a_usage_error(tmp_path):
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, "lab11_2_mnist_sequential.py"),
                        "--epochs", "0"], capture_output=True, text=True, cwd=tmp_path,
                       timeout=120)
    assert r.returncode == 2 and "--epochs must be > 0" in r.stderr
