"""The model zoo (fastconv.applications): exact parameter counts against the reference
implementations, summary(), forward + backward at small sizes, and loss falling under SGD.

The big networks are only built and summarised here, never run at 224x224."""

from __future__ import annotations

import io
import contextlib

import numpy as np
import pytest

import fastconv as tf
from fastconv import applications as zoo, keras


def _counts(model):
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    total = model.count_params()
    return trainable, total


def _bn_stats(model):
    # BatchNormalization moving_mean + moving_variance (torchvision: buffers, not parameters)
    return sum(2 * layer.moving_mean.shape[0] for layer in model._flatten_layers()
               if isinstance(layer, keras.layers.BatchNormalization))


def _summary_text(model):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        model.summary()
    return buf.getvalue()


# ---- parameter counts -------------------------------------------------------------------------
def test_lenet5_count_by_hand():
    c1 = 5 * 5 * 1 * 6 + 6
    c3 = 5 * 5 * 6 * 16 + 16
    c5 = 5 * 5 * 16 * 120 + 120
    f6 = 120 * 84 + 84
    out = 84 * 10 + 10
    assert c1 + c3 + c5 + f6 + out == 61_706
    for shape in [(32, 32, 1), (28, 28, 1)]:     # 28x28 is zero-padded to 32x32: same layout
        m = zoo.LeNet5(input_shape=shape)
        assert _counts(m) == (61_706, 61_706), shape
        assert m.output_shape == (None, 10)
    assert "Total params: 61,706" in _summary_text(zoo.LeNet5())


