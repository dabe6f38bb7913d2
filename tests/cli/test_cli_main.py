"""`fastconv train / predict / info` (fastconv/cli.py) end to end on the shared MNIST files, at
sizes that take seconds: 20 images, batch 10."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import SHARED_DATA

from fastconv import cli

TINY = ["--limit", "20", "--batch-size", "10", "--no-progress", "--seed", "1"]


@pytest.fixture
def shared_data(monkeypatch):
    if not os.path.isfile(os.path.join(SHARED_DATA, "mnist", "t10k-labels-idx1-ubyte.gz")):
        pytest.skip(f"shared MNIST not available at {SHARED_DATA}")
    monkeypatch.setenv("FASTCONV_DATA", SHARED_DATA)
    return SHARED_DATA


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One 1-epoch run shared by the tests that only read its outputs."""
    if not os.path.isfile(os.path.join(SHARED_DATA, "mnist", "t10k-labels-idx1-ubyte.gz")):
        pytest.skip(f"shared MNIST not available at {SHARED_DATA}")
    out = tmp_path_factory.mktemp("run")
    old = os.environ.get("FASTCONV_DATA")
    os.environ["FASTCONV_DATA"] = SHARED_DATA
    try:
        rc = cli.main(["train", "--epochs", "1", "--out", str(out)] + TINY)  # with the PNGs
    finally:
        if old is None:
            del os.environ["FASTCONV_DATA"]
        else:
            os.environ["FASTCONV_DATA"] = old
    assert rc == 0
    return out


