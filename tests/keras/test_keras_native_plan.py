"""Native inference plans (_core.InferencePlan, built by keras/models/_plan.py): a Sequential
model whose every inference step has a native form runs its plan as one native call. It calls
the same kernels with the same arguments as the Python steps, so its output must be the normal
path's bits; it must see weight changes, fall back to the Python steps where a layer has no
native form, be safe to call from several threads, and reject bad input with clear errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import fastconv as fc
from fastconv import _core, keras
from fastconv.keras.models import sequential
from test_keras_inference_plan import _lab_cnn  # the lab's MNIST CNN as the lab writes it


LAB_OPS = ["conv_maxpool"] * 3 + ["reshape", "dense", "identity", "dense"]


def _normal(model, x):
    with fc.GradientTape():  # a recording tape keeps the normal path
        return model(x, training=False).numpy()


def _native(model, x):
    plan = model.__dict__.get("_plans", {}).get((x.shape, x.dtype))
    return getattr(plan, "native", None)


def _run(model, x):
    """The third call: the first takes the normal path, the second builds the plan."""
    model(x), model(x)
    return model(x, training=False).numpy()


def _rand(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("batch", [1, 2, 100])
def test_lab_cnn_runs_natively_with_the_normal_paths_bits(isa, rng, batch):
    model = _lab_cnn()
    x = _rand(rng, (batch, 28, 28, 1))
    y = _run(model, x)
    native = _native(model, x)
    assert native is not None and native.ops == LAB_OPS
    assert native.input_shape == [batch, 28, 28, 1] and native.output_shape == [batch, 10]
    np.testing.assert_array_equal(y, _normal(model, x))


def test_native_plan_equals_the_python_steps(rng, monkeypatch):
    model = _lab_cnn()
    x = _rand(rng, (3, 28, 28, 1))
    native = _run(model, x)
    python = _lab_cnn()
    python.set_weights(model.get_weights())
    monkeypatch.setattr(sequential, "native_plan", lambda shape, steps: None)
    np.testing.assert_array_equal(_run(python, x), native)
    assert _native(python, x) is None


MODELS = {
    # every native step kind, with and without bias, linear and ReLU, strides, dilation,
    # 'valid' and 'same', pooling not after a convolution, odd channel counts
    "lenet": lambda: keras.Sequential([
        keras.layers.Conv2D(6, 5, padding="same", activation="relu", input_shape=(20, 18, 3)),
        keras.layers.AveragePooling2D(2),
        keras.layers.Conv2D(16, 5, activation="relu", use_bias=False),
        keras.layers.MaxPooling2D(2, strides=1, padding="same"),
        keras.layers.Flatten(),
        keras.layers.Dense(30, activation="relu"),
        keras.layers.Dense(7, use_bias=False),
    ]),
    "strided": lambda: keras.Sequential([
        keras.layers.Conv2D(9, 3, strides=2, input_shape=(17, 15, 5)),
        keras.layers.Conv2D(11, 3, dilation_rate=2, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(3, strides=2),
        keras.layers.Dropout(0.5),
        keras.layers.MaxPooling2D(2, padding="same"),
        keras.layers.Flatten(),
        keras.layers.Dense(5),
    ]),
    "conv_only": lambda: keras.Sequential([
        keras.layers.Conv2D(8, 3, padding="same", input_shape=(6, 7, 2)),
    ]),
    # the lab's classifier head written with softmax (and tf.nn.softmax, the same function)
    "softmax_head": lambda: keras.Sequential([
        keras.layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(12, activation=fc.nn.relu),
        keras.layers.Dense(10, activation=fc.nn.softmax),
    ]),
}
MODEL_OPS = {
    "lenet": ["conv", "avgpool", "conv_maxpool", "reshape", "dense", "dense"],
    "strided": ["conv", "conv_maxpool", "identity", "maxpool", "reshape", "dense"],
    "conv_only": ["conv"],
    "softmax_head": ["conv_maxpool", "reshape", "dense", "dense", "softmax"],
}


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("batch", [1, 4])
def test_models_of_every_native_step(rng, name, batch):
    model = MODELS[name]()
    x = _rand(rng, (batch,) + tuple(model.input_shape[1:]))
    y = _run(model, x)
    assert _native(model, x).ops == MODEL_OPS[name]
    np.testing.assert_array_equal(y, _normal(model, x))


def test_reshapes_only_copy_the_input(rng):
    model = keras.Sequential([keras.layers.Flatten(input_shape=(3, 4, 2)),
                              keras.layers.Dropout(0.2)])
    x = _rand(rng, (2, 3, 4, 2))
    y = _run(model, x)
    assert _native(model, x).ops == ["reshape", "identity"]
    np.testing.assert_array_equal(y, x.reshape(2, 24))
    assert not np.shares_memory(y, x)


@pytest.mark.parametrize("layer", [
    lambda: keras.layers.BatchNormalization(),
    lambda: keras.layers.Activation("softmax"),
    lambda: keras.layers.Dense(4, activation="sigmoid"),
])
def test_a_layer_without_native_form_keeps_the_python_steps(rng, layer):
    model = keras.Sequential([keras.layers.Flatten(input_shape=(4, 4, 3)),
                              keras.layers.Dense(6, activation="relu"), layer()])
    x = _rand(rng, (2, 4, 4, 3))
    y = _run(model, x)
    assert _native(model, x) is None
    assert callable(model.__dict__["_plans"][(x.shape, x.dtype)])
    np.testing.assert_array_equal(y, _normal(model, x))


def test_weight_changes_are_seen(rng):
    model = _lab_cnn()
    x = _rand(rng, (1, 28, 28, 1))
    before = _run(model, x)
    weights = model.get_weights()
    model.set_weights([w * 0.5 for w in weights])
    halved = model(x).numpy()
    assert not np.array_equal(halved, before)
    np.testing.assert_array_equal(halved, _normal(model, x))
    model.layers[-1].bias.assign(np.full(10, 3.0, np.float32))
    np.testing.assert_array_equal(model(x).numpy(), _normal(model, x))
    # an optimizer step updates the Variables in place
    opt = keras.optimizers.Adam(0.01)
    with fc.GradientTape() as tape:
        loss = fc.reduce_sum(model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    np.testing.assert_array_equal(model(x).numpy(), _normal(model, x))


def test_concurrent_calls_from_several_threads(rng):
    model = _lab_cnn()
    xs = [_rand(rng, (1, 28, 28, 1)) for _ in range(4)]
    expected = [_run(model, x) for x in xs]
    assert _native(model, xs[0]) is not None
    errors, results = [], {}

    def work(i):
        try:
            for _ in range(30):
                y = model(xs[i]).numpy()
                if not np.array_equal(y, expected[i]):
                    errors.append(i)
            results[i] = y
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4


def test_plan_errors_name_the_step_and_shapes(rng):
    w = _rand(rng, (3, 3, 2, 4))
    conv = ("conv", (w, None), (1, 1, 1, 1, 1, 1, 1, 1, 0))
    plan = _core.InferencePlan([1, 5, 5, 2], [conv])
    assert plan.ops == ["conv"] and plan.output_shape == [1, 5, 5, 4] and len(plan) == 1
    with pytest.raises(ValueError, match=r"x has shape \(1, 5, 5, 3\), the plan was built for "
                                         r"\(1, 5, 5, 2\)"):
        plan(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(TypeError):
        plan(np.zeros((1, 5, 5, 2), np.float64))  # no implicit conversion
    with pytest.raises(ValueError, match=r"step 0 \(conv\): the input has 3 channels but w "
                                         r"expects 2"):
        _core.InferencePlan([1, 5, 5, 3], [conv])
    with pytest.raises(ValueError, match=r"step 1 \(dense\) needs a rank-2 input, got "
                                         r"\(1, 5, 5, 4\)"):
        _core.InferencePlan([1, 5, 5, 2], [conv, ("dense", (w, None), (0,))])
    with pytest.raises(ValueError, match=r"step 0 \(dense\): b has 3 values, expected 4"):
        _core.InferencePlan([2, 7], [("dense", (_rand(rng, (7, 4)), _rand(rng, (3,))), (1,))])
    with pytest.raises(ValueError, match=r"cannot reshape \(2, 7\) to \(2, 8\)"):
        _core.InferencePlan([2, 7], [("reshape", (), (2, 8))])
    with pytest.raises(ValueError, match="unknown op kind 'sigmoid'"):
        _core.InferencePlan([2, 7], [("sigmoid", (), ())])
    with pytest.raises(ValueError, match=r"step 0 \(softmax\) needs at least one class"):
        _core.InferencePlan([2, 0], [("softmax", (), ())])
    with pytest.raises(ValueError, match=r"step 0 \(identity\) takes no integers"):
        _core.InferencePlan([2, 7], [("identity", (), (1,))])
    with pytest.raises(ValueError, match="must be a C-contiguous float32 array"):
        _core.InferencePlan([1, 5, 5, 2], [("conv", (w.astype(np.float64), None),
                                            (1, 1, 1, 1, 1, 1, 1, 1, 0))])
    with pytest.raises(ValueError, match="takes 9 integers, got 3"):
        _core.InferencePlan([1, 5, 5, 2], [("conv", (w, None), (1, 1, 0))])
    with pytest.raises(ValueError, match="InferencePlan maxpool"):
        _core.InferencePlan([1, 2, 2, 1], [("maxpool", (), (3, 3, 1, 1, 0, 0, 0, 0))])


def test_zero_batch(rng):
    model = _lab_cnn()
    x = np.zeros((0, 28, 28, 1), np.float32)
    y = _run(model, x)
    assert y.shape == (0, 10)


# ---- the shortcut from Layer.__call__ straight to a model's plan (base._call_plan) ----------

def test_direct_call_takes_the_plan_only_where_call_would(rng, monkeypatch):
    model = _lab_cnn()
    x = _rand(rng, (2, 28, 28, 1))
    y = _run(model, x)
    ran, via_call = [], []
    plan = model.__dict__["_plans"][(x.shape, x.dtype)]

    def counting(v):
        ran.append(v.shape)
        return plan(v)
    model.__dict__["_plans"][(x.shape, x.dtype)] = counting
    real_run_plan = sequential.run_plan

    def run_plan(*a):  # what Sequential.call uses: reached only without the shortcut
        via_call.append(1)
        return real_run_plan(*a)
    monkeypatch.setattr(sequential, "run_plan", run_plan)
    for out in (model(x), model(x, training=False), model(fc.convert_to_tensor(x)),
                model(x, training=None), model(x, training=0)):
        np.testing.assert_array_equal(out.numpy(), y)
    assert len(ran) == 5 and via_call == []
    # the normal path: training on (dropout active), a recording tape, another dtype, a view
    # with strides (converted, then call() may run the plan), an unexpected argument
    assert not np.array_equal(model(x, training=True).numpy(), y)
    with fc.GradientTape():
        np.testing.assert_array_equal(model(x).numpy(), y)
    np.testing.assert_array_equal(model(x.astype(np.float64)).numpy(), y)
    wide = np.zeros((2, 28, 56, 1), np.float32)
    wide[:, :, ::2] = x
    np.testing.assert_array_equal(model(wide[:, :, ::2]).numpy(), y)
    with pytest.raises(TypeError):
        model(x, mask=None)
    assert len(via_call) >= 2  # the float64 input and the strided view went through call()


def test_training_flag_of_an_enclosing_call_is_respected(rng):
    inner = keras.Sequential([keras.layers.Flatten(input_shape=(4, 4, 1)),
                              keras.layers.Dropout(0.5)])
    x = np.ones((3, 4, 4, 1), np.float32)
    np.testing.assert_array_equal(_run(inner, x), x.reshape(3, 16))
    outer = keras.Sequential([keras.layers.InputLayer(input_shape=(4, 4, 1)), inner])
    y = outer(x, training=True).numpy()  # inner runs under the enclosing training=True
    assert set(np.unique(y)) <= {0.0, 2.0} and (y == 0).any()


class _Doubled(keras.Sequential):
    def call(self, inputs, training=None):
        return super().call(inputs, training=training) * 2.0


def test_a_subclass_overriding_call_is_never_bypassed(rng):
    layers = [keras.layers.Flatten(input_shape=(3, 3, 2)), keras.layers.Dense(4)]
    model, plain = _Doubled(layers), keras.Sequential(layers)
    x = _rand(rng, (2, 3, 3, 2))
    expected = 2.0 * _run(plain, x)
    for _ in range(4):
        np.testing.assert_array_equal(model(x).numpy(), expected)


def test_functional_model_direct_calls(rng):
    inp = keras.Input(shape=(6, 6, 2))
    h = keras.layers.Conv2D(3, 3, activation="relu")(inp)
    out = keras.layers.Dense(2)(keras.layers.Flatten()(h))
    model = keras.Model(inp, out)
    x = _rand(rng, (2, 6, 6, 2))
    y = _run(model, x)
    np.testing.assert_array_equal(y, _normal(model, x))
    np.testing.assert_array_equal(model(x).numpy(), y)


def test_softmax_head_in_a_python_plan(rng):
    # A layer without native form keeps the Python steps; the Dense + softmax step is then the
    # two kernels in Python, with the same bits.
    model = keras.Sequential([keras.layers.Flatten(input_shape=(4, 4, 3)),
                              keras.layers.BatchNormalization(),
                              keras.layers.Dense(5, activation="softmax")])
    x = _rand(rng, (3, 4, 4, 3))
    y = _run(model, x)
    assert _native(model, x) is None
    np.testing.assert_array_equal(y, _normal(model, x))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)


def _functional_lab_cnn(outputs_as_list=False):
    """The lab CNN as the lab writes it with the functional API."""
    layers = keras.layers
    inp = keras.Input(shape=(28, 28, 1))
    h = inp
    for filters in (32, 64, 128):
        h = layers.Conv2D(filters, 3, activation="relu", padding="same")(h)
        h = layers.MaxPool2D(padding="same")(h)
    h = layers.Dense(256, activation="relu")(layers.Flatten()(h))
    out = layers.Dense(10)(layers.Dropout(0.4)(h))
    return keras.Model(inputs=inp, outputs=[out] if outputs_as_list else out)


@pytest.mark.parametrize("batch", [1, 5])
def test_functional_chain_runs_natively_with_the_sequential_bits(isa, rng, batch):
    functional = _functional_lab_cnn()
    sequential_model = _lab_cnn()
    sequential_model.set_weights(functional.get_weights())
    x = _rand(rng, (batch, 28, 28, 1))
    y = _run(functional, x)
    native = _native(functional, x)
    assert native is not None and native.ops == LAB_OPS
    np.testing.assert_array_equal(y, _normal(functional, x))
    np.testing.assert_array_equal(y, _run(sequential_model, x))
    np.testing.assert_array_equal(functional(x).numpy(), y)  # the direct-call shortcut


def test_functional_chain_with_a_list_of_outputs(rng):
    model = _functional_lab_cnn(outputs_as_list=True)
    x = _rand(rng, (2, 28, 28, 1))
    model(x), model(x)
    out = model(x, training=False)
    assert isinstance(out, list) and len(out) == 1
    assert _native(model, x) is not None
    with fc.GradientTape():  # the normal path
        expected = model(x, training=False)[0].numpy()
    np.testing.assert_array_equal(out[0].numpy(), expected)


def test_functional_weight_changes_are_seen(rng):
    model = _functional_lab_cnn()
    x = _rand(rng, (1, 28, 28, 1))
    _run(model, x)
    assert _native(model, x) is not None
    dense = model.layers[-1]
    dense.kernel.assign(dense.kernel.numpy() * 2.0)
    np.testing.assert_array_equal(model(x, training=False).numpy(), _normal(model, x))


def test_functional_dag_keeps_the_python_steps(rng):
    # Branches and merges (a residual block) have no native plan: the Python steps, same bits.
    inp = keras.Input(shape=(8, 8, 4))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    out = keras.layers.Flatten()(keras.layers.Add()([inp, h]))
    model = keras.Model(inp, out)
    x = _rand(rng, (2, 8, 8, 4))
    y = _run(model, x)
    assert model.__dict__["_plans"].get((x.shape, x.dtype)) is not None  # a (Python) plan ran
    assert _native(model, x) is None
    np.testing.assert_array_equal(y, _normal(model, x))


def test_functional_chain_with_a_non_native_layer_keeps_the_python_steps(rng):
    inp = keras.Input(shape=(4, 4, 3))
    h = keras.layers.BatchNormalization()(keras.layers.Flatten()(inp))
    model = keras.Model(inp, keras.layers.Dense(5, activation="softmax")(h))
    x = _rand(rng, (3, 4, 4, 3))
    y = _run(model, x)
    assert _native(model, x) is None
    np.testing.assert_array_equal(y, _normal(model, x))