def test_alexnet_count_by_hand():
    convs = [(11, 3, 96), (5, 96, 256), (3, 256, 384), (3, 384, 384), (3, 384, 256)]
    fcs = [(6 * 6 * 256, 4096), (4096, 4096), (4096, 1000)]
    expected = sum(k * k * c * f + f for k, c, f in convs) + sum(i * o + o for i, o in fcs)
    assert expected == 62_378_344
    # the two-tower (grouped conv2/4/5) original would have 60,965,224
    grouped = expected - sum(k * k * (c - c // 2) * f for k, c, f in convs[1::2] + convs[4:])
    assert grouped == 60_965_224
    m = zoo.AlexNet()
    assert _counts(m) == (62_378_344, 62_378_344)
    assert [l.output_shape for l in m.layers if l.name in ("conv1", "pool5")] == [
        (None, 55, 55, 96), (None, 6, 6, 256)]
    text = _summary_text(m)
    assert "Total params: 62,378,344" in text and "lrn1 (LocalResponse" in text


@pytest.mark.parametrize("builder, trainable", [
    (zoo.ResNet18, 11_689_512), (zoo.ResNet34, 21_797_672), (zoo.ResNet50, 25_557_032),
    (zoo.ResNet101, 44_549_160), (zoo.ResNet152, 60_192_808)])
def test_resnet_counts_equal_torchvision(builder, trainable):
    m = builder()
    t, total = _counts(m)
    assert t == trainable                      # torchvision's count: BN weight+bias only
    assert total == trainable + _bn_stats(m)   # + moving mean/variance (non-trainable)
    assert m.output_shape == (None, 1000)
    if builder is zoo.ResNet18:
        assert total - t == 9_600
        assert "Add" in _summary_text(m)


def test_resnet18_small_input_count():
    m = zoo.ResNet18(input_shape=(32, 32, 3), classes=10, small_input=True)
    assert _counts(m)[0] == 11_173_962          # the usual CIFAR ResNet-18
    # no stem pool: stage 1 keeps 32x32, stage 4 is 4x4
    shapes = {l.name: l.output_shape for l in m.layers}
    assert shapes["stage1_block2_out"] == (None, 32, 32, 64)
    assert shapes["stage4_block2_out"] == (None, 4, 4, 512)



def _resnet18_small_count(w, c_in, classes):
    """Trainable parameters of the small-input ResNet-18 of width w, counted layer by layer:
    stem 3x3 conv + BN; per stage s (filters f = w * 2**s) two basic blocks of two 3x3 convs +
    BN, the first block of stages 2-4 with a 1x1 projection + BN; the classifier."""
    total = 9 * c_in * w + 2 * w
    prev = w
    for s in range(4):
        f = w * 2 ** s
        for b in range(2):
            cin = prev if b == 0 else f
            total += 9 * cin * f + 9 * f * f + 4 * f
            if b == 0 and s > 0:
                total += cin * f + 2 * f
        prev = f
    return total + 8 * w * classes + classes


@pytest.mark.parametrize("width,c_in", [(16, 1), (16, 3), (8, 3), (64, 3)])
def test_resnet18_width(width, c_in):
    m = zoo.ResNet18(input_shape=(28, 28, c_in), classes=10, small_input=True, width=width)
    assert _counts(m)[0] == _resnet18_small_count(width, c_in, 10)
    shapes = {l.name: l.output_shape for l in m.layers}
    assert shapes["stage4_block2_out"] == (None, 4, 4, 8 * width)
    assert _resnet18_small_count(16, 3, 10) == 701_466  # the docstring's figure
    with pytest.raises(ValueError, match="width"):
        zoo.ResNet("basic", (1, 1, 1, 1), width=0)

def test_googlenet_counts_equal_torchvision():
    m = zoo.GoogLeNet()
    t, total = _counts(m)
    assert t == 6_624_904
    assert total == t + _bn_stats(m)
    shapes = {l.name: l.output_shape for l in m.layers}
    assert shapes["pool1"] == (None, 56, 56, 64)
    assert shapes["inception3a_concat"] == (None, 28, 28, 256)
    assert shapes["inception4e_concat"] == (None, 14, 14, 832)
    assert shapes["inception5b_concat"] == (None, 7, 7, 1024)
    assert "Concatenate" in _summary_text(m)
    assert zoo.InceptionV1 is zoo.GoogLeNet


def test_googlenet_aux_heads_count():
    m = zoo.GoogLeNet(aux_heads=True)
    # torchvision googlenet(aux_logits=True, init_weights=...) : 13,004,888
    assert _counts(m)[0] == 13_004_888
    assert len(m.outputs) == 3


def test_keras_alias_and_bad_input_shapes():
    assert keras.applications.ResNet50 is zoo.ResNet50
    from fastconv.keras import applications
    assert applications.LeNet5 is zoo.LeNet5
    with pytest.raises(ValueError, match="AlexNet: input_shape .* too small.*>= 67"):
        zoo.AlexNet(input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="LeNet5: input_shape"):
        zoo.LeNet5(input_shape=(32, 32))
    with pytest.raises(ValueError, match="ResNet: block"):
        zoo.ResNet("wide", (1, 1, 1, 1))


# ---- forward + backward at small sizes -------------------------------------------------------
def _forward_backward(model, x, labels):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = tf.ops.softmax_cross_entropy(labels, logits)
    grads = tape.gradient(loss, model.trainable_weights)
    assert np.isfinite(float(np.asarray(loss)))
    missing = [v.name for v, g in zip(model.trainable_weights, grads) if g is None]
    assert not missing, f"no gradient for {missing[:5]}"
    for v, g in zip(model.trainable_weights, grads):
        g = np.asarray(g)
        assert g.shape == tuple(v.shape) and np.all(np.isfinite(g)), v.name
    return np.asarray(logits)


@pytest.mark.parametrize("name, make, shape", [
    ("lenet5", lambda: zoo.LeNet5(), (32, 32, 1)),
    ("lenet5_28", lambda: zoo.LeNet5(input_shape=(28, 28, 1)), (28, 28, 1)),
    ("resnet18_small", lambda: zoo.ResNet18(input_shape=(16, 16, 3), classes=10,
                                            small_input=True), (16, 16, 3)),
    ("resnet50_small", lambda: zoo.ResNet50(input_shape=(32, 32, 3), classes=10), (32, 32, 3)),
    ("googlenet_32", lambda: zoo.GoogLeNet(input_shape=(32, 32, 3), classes=10), (32, 32, 3)),
    ("alexnet_67", lambda: zoo.AlexNet(input_shape=(67, 67, 3), classes=10), (67, 67, 3)),
])
def test_forward_backward_small(name, make, shape, rng):
    tf.random.set_seed(0)
    model = make()
    x = rng.standard_normal((2,) + shape).astype(np.float32)
    labels = np.array([1, 3])
    logits = _forward_backward(model, x, labels)
    assert logits.shape == (2, 10)


def test_googlenet_aux_forward_backward(rng):
    tf.random.set_seed(0)
    model = zoo.GoogLeNet(input_shape=(80, 80, 3), classes=5, aux_heads=True)
    x = rng.standard_normal((1, 80, 80, 3)).astype(np.float32)
    with tf.GradientTape() as tape:
        main, a1, a2 = model(x, training=True)
        loss = (tf.ops.softmax_cross_entropy([2], main)
                + 0.3 * tf.ops.softmax_cross_entropy([2], a1)
                + 0.3 * tf.ops.softmax_cross_entropy([2], a2))
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(g is not None for g in grads)


# ---- training: the loss falls --------------------------------------------------------------
@pytest.mark.parametrize("make, shape, lr, steps", [
    (lambda: zoo.LeNet5(), (32, 32, 1), 0.1, 5),
    # a small ResNet: basic blocks (1, 1, 1, 1) with the CIFAR stem (ResNet-10), 8x8 images
    (lambda: zoo.ResNet("basic", (1, 1, 1, 1), input_shape=(8, 8, 3), classes=4,
                        small_input=True), (8, 8, 3), 0.05, 3),
])
def test_sgd_steps_reduce_loss(make, shape, lr, steps):
    tf.random.set_seed(1)
    g = np.random.default_rng(1)
    x = g.standard_normal((8,) + shape).astype(np.float32)
    y = g.integers(0, 4, size=8)
    model = make()
    opt = keras.optimizers.SGD(learning_rate=lr, momentum=0.9)
    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.ops.softmax_cross_entropy(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(grads, model.trainable_weights))
        losses.append(float(np.asarray(loss)))
    assert all(np.isfinite(losses)) and losses[-1] < 0.6 * losses[0], losses


def test_cli_registry_has_the_zoo():
    from fastconv.cli import MODELS

    for name in ("lenet5", "alexnet", "googlenet", "resnet18", "resnet34", "resnet50",
                 "resnet101", "resnet152"):
        assert name in MODELS
    m = MODELS["lenet5"][0]((28, 28, 1), 10)
    assert m.count_params() == 61_706