def test_train_writes_checkpoint_model_history(trained_run):
    out = trained_run
    assert (out / "model.npz").is_file()
    assert (out / "ckpts" / "ckpt-1.npz").is_file() and (out / "ckpts" / "checkpoint").is_file()
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1]
    assert 0.0 <= history[0]["test_acc"] <= 1.0 and history[0]["images_per_s"] > 0
    run = json.loads((out / "run.json").read_text())
    assert run["model"] == "lab_cnn" and run["dataset"] == "mnist" and run["limit"] == 20
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    for png in ("training_curve.png", "feature_maps.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_resumes_and_continues_epoch_count(trained_run, shared_data, capsys, tmp_path):
    # a copy, so the module's run stays at one epoch for the other tests
    import shutil

    out = tmp_path / "run"
    shutil.copytree(trained_run, out)
    assert cli.main(["train", "--epochs", "2", "--out", str(out), "--no-plots"] + TINY) == 0
    text = capsys.readouterr().out
    assert "resuming from" in text and "ckpt-1" in text
    assert "epoch   2/2" in text and "epoch   1/2" not in text
    assert "test accuracy:" in text
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert (out / "ckpts" / "ckpt-2.npz").is_file()
    # all epochs done: a re-run only evaluates
    assert cli.main(["train", "--epochs", "2", "--out", str(out), "--no-plots"] + TINY) == 0
    assert "already done" in capsys.readouterr().out



def test_lr_halve_every_schedule_and_resume_rules(trained_run, shared_data, capsys, tmp_path):
    import shutil

    assert [cli._lr_factor(e, 5) for e in (1, 5, 6, 10, 11)] == [1, 1, 0.5, 0.5, 0.25]
    assert cli._lr_factor(7, None) == 1
    out = tmp_path / "run"
    shutil.copytree(trained_run, out)
    # epoch 1 ran at the base rate under either schedule: resuming with halving every epoch is
    # allowed, and epoch 2 runs at half the rate
    argv = ["train", "--out", str(out), "--no-plots", "--lr-halve-every", "1"] + TINY
    assert cli.main(argv + ["--epochs", "2"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert [h["lr"] for h in history[1:]] == [0.0005]
    assert "halved every 1 epochs" in capsys.readouterr().out
    # epoch 2 ran at 0.0005; a constant schedule would rewrite that history: refused
    assert cli.main(["train", "--out", str(out), "--no-plots", "--epochs", "3"] + TINY) == 1
    err = capsys.readouterr().err
    assert "--lr-halve-every" in err and len(err.strip().splitlines()) == 1

def test_train_refuses_a_different_run_in_the_same_out(trained_run, shared_data, capsys):
    rc = cli.main(["train", "--epochs", "1", "--out", str(trained_run), "--model", "lab_cnn_bn"]
                  + TINY)
    assert rc == 1
    err = capsys.readouterr().err
    assert "different run" in err and "lab_cnn_bn" in err and len(err.strip().splitlines()) == 1


def test_train_corrupt_checkpoint_is_one_clear_line(trained_run, shared_data, capsys, tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(trained_run, out)
    ck = out / "ckpts" / "ckpt-1.npz"
    data = bytearray(ck.read_bytes())
    ck.write_bytes(bytes(data[: len(data) // 2]))
    assert cli.main(["train", "--epochs", "2", "--out", str(out)] + TINY) == 1
    err = capsys.readouterr().err
    assert err.startswith("fastconv: error: cannot resume from") and "ckpt-1" in err
    assert "Traceback" not in err


def test_predict_npy_batch(trained_run, capsys, tmp_path):
    from fastconv.datasets import mnist

    (_, _), (x_test, _) = mnist.load_data(path=SHARED_DATA)
    batch = tmp_path / "batch.npy"
    np.save(batch, x_test[:3])
    assert cli.main(["predict", "--model-path", str(trained_run / "model.npz"), str(batch)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    for i, line in enumerate(lines):
        assert line.startswith(f"{batch}[{i}]: class ") and "probability 0." in line


def test_predict_bad_inputs(trained_run, capsys, tmp_path):
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((2, 20, 20), np.uint8))
    assert cli.main(["predict", "--model-path", str(trained_run), str(wrong)]) == 1
    assert "does not match the model's input" in capsys.readouterr().err
    assert cli.main(["predict", "--model-path", str(tmp_path / "nope.npz"), str(wrong)]) == 1
    assert "no such model file" in capsys.readouterr().err
    bad_model = tmp_path / "bad.npz"
    bad_model.write_bytes(b"not a zip file")
    assert cli.main(["predict", "--model-path", str(bad_model), str(wrong)]) == 1
    err = capsys.readouterr().err
    assert "cannot load model" in err and "Traceback" not in err


def test_missing_data_is_one_clear_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("FASTCONV_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    from fastconv.datasets import _loader

    def offline(*a, **k):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(_loader, "fetch", offline)
    monkeypatch.setattr(_loader, "user_cache_root", lambda: str(tmp_path / "cache"))
    rc = cli.main(["train", "--dataset", "fashion_mnist", "--out", str(tmp_path / "o")] + TINY)
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("fastconv: error:") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize("argv, needle", [
    (["train", "--epochs", "0"], "must be > 0"),
    (["train", "--batch-size", "x"], "expected a int"),
    (["train", "--dataset", "cifar"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
    (["predict"], "required"),
])
def test_bad_arguments_exit_nonzero(argv, needle, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code != 0
    assert needle in capsys.readouterr().err


def test_unknown_model_and_registry(capsys, tmp_path):
    assert cli.main(["train", "--model", "resnet9000", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "unknown --model 'resnet9000'" in err and "lab_cnn" in err
    assert {"lab_cnn", "lab_cnn_bn"} <= set(cli.MODELS)
    with pytest.raises(ValueError):
        cli.register_model("bad name!", lambda shape, k: None)


def test_info(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "ISA in use:" in out and "threads:" in out and "lab_cnn" in out


def test_python_dash_m_error_is_one_line_without_traceback():
    env = dict(os.environ, FASTCONV_DEBUG="")
    r = subprocess.run([sys.executable, "-m", "fastconv", "predict", "--model-path",
                        "/nonexistent/m.npz", "x.npy"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 1
    assert r.stderr.strip() == "fastconv: error: no such model file: /nonexistent/m.npz"


def test_predict_png_image(trained_run, capsys, tmp_path):
    Image = pytest.importorskip("PIL.Image")
    from fastconv.datasets import mnist

    (_, _), (x_test, _) = mnist.load_data(path=SHARED_DATA)
    png = tmp_path / "digit.png"
    Image.fromarray(x_test[0]).save(png)
    np.save(tmp_path / "same.npy", x_test[:1])
    assert cli.main(["predict", "--model-path", str(trained_run), str(png),
                     str(tmp_path / "same.npy")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "reading images with Pillow"
    # the PNG round-trips the uint8 pixels exactly, so both inputs get the same answer
    assert lines[1].split(": ", 1)[1] == lines[2].split(": ", 1)[1]
