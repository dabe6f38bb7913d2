"""save_weights / load_weights: format, round trip, strict checks, corruption, atomic writes."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest

from _saving_fakes import FakeDense, FakeVariable, MyModel, Sequential, mlp, values
from fastconv import saving
from fastconv.saving import _archive


def _assert_same(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_round_trip_identical_values_and_predictions(tmp_path):
    src, dst = mlp(seed=0), mlp(seed=10)
    p = tmp_path / "w.npz"
    saving.save_weights(src, p)
    saving.load_weights(dst, p)
    _assert_same(values(src), values(dst))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(src(x), dst(x))


def test_file_is_plain_npz_with_json_manifest(tmp_path):
    m = mlp()
    p = tmp_path / "w.npz"
    saving.save_weights(m, p)
    with np.load(p, allow_pickle=False) as z:
        assert sorted(z.files) == sorted(["__fastconv_manifest__", "layers/0/vars/0",
                                          "layers/0/vars/1", "layers/1/vars/0",
                                          "layers/1/vars/1"])
        manifest = json.loads(z["__fastconv_manifest__"].tobytes().decode())
        np.testing.assert_array_equal(z["layers/1/vars/0"], m.layers[1].kernel.numpy())
    assert manifest["format"] == "fastconv-weights" and manifest["format_version"] == 1
    rec = manifest["variables"][0]
    assert rec["path"] == "layers/0/vars/0" and rec["name"] == "hidden/kernel"
    assert rec["shape"] == [3, 4] and rec["dtype"] == "float32" and "hidden" in rec["layer"]


def test_paths_do_not_depend_on_layer_names(tmp_path):
    src = mlp(seed=0)
    dst = Sequential([FakeDense(4, input_dim=3, name="other_name", seed=5),
                      FakeDense(2, input_dim=4, name="dense_99", seed=6)])
    saving.save_weights(src, tmp_path / "w.npz")
    saving.load_weights(dst, tmp_path / "w.npz")
    _assert_same(values(src), values(dst))


def test_subclassed_model_weights_round_trip(tmp_path):
    a, b = MyModel(), MyModel()
    for v in b.variables:
        v.assign(np.zeros(v.shape))
    saving.save_weights(a, tmp_path / "w.npz")
    saving.load_weights(b, tmp_path / "w.npz")
    _assert_same(values(a), values(b))


def test_missing_file(tmp_path):
    p = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        saving.load_weights(mlp(), p)


@pytest.mark.parametrize("other", [
    lambda: mlp(hidden=5),                                                   # shape mismatch
    lambda: Sequential([FakeDense(4, input_dim=3, name="h"), FakeDense(2, input_dim=4),
                        FakeDense(2, input_dim=2, name="extra")]),           # extra layer
    lambda: Sequential([FakeDense(4, input_dim=3, name="h")]),               # missing layer
])
def test_wrong_architecture_is_rejected_and_model_untouched(tmp_path, other):
    p = tmp_path / "w.npz"
    saving.save_weights(mlp(), p)
    model = other()
    before = values(model)
    with pytest.raises(ValueError, match="does not match the model's architecture") as ei:
        saving.load_weights(model, p)
    _assert_same(before, values(model))
    assert all(v.assign_calls == 0 for v in model.variables)
    msg = str(ei.value)
    assert "w.npz" in msg and "shape" in msg


def test_shape_mismatch_message_names_layer_and_both_shapes(tmp_path):
    p = tmp_path / "w.npz"
    saving.save_weights(mlp(hidden=4), p)
    with pytest.raises(ValueError) as ei:
        saving.load_weights(mlp(hidden=5), p)
    msg = str(ei.value)
    assert "hidden/kernel" in msg and "(3, 5) in the model but (3, 4) in the file" in msg
    assert "out/kernel" in msg and "(5, 2) in the model but (4, 2) in the file" in msg


def test_unbuilt_model_gets_clear_error(tmp_path):
    p = tmp_path / "w.npz"
    saving.save_weights(mlp(), p)
    lazy = Sequential([FakeDense(4), FakeDense(2)])
    with pytest.raises(ValueError, match="no variables yet.*build"):
        saving.load_weights(lazy, p)
    lazy.build((None, 3))
    saving.load_weights(lazy, p)


def test_dtype_cast_and_rollback_when_an_assign_fails(tmp_path):
    m = mlp()
    p = tmp_path / "w.npz"
    saving.save_weights(m, p)
    target = mlp(seed=7)
    before = values(target)

    def boom(value):
        raise RuntimeError("assign failed")

    target.layers[1].bias.assign = boom  # the last variable fails after three succeeded
    with pytest.raises(RuntimeError, match="assign failed"):
        saving.load_weights(target, p)
    _assert_same(before, values(target))  # the three that succeeded were rolled back


def test_overwrite_false(tmp_path):
    p = tmp_path / "w.npz"
    saving.save_weights(mlp(), p)
    with pytest.raises(FileExistsError):
        saving.save_weights(mlp(), p, overwrite=False)


def test_other_files_are_rejected_clearly(tmp_path):
    m = mlp()
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.zeros(3))
    npy = tmp_path / "one.npy"
    np.save(npy, np.zeros(3))
    pick = tmp_path / "pickled.npz"
    np.savez(pick, **{"__fastconv_manifest__": np.zeros(2, np.uint8),
                      "x": np.array([{"a": 1}], dtype=object)})
    text = tmp_path / "text.npz"
    text.write_text("hello")
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    for p in (plain, npy, pick, text, empty):
        with pytest.raises(ValueError, match=str(p.name)):
            saving.load_weights(m, p)
    with pytest.raises(IsADirectoryError):
        saving.load_weights(m, tmp_path)


def _rewrite_manifest(src, dst, edit):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "__fastconv_manifest__.npy":
                import io
                man = json.loads(np.load(io.BytesIO(data)).tobytes().decode())
                edit(man)
                buf = io.BytesIO()
                np.save(buf, np.frombuffer(json.dumps(man).encode(), np.uint8))
                data = buf.getvalue()
            zout.writestr(info.filename, data)


@pytest.mark.parametrize("edit,match", [
    (lambda m: m.update(format="something-else"), "format"),
    (lambda m: m.update(format_version=99), "newer"),
    (lambda m: m["variables"][0].update(shape=[4, 3]), "shape"),
    (lambda m: m["variables"][0].update(dtype="object"), "malformed"),
    (lambda m: m["variables"][0].update(crc32=1), "checksum"),
    (lambda m: m["variables"].pop(), "not in the manifest"),
    (lambda m: m["variables"].append(dict(m["variables"][0], path="zz")), "missing"),
])
def test_manifest_inconsistencies(tmp_path, edit, match):
    good, bad = tmp_path / "good.npz", tmp_path / "bad.npz"
    saving.save_weights(mlp(), good)
    _rewrite_manifest(good, bad, edit)
    with pytest.raises(ValueError, match=match):
        saving.load_weights(mlp(), bad)


def _read_bytes(blob):
    return _archive.read_archive_fileobj(io.BytesIO(bytes(blob)), "bad.npz",
                                         ("fastconv-weights",))


def test_truncated_files_rejected_model_untouched(tmp_path):
    p = tmp_path / "w.npz"
    saving.save_weights(mlp(), p)
    blob = p.read_bytes()
    for n in range(len(blob)):  # every truncation length, in memory
        with pytest.raises(ValueError, match="bad.npz"):
            _read_bytes(blob[:n])
    target = mlp(seed=3)
    before = values(target)
    cut = tmp_path / "cut.npz"
    for n in (0, 1, 30, len(blob) // 2, len(blob) - 22, len(blob) - 1):  # through the file API
        cut.write_bytes(blob[:n])
        with pytest.raises(ValueError, match="cut.npz"):
            saving.load_weights(target, cut)
    _assert_same(before, values(target))
    assert all(v.assign_calls == 0 for v in target.variables)


def test_every_single_byte_flip_is_rejected_or_harmless(tmp_path):
    """Flip each byte of a weights file: reading either raises a clear ValueError or — for
    bytes no reader depends on, like ZIP timestamps — returns exactly the original values.
    Never a crash, never wrong weights."""
    class One:  # one variable keeps the file small enough to try every offset quickly
        name = "one"
        variables = [FakeVariable(np.arange(6.0).reshape(2, 3), "one/kernel")]

    p = tmp_path / "one.npz"
    saving.save_weights(One(), p)
    one = p.read_bytes()
    expected = [One.variables[0].numpy()]
    rejected = 0
    for i in range(len(one)):
        flipped = bytearray(one)
        flipped[i] ^= 0xFF if i % 2 else 0x01
        try:
            manifest, arrays = _read_bytes(flipped)
        except ValueError as exc:
            assert "bad.npz" in str(exc)
            rejected += 1
        else:
            _assert_same(expected, [arrays[r["path"]] for r in manifest["variables"]])
    assert rejected > len(one) * 0.8

    src = mlp(seed=1)
    p = tmp_path / "w.npz"
    saving.save_weights(src, p)
    blob = p.read_bytes()
    expected = values(src)
    # and through load_weights, for a sample of offsets: the model is never half-updated
    target = mlp(seed=9)
    sentinel = values(target)
    bad = tmp_path / "bad.npz"
    for i in range(0, len(blob), max(1, len(blob) // 40)):
        flipped = bytearray(blob)
        flipped[i] ^= 0xFF
        bad.write_bytes(bytes(flipped))
        try:
            saving.load_weights(target, bad)
        except ValueError:
            _assert_same(sentinel, values(target))
        else:
            _assert_same(expected, values(target))
            for v, s in zip(target.variables, sentinel):
                v.assign(s)


def test_atomic_write_crash_keeps_previous_file(tmp_path, monkeypatch):
    p = tmp_path / "w.npz"
    old = mlp(seed=0)
    saving.save_weights(old, p)
    before = p.read_bytes()

    def crash(f, members):
        f.write(b"PK\x03\x04 partial data")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(_archive, "_savez", crash)
    with pytest.raises(OSError, match="simulated"):
        saving.save_weights(mlp(seed=5), p)
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.npz"]  # the temp file was removed
    monkeypatch.undo()
    fresh = mlp(seed=9)
    saving.load_weights(fresh, p)
    _assert_same(values(old), values(fresh))


def test_leftover_temp_file_from_a_killed_process_is_harmless(tmp_path):
    p = tmp_path / "w.npz"
    saving.save_weights(mlp(seed=0), p)
    (tmp_path / ".w.npz.abc123.tmp").write_bytes(b"PK\x03\x04garbage")
    saving.save_weights(mlp(seed=1), p)
    target = mlp(seed=4)
    saving.load_weights(target, p)
    _assert_same(values(mlp(seed=1)), values(target))


def test_missing_directory_on_save(tmp_path):
    with pytest.raises(FileNotFoundError, match="directory"):
        saving.save_weights(mlp(), tmp_path / "no" / "such" / "w.npz")


def test_unsupported_variable_dtype_on_save(tmp_path):
    class Odd:
        name = "odd"
        variables = [FakeVariable(0.0, "x")]
    Odd.variables[0]._v = np.array(["s"])
    with pytest.raises(TypeError, match="dtype"):
        saving.save_weights(Odd(), tmp_path / "w.npz")
