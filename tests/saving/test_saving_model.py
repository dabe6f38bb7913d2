"""save_model / load_model on duck-typed models (the real keras classes: test_saving_keras.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from _saving_fakes import FakeDense, MyModel, Sequential, mlp, values
from fastconv import saving

CUSTOM = {"FakeDense": FakeDense, "Sequential": Sequential}


def test_sequential_round_trip_identical_predictions(tmp_path):
    m = mlp(seed=3)
    p = tmp_path / "model.npz"
    saving.save_model(m, p)
    m2 = saving.load_model(p, custom_objects=CUSTOM)
    assert type(m2) is Sequential and [l.name for l in m2.layers] == ["hidden", "out"]
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_array_equal(m(x), m2(x))
    for a, b in zip(values(m), values(m2)):
        np.testing.assert_array_equal(a, b)


def test_architecture_is_readable_json(tmp_path):
    p = tmp_path / "model.npz"
    saving.save_model(mlp(), p)
    with np.load(p, allow_pickle=False) as z:
        manifest = json.loads(z["__fastconv_manifest__"].tobytes().decode())
    assert manifest["format"] == "fastconv-model"
    arch = manifest["model"]
    assert arch["class_name"] == "Sequential"
    assert [l["class_name"] for l in arch["config"]["layers"]] == ["FakeDense", "FakeDense"]
    assert arch["config"]["layers"][0]["config"]["units"] == 4


def test_model_file_also_loads_with_load_weights(tmp_path):
    p = tmp_path / "model.npz"
    src = mlp(seed=1)
    saving.save_model(src, p)
    dst = mlp(seed=2)
    saving.load_weights(dst, p)
    for a, b in zip(values(src), values(dst)):
        np.testing.assert_array_equal(a, b)


def test_weights_file_is_not_a_model_file(tmp_path):
    p = tmp_path / "w.npz"
    saving.save_weights(mlp(), p)
    with pytest.raises(ValueError, match="format"):
        saving.load_model(p, custom_objects=CUSTOM)


def test_nested_sequential(tmp_path):
    inner = Sequential([FakeDense(4, input_dim=3, name="a", seed=1)], name="block")
    outer = Sequential([inner, FakeDense(2, input_dim=4, name="b", seed=2)])
    saving.save_model(outer, tmp_path / "m.npz")
    back = saving.load_model(tmp_path / "m.npz", custom_objects=CUSTOM)
    assert back.layers[0].name == "block"
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(outer(x), back(x))


def test_lazily_built_model_is_rebuilt_from_recorded_input_shape(tmp_path):
    lazy = Sequential([FakeDense(4, name="a"), FakeDense(2, name="b")])
    lazy._build_input_shape = (None, 3)
    lazy.build((None, 3))
    saving.save_model(lazy, tmp_path / "m.npz")
    back = saving.load_model(tmp_path / "m.npz", custom_objects=CUSTOM)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(lazy(x), back(x))


def test_subclassed_model_refused_with_advice(tmp_path):
    with pytest.raises(NotImplementedError, match="save_weights"):
        saving.save_model(MyModel(), tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_layer_without_get_config_refused(tmp_path):
    class Opaque(FakeDense):
        def get_config(self):
            raise NotImplementedError

    m = Sequential([Opaque(2, input_dim=3, name="opaque")])
    with pytest.raises(NotImplementedError, match="opaque.*get_config"):
        saving.save_model(m, tmp_path / "m.npz")


def test_unknown_class_names_custom_objects(tmp_path):
    saving.save_model(mlp(), tmp_path / "m.npz")
    with pytest.raises(ValueError, match="FakeDense.*custom_objects"):
        saving.load_model(tmp_path / "m.npz", custom_objects={"Sequential": Sequential})


def test_load_model_missing_and_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError, match="none.npz"):
        saving.load_model(tmp_path / "none.npz")
    p = tmp_path / "m.npz"
    saving.save_model(mlp(), p)
    blob = p.read_bytes()
    p.write_bytes(blob[: len(blob) - 40])
    with pytest.raises(ValueError, match="m.npz"):
        saving.load_model(p, custom_objects=CUSTOM)


def test_model_file_byte_flips_rejected_or_harmless(tmp_path):
    import io

    from fastconv.saving import _archive

    m = Sequential([FakeDense(1, input_dim=1, name="a", seed=1)])
    p = tmp_path / "m.npz"
    saving.save_model(m, p)
    blob = p.read_bytes()
    expected = values(m)
    for i in range(0, len(blob), 2):
        flipped = bytearray(blob)
        flipped[i] ^= 0x08
        try:
            manifest, arrays = _archive.read_archive_fileobj(io.BytesIO(bytes(flipped)),
                                                             "m.npz", ("fastconv-model",))
        except ValueError as exc:
            assert "m.npz" in str(exc)
        else:
            assert manifest["model"]["class_name"] == "Sequential"
            got = [arrays[r["path"]] for r in manifest["variables"]]
            for a, b in zip(expected, got):
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("arch", [
    {"class_name": "Sequential", "config": {"layers": [{"class_name": "FakeDense",
                                                        "config": {"bogus": 1}}]}},
    {"class_name": "Sequential", "config": {"layers": [{"config": {}}]}},
    {"class_name": "Sequential", "config": {"layers": "not a list"}},
    {"class_name": "Sequential", "config": []},
])
def test_malformed_architecture_is_a_clear_error(tmp_path, arch):
    from fastconv.saving import _archive

    p = tmp_path / "m.npz"
    _archive.write_archive(str(p), "fastconv-model", [], extra={"model": arch,
                                                                 "build_input_shape": None})
    with pytest.raises(ValueError, match="m.npz|malformed"):
        saving.load_model(p, custom_objects=CUSTOM)
