"""fastconv.train.Checkpoint / CheckpointManager: counters, retention, resume, crashes, corruption."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from _saving_fakes import FakeAdam, FakeVariable, mlp, values
from fastconv import train
from fastconv.saving import _archive


def _setup(seed=0):
    model = mlp(seed=seed)
    opt = FakeAdam(model.variables)
    step = FakeVariable(0.0, "step")
    return model, opt, step, train.Checkpoint(step=step, optimizer=opt, model=model)


def _train(model, opt, step, n, start=0):
    rng = np.random.default_rng(1000)
    grads_per_step = [[rng.standard_normal(v.shape) for v in model.variables]
                      for _ in range(start + n)]
    for k in range(start, start + n):
        opt.step(grads_per_step[k])
        step.assign(step.numpy() + 1)


def _state(model, opt, step):
    return values(model) + [v.numpy() for v in opt.variables] + [opt.iterations.numpy(),
                                                                 step.numpy()]


def _assert_same(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_save_counter_paths_and_restore(tmp_path):
    model, opt, step, ckpt = _setup()
    prefix = str(tmp_path / "ckpt")
    _train(model, opt, step, 2)
    p1 = ckpt.save(prefix)
    assert p1 == prefix + "-1" and os.path.isfile(p1 + ".npz") and ckpt.save_counter == 1
    saved = _state(model, opt, step)
    _train(model, opt, step, 3, start=2)
    assert ckpt.save(prefix) == prefix + "-2"
    status = ckpt.restore(p1)
    status.assert_consumed()
    _assert_same(saved, _state(model, opt, step))
    assert ckpt.save_counter == 1
    assert ckpt.step is step and ckpt.model is model
    ckpt.restore(p1 + ".npz")  # the file name works too


def test_checkpoint_file_names_every_object(tmp_path):
    model, opt, step, ckpt = _setup()
    path = ckpt.save(str(tmp_path / "c"))
    with np.load(path + ".npz", allow_pickle=False) as z:
        names = set(z.files)
        manifest = json.loads(z["__fastconv_manifest__"].tobytes().decode())
    assert {"step", "optimizer/iterations", "optimizer/vars/0", "model/layers/0/vars/0",
            "model/layers/1/vars/1"} <= names
    assert manifest["format"] == "fastconv-checkpoint"
    assert manifest["checkpoint"]["save_counter"] == 1


def test_restore_none_is_a_noop():
    model, opt, step, ckpt = _setup()
    before = _state(model, opt, step)
    assert ckpt.restore(None).restored is False
    _assert_same(before, _state(model, opt, step))


def test_checkpoint_rejects_untrackable_objects():
    with pytest.raises(TypeError, match="epoch=3"):
        train.Checkpoint(epoch=3)
    with pytest.raises(ValueError, match="reserved"):
        train.Checkpoint(save_counter=FakeVariable(0.0))


def test_manager_keeps_last_k_and_writes_state(tmp_path):
    model, opt, step, ckpt = _setup()
    mgr = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=3)
    assert mgr.latest_checkpoint is None and mgr.checkpoints == []
    paths = []
    for _ in range(7):
        _train(model, opt, step, 1)
        paths.append(mgr.save())
    assert paths == [str(tmp_path / f"ckpt-{i}") for i in range(1, 8)]
    assert mgr.checkpoints == paths[-3:] and mgr.latest_checkpoint == paths[-1]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-5.npz", "ckpt-6.npz",
                                            "ckpt-7.npz"]
    state = json.loads((tmp_path / "checkpoint").read_text())
    assert state["checkpoints"] == ["ckpt-5", "ckpt-6", "ckpt-7"]
    assert train.latest_checkpoint(str(tmp_path)) == paths[-1]


def test_manager_max_to_keep_none_and_validation(tmp_path):
    _, _, _, ckpt = _setup()
    mgr = train.CheckpointManager(ckpt, str(tmp_path / "all"), max_to_keep=None)
    for _ in range(6):
        mgr.save()
    assert len(mgr.checkpoints) == 6
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="max_to_keep"):
            train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=bad)
    with pytest.raises(TypeError):
        train.CheckpointManager(object(), str(tmp_path))


def test_resume_after_restart_matches_uninterrupted_training(tmp_path):
    # uninterrupted: 5 steps
    model, opt, step, _ = _setup(seed=0)
    _train(model, opt, step, 5)
    reference = _state(model, opt, step)
    # interrupted: 3 steps, checkpoint each step, "process dies", new process resumes
    model, opt, step, ckpt = _setup(seed=0)
    mgr = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    for k in range(3):
        _train(model, opt, step, 1, start=k)
        mgr.save()
    model2, opt2, step2, ckpt2 = _setup(seed=42)  # fresh objects, different init
    mgr2 = train.CheckpointManager(ckpt2, str(tmp_path), max_to_keep=2)
    assert mgr2.latest_checkpoint == str(tmp_path / "ckpt-3")
    ckpt2.restore(mgr2.latest_checkpoint)
    assert ckpt2.save_counter == 3 and int(step2.numpy()) == 3
    _train(model2, opt2, step2, 2, start=3)
    _assert_same(reference, _state(model2, opt2, step2))
    assert mgr2.save() == str(tmp_path / "ckpt-4")  # numbering continues


def test_crash_mid_save_keeps_previous_checkpoints(tmp_path, monkeypatch):
    model, opt, step, ckpt = _setup()
    mgr = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    mgr.save()
    _train(model, opt, step, 1)
    mgr.save()
    good = _state(model, opt, step)
    listing = sorted(os.listdir(tmp_path))

    def crash(f, members):
        f.write(b"PK\x03\x04 half a checkpoint")
        raise OSError("power cut (simulated)")

    monkeypatch.setattr(_archive, "_savez", crash)
    _train(model, opt, step, 1)
    with pytest.raises(OSError, match="simulated"):
        mgr.save()
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == listing  # nothing lost, nothing half-written
    assert mgr.latest_checkpoint == str(tmp_path / "ckpt-2")
    model2, opt2, step2, ckpt2 = _setup(seed=5)
    ckpt2.restore(train.CheckpointManager(ckpt2, str(tmp_path)).latest_checkpoint)
    _assert_same(good, _state(model2, opt2, step2))


def test_partial_temp_file_from_killed_process_is_ignored(tmp_path):
    model, opt, step, ckpt = _setup()
    mgr = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=3)
    mgr.save()
    good = _state(model, opt, step)
    # What a SIGKILL during the next save leaves behind: a partial temp file (no rename).
    stray = tmp_path / ".ckpt-2.npz.k3j2_x.tmp"
    stray.write_bytes(b"PK\x03\x04truncated")
    stray_state = tmp_path / ".checkpoint.zz.tmp"
    stray_state.write_bytes(b'{"checkpoints": ["ckpt-2"')
    model2, opt2, step2, ckpt2 = _setup(seed=5)
    mgr2 = train.CheckpointManager(ckpt2, str(tmp_path), max_to_keep=3)
    assert mgr2.checkpoints == [str(tmp_path / "ckpt-1")]
    ckpt2.restore(mgr2.latest_checkpoint)
    _assert_same(good, _state(model2, opt2, step2))
    mgr2.save()
    assert not stray.exists() and not stray_state.exists()  # cleaned up by the next save
    assert mgr2.latest_checkpoint == str(tmp_path / "ckpt-2")


def test_corrupt_checkpoint_rejected_model_untouched(tmp_path):
    model, opt, step, ckpt = _setup()
    mgr = train.CheckpointManager(ckpt, str(tmp_path))
    path = mgr.save()
    blob = (tmp_path / "ckpt-1.npz").read_bytes()
    model2, opt2, step2, ckpt2 = _setup(seed=5)
    before = _state(model2, opt2, step2)
    data_at = blob.find(model.layers[0].kernel.numpy().tobytes())  # a weight's raw bytes
    manifest_at = blob.find(b'"format"')
    assert data_at > 0 and manifest_at > 0

    def flip(i):
        return blob[:i] + bytes([blob[i] ^ 0x10]) + blob[i + 1:]

    for damage in (blob[: len(blob) // 2], blob[:-1], flip(data_at + 5), flip(manifest_at + 3),
                   flip(len(blob) - 10)):
        (tmp_path / "ckpt-1.npz").write_bytes(damage)
        with pytest.raises(ValueError, match="ckpt-1.npz"):
            ckpt2.restore(path)
        _assert_same(before, _state(model2, opt2, step2))
        assert ckpt2.save_counter == 0
    os.unlink(tmp_path / "ckpt-1.npz")
    with pytest.raises(FileNotFoundError, match="ckpt-1"):
        ckpt2.restore(path)


def test_restore_into_different_objects_fails_cleanly(tmp_path):
    model, opt, step, ckpt = _setup()
    path = ckpt.save(str(tmp_path / "c"))
    other = mlp(hidden=6)
    before = values(other)
    with pytest.raises(ValueError, match=r"model/layers/0/vars/0.*\(3, 6\).*\(3, 4\)"):
        train.Checkpoint(step=FakeVariable(0.0), optimizer=FakeAdam(other.variables),
                         model=other).restore(path)
    _assert_same(before, values(other))
    with pytest.raises(ValueError, match="not in the file"):
        train.Checkpoint(step=step, optimizer=opt, model=model,
                         extra=FakeVariable(1.0)).restore(path)
    with pytest.raises(ValueError, match="does not have"):
        train.Checkpoint(model=model).restore(path)


def test_weights_file_is_not_a_checkpoint(tmp_path):
    from fastconv import saving
    model, opt, step, ckpt = _setup()
    saving.save_weights(model, tmp_path / "w.npz")
    with pytest.raises(ValueError, match="format"):
        ckpt.restore(str(tmp_path / "w.npz"))


def test_unreadable_state_file_recovers_from_directory(tmp_path):
    _, _, _, ckpt = _setup()
    mgr = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=5)
    for _ in range(3):
        mgr.save()
    (tmp_path / "checkpoint").write_bytes(b"\x00garbage")
    with pytest.warns(RuntimeWarning, match="unreadable"):
        mgr2 = train.CheckpointManager(ckpt, str(tmp_path))
    assert mgr2.checkpoints == [str(tmp_path / f"ckpt-{i}") for i in (1, 2, 3)]
    assert train.latest_checkpoint(str(tmp_path)) is None


def test_nested_checkpoint_and_write(tmp_path):
    inner = train.Checkpoint(v=FakeVariable([1.0, 2.0], "v"))
    outer = train.Checkpoint(inner=inner, w=FakeVariable(3.0, "w"))
    path = outer.write(str(tmp_path / "plain"))
    assert path == str(tmp_path / "plain") and outer.save_counter == 0
    inner.v.assign([0.0, 0.0])
    outer.restore(path)
    np.testing.assert_array_equal(inner.v.numpy(), [1.0, 2.0])


def test_lazy_slot_optimizer_resume_without_build(tmp_path):
    from _saving_fakes import LazySlotSGD

    rng = np.random.default_rng(3)
    grads = [[rng.standard_normal(v.shape) for v in mlp().variables] for _ in range(4)]

    def run(model, opt, ks):
        for k in ks:
            opt.apply_gradients(zip(grads[k], model.variables))

    model, opt = mlp(seed=0), LazySlotSGD()
    run(model, opt, range(4))
    reference = values(model)

    model, opt = mlp(seed=0), LazySlotSGD()
    run(model, opt, range(2))
    path = train.Checkpoint(model=model, optimizer=opt).save(str(tmp_path / "c"))
    with np.load(path + ".npz", allow_pickle=False) as z:
        assert "optimizer/slots/model/layers/1/vars/0/velocity" in z.files
        assert int(z["optimizer/iterations"]) == 2
    model2, opt2 = mlp(seed=5), LazySlotSGD()  # no slots yet: restore creates them
    train.Checkpoint(model=model2, optimizer=opt2).restore(path)
    assert opt2.iterations == 2 and len(opt2._slots) == 4
    run(model2, opt2, range(2, 4))
    _assert_same(reference, values(model2))
    # a checkpoint whose slots belong to variables the new objects do not have is refused
    with pytest.raises(ValueError, match="slots/model/layers/1"):
        train.Checkpoint(model=type(model)([model.layers[0]]), optimizer=LazySlotSGD()) \
            .restore(path)


def test_checkpoint_file_byte_flips_rejected_or_harmless(tmp_path):
    import io

    ckpt = train.Checkpoint(step=FakeVariable(7.0, "step"))
    path = ckpt.save(str(tmp_path / "c"))
    with open(path + ".npz", "rb") as f:
        blob = f.read()
    rejected = 0
    for i in range(len(blob)):
        flipped = bytearray(blob)
        flipped[i] ^= 0x40
        try:
            manifest, arrays = _archive.read_archive_fileobj(
                io.BytesIO(bytes(flipped)), "c-1.npz", ("fastconv-checkpoint",))
        except ValueError as exc:
            assert "c-1.npz" in str(exc)
            rejected += 1
        else:
            assert float(arrays["step"]) == 7.0 and manifest["checkpoint"]["save_counter"] == 1
    assert rejected > 0.8 * len(blob)


def test_lab_pattern_checkpoint_save_each_epoch_then_latest_checkpoint(tmp_path):
    """tf.train.Checkpoint(cnn=model).save(prefix) every epoch, then
    restore(tf.train.latest_checkpoint(dir)) — the directory is created by save."""
    ckpt_dir = tmp_path / "checkpoints" / "mnist_cnn"
    prefix = str(ckpt_dir / "ckpt")
    assert train.latest_checkpoint(str(ckpt_dir)) is None  # no directory yet: None, as in TF
    model, opt, step, _ = _setup()
    ckpt = train.Checkpoint(cnn=model)
    for epoch in range(3):
        _train(model, opt, step, 1, start=epoch)
        ckpt.save(file_prefix=prefix)
    assert train.latest_checkpoint(str(ckpt_dir)) == prefix + "-3"
    assert sorted(os.listdir(ckpt_dir)) == ["checkpoint", "ckpt-1.npz", "ckpt-2.npz",
                                            "ckpt-3.npz"]
    fresh = mlp(seed=11)
    train.Checkpoint(cnn=fresh).restore(train.latest_checkpoint(str(ckpt_dir)))
    _assert_same(values(model), values(fresh))
    # a manager opened on the same directory continues the sequence
    mgr = train.CheckpointManager(ckpt, str(ckpt_dir), max_to_keep=2)
    assert mgr.latest_checkpoint == prefix + "-3"
    assert mgr.save() == prefix + "-4"
    assert sorted(os.listdir(ckpt_dir)) == ["checkpoint", "ckpt-3.npz", "ckpt-4.npz"]
    os.unlink(ckpt_dir / "ckpt-4.npz")  # a recorded file deleted by hand
    assert train.latest_checkpoint(str(ckpt_dir)) is None


def test_manager_explicit_checkpoint_number(tmp_path):
    _, _, _, ckpt = _setup()
    mgr = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=3)
    assert mgr.save(checkpoint_number=100) == str(tmp_path / "ckpt-100")
    assert mgr.save() == str(tmp_path / "ckpt-101")
    assert mgr.checkpoints == [str(tmp_path / "ckpt-100"), str(tmp_path / "ckpt-101")]
