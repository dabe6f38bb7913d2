"""Layer: the base of every layer and model; KerasTensor and Node for functional graphs.

A Layer owns Variables made by ``add_weight`` (in ``build(input_shape)``, run once on the first
call, with the batch dimension as None), tracks the layers and Variables assigned to its attributes
(also inside lists, tuples and dicts, in assignment order), and runs ``call``.

Calling a layer on a KerasTensor (the symbolic placeholder ``keras.Input`` returns) does not
compute anything: it builds the layer, infers the output shape and records a Node, which is how
functional models are described. Calling it on arrays/Tensors runs it eagerly.

``training``: an explicit ``training=`` argument wins; otherwise a layer called inside another
layer's call inherits the outer call's value (so ``model(x, training=True)`` reaches the
BatchNormalization and Dropout layers inside nested blocks); otherwise call's own default applies.
"""

from __future__ import annotations

import inspect
import re
import threading

import numpy as np

from fastconv.autograd import Tensor, Variable
from fastconv.autograd._state import _STATE
from fastconv.autograd.tensor import _wrap
from fastconv.keras import initializers as _inits

__all__ = ["Layer", "KerasTensor", "Node", "InputSpec"]

_NAMES = {}


def _snake(name):
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(base):
    """'conv2d', 'conv2d_1', ... as Keras names layers (counters reset by clear_session)."""
    n = _NAMES.get(base, 0)
    _NAMES[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def clear_session():
    """Reset the automatic layer-name counters (keras.backend.clear_session)."""
    _NAMES.clear()


class _CallContext(threading.local):
    def __init__(self):
        self.training = []


_CTX = _CallContext()


def flatten(structure):
    if isinstance(structure, (list, tuple)):
        out = []
        for s in structure:
            out.extend(flatten(s))
        return out
    if isinstance(structure, dict):
        out = []
        for k in structure:
            out.extend(flatten(structure[k]))
        return out
    return [structure]


def map_structure(fn, structure):
    if isinstance(structure, list):
        return [map_structure(fn, s) for s in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


def shape_str(shape):
    """(None, 28, 28, 32) -> '(None, 28, 28, 32)'; lists of shapes as lists."""
    if isinstance(shape, list):
        return "[" + ", ".join(shape_str(s) for s in shape) + "]"
    if shape is None:
        return "?"
    if isinstance(shape, str):
        return shape
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


class KerasTensor:
    """A symbolic value: shape (batch first, None when unknown) and the layer call producing it."""

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name
        self._keras_history = None  # (layer, node_index, tensor_index)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        who = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{who}>"

    def numpy(self):
        raise TypeError("A symbolic KerasTensor has no value: it only describes a model's "
                        "graph. Build a keras.Model(inputs, outputs) and call it on data.")

    def __array__(self, *args, **kwargs):
        self.numpy()


class Node:
    """One call of a layer in a functional graph: input KerasTensors (in a structure), outputs."""

    def __init__(self, layer, call_inputs, call_kwargs, outputs):
        self.layer = layer
        self.call_inputs = call_inputs      # the structure the layer was called with
        self.call_kwargs = call_kwargs      # non-tensor keyword arguments (e.g. training)
        self.input_tensors = [t for t in flatten(call_inputs) if isinstance(t, KerasTensor)]
        self.outputs = outputs              # KerasTensor or list of them
        self.output_tensors = flatten(outputs)

    @property
    def parent_nodes(self):
        out = []
        for t in self.input_tensors:
            layer, ni, _ = t._keras_history
            out.append(layer._inbound_nodes[ni])
        return out


class InputSpec:
    """Expected rank of a layer's input: ndim exactly, or at least min_ndim."""

    def __init__(self, ndim=None, min_ndim=None):
        self.ndim, self.min_ndim = ndim, min_ndim

    def check(self, layer, index, shape):
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(
                f"Input {index} of layer \"{layer.name}\" ({type(layer).__name__}) is "
                f"incompatible with the layer: expected ndim={self.ndim}, found "
                f"ndim={len(shape)}. Full shape received: {shape_str(tuple(shape))}")
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(
                f"Input {index} of layer \"{layer.name}\" ({type(layer).__name__}) is "
                f"incompatible with the layer: expected min_ndim={self.min_ndim}, found "
                f"ndim={len(shape)}. Full shape received: {shape_str(tuple(shape))}")


# Attribute values that can hold no Layer or Variable: skipped by type before any isinstance.
_PLAIN_TYPES = frozenset({bool, int, float, complex, str, bytes, type(None), np.ndarray,
                          np.float32, np.float64, np.int64, np.int32, type(len),
                          type(lambda: None)})

# attributes never scanned for sub-layers / variables
_UNTRACKED = frozenset({"_inbound_nodes", "_outbound_nodes", "_call_sig", "input_spec",
                        "_last_output_shape", "_batch_input_shape", "optimizer",
                        "compiled_loss", "compiled_metrics", "history", "_loss_obj",
                        "_metric_objs", "stop_training", "_functional_inputs",
                        "_functional_outputs", "_nodes_in_order", "inputs", "outputs",
                        "_input_tensor", "_plans", "_steps"})


# ---- inference steps (see keras/models/_plan.py) ------------------------------------------
_MAX_STEPS = 16    # input (shape, dtype) keys remembered per layer or model
_ABSENT = object()
_SEEN = object()   # the key ran once through the normal path: build the step on the next call
_F32 = np.dtype(np.float32)


class StepCache(dict):
    """{(shape, dtype): a step or plan, _SEEN, or None (none possible: the normal path)}.
    Not copied with its layer or model: a step holds the layer it was built from, so a copy
    starts empty."""

    def __deepcopy__(self, memo):
        return StepCache()

    def __copy__(self):
        return StepCache()

    def __reduce__(self):
        return (StepCache, ())


def cached_step(owner, attr, inputs, build):
    """The output for `inputs` (a Tensor) from owner's step for its input key, or None when
    the caller must take the normal path: the first call with a key does (it validates the
    shapes), the second builds the step with build(x) -> (step, output for x) or (None,
    None), later ones run it. Steps take and return float32 C-contiguous arrays."""
    if _STATE.tapes:
        return None
    v = inputs._value
    key = (v.shape, v.dtype)
    cache = owner.__dict__.get(attr)
    if cache is None:
        cache = owner.__dict__[attr] = StepCache()
    step = cache.get(key, _ABSENT)
    if step is _ABSENT:
        if len(cache) >= _MAX_STEPS:
            cache.clear()
        cache[key] = _SEEN
        return None
    if step is None:
        return None
    if v.dtype != _F32 or not v.flags.c_contiguous:
        v = np.ascontiguousarray(v, _F32)
    if step is _SEEN:
        cache[key], out = build(v)
        return out
    return step(v)


# The call() methods that run a model's plans through run_plan (Sequential.call, the functional
# Model.call), registered by their modules.
_PLAN_CALLS = set()


def _call_plan(model, plans, inputs, args, kwargs):
    """model(inputs, **kwargs) straight from the model's plan for inputs' shape, or _ABSENT.

    Layer.__call__ would wrap the array, check it, resolve the training flag, call call(), which
    looks the plan up again and runs it. A batch-1 inference spent ~12 us of ~200 on that
    (lab CNN, 1 thread: the model's dense layer evicts that Python code and its data from the
    caches on every call). This takes the plan only where that path would run exactly it: the
    model's call() is the one that runs plans (not a subclass's override), one float32
    C-contiguous array or Tensor, at most a training argument, training off (explicitly or by
    the enclosing call), no tape recording, and a plan built for that input."""
    if args or _STATE.tapes or type(model).call not in _PLAN_CALLS:
        return _ABSENT
    kind = type(inputs)
    if kind is np.ndarray:
        v = inputs
    elif kind is Tensor:
        v = inputs._value
    else:
        return _ABSENT
    training = None
    if kwargs:
        if len(kwargs) != 1 or "training" not in kwargs:
            return _ABSENT
        training = kwargs["training"]
    if training is None:
        stack = _CTX.training
        training = stack[-1] if stack else None
    if training:
        return _ABSENT
    plan = plans.get((v.shape, v.dtype))
    if plan is None or plan is _SEEN or v.dtype != _F32 or not v.flags.c_contiguous:
        return _ABSENT
    out = plan(v)
    _record_output_shape(model, out)
    return out


def _record_output_shape(layer, out):
    """layer._last_output_shape from its output(s): (None,) + shape[1:] each, None for a
    scalar."""
    if type(out) is Tensor:
        shape = out._value.shape
        layer.__dict__["_last_output_shape"] = (None,) + shape[1:] if shape else None
    else:
        layer._last_output_shape = map_structure(
            lambda t: (None,) + tuple(t.shape)[1:] if hasattr(t, "shape") and len(t.shape)
            else None, out)


def _has_step(layer):
    """Whether the layer's _inference_step mirrors its call(): defined by the class whose call()
    it runs, and __call__ not overridden."""
    cls = type(layer)
    owner = next(c for c in cls.__mro__ if "_inference_step" in c.__dict__)
    return (owner is not Layer and cls.call is owner.call and cls.__call__ is Layer.__call__
            and layer.built)


def layer_step(layer, input_shape):
    """layer._inference_step(input_shape) when it is the class's own (see above)."""
    return layer._inference_step(input_shape) if _has_step(layer) else None


def _build_layer_step(layer, x):
    step = layer_step(layer, x.shape)
    if step is None:
        return None, None
    return (lambda v: _wrap(step(v))), _wrap(step(x))


def _unwrap(r):
    v = r._value if type(r) is Tensor else np.asarray(r)
    if v.dtype != np.float32 or not v.flags.c_contiguous:  # what the next kernel takes
        v = np.ascontiguousarray(v, np.float32)
    return v


def _step_via_call(layer, input_shape):
    """An inference step that runs the layer's call() on Tensors without Layer.__call__: the
    _inference_step of built-in layers whose call() depends only on its inputs (and on the
    training flag, off here)."""
    call = type(layer).call
    kw = {"training": False} if layer._call_has_training else {}
    if isinstance(input_shape, list):
        return lambda xs: _unwrap(call(layer, [_wrap(x) for x in xs], **kw))
    return lambda x: _unwrap(call(layer, _wrap(x), **kw))


def _to_tensor(x):
    # arrays and nested lists become Tensors (floats as float32); other values pass through
    if isinstance(x, (np.ndarray, list, float, int, np.number)) and not isinstance(x, bool):
        return Tensor(np.asarray(x))
    return x


class Layer:
    """Base class of all layers and models (Keras's keras.layers.Layer).

    Layer(trainable=True, name=None, dtype=None, input_shape=None, batch_input_shape=None,
          batch_size=None, input_dim=None)
    Subclasses override ``build(input_shape)`` (create weights with ``add_weight``),
    ``call(inputs, [training])``, and for symbolic use ``compute_output_shape(input_shape)``
    (otherwise the output shape is found by running call on a batch of one zero example).
    """

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None,
                 batch_input_shape=None, batch_size=None, input_dim=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{sorted(kwargs)}")
        if dtype not in (None, "float32", np.float32) and np.dtype(dtype) != np.float32:
            raise ValueError(f"{type(self).__name__}: only float32 is supported, got "
                             f"dtype={dtype!r}")
        self.name = name if name is not None else unique_name(_snake(type(self).__name__))
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"{type(self).__name__}: name must be a non-empty string")
        self._trainable = bool(trainable)
        self.built = False
        self._own_weights = []             # Variables from add_weight, creation order
        self._inbound_nodes = []
        self._last_output_shape = None
        self.input_spec = None
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
            self._batch_input_shape = (batch_size,) + shape
        else:
            self._batch_input_shape = None
        try:
            params = inspect.signature(self.call).parameters
            self._call_has_training = "training" in params or any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        except (TypeError, ValueError):
            self._call_has_training = False

    # ---- configuration -------------------------------------------------------------------
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._flatten_layers(include_self=False):
            layer._trainable = bool(value)
        self._sync_variable_flags()

    def _sync_variable_flags(self):
        for layer in self._flatten_layers():
            for v, wants in layer._own_weights:
                v.trainable = wants and layer._trainable

    @property
    def dtype(self):
        return "float32"

    def get_config(self):
        """JSON-safe constructor arguments: Layer.from_config(get_config()) rebuilds the layer
        (without its weights)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": "float32"}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ---- weights -------------------------------------------------------------------------
    def add_weight(self, name=None, shape=(), initializer="glorot_uniform", trainable=True,
                   dtype=None, regularizer=None, constraint=None):
        """Create and track a float32 Variable named '<layer name>/<name>'."""
        if regularizer is not None or constraint is not None:
            raise NotImplementedError(f"{self.name}: regularizers and constraints are not "
                                      f"supported")
        init = _inits.get(initializer if initializer is not None else "glorot_uniform")
        shape = tuple(int(s) for s in ((shape,) if isinstance(shape, int) else shape))
        value = np.asarray(init(shape, dtype="float32"), np.float32)
        if value.shape != shape:
            raise ValueError(f"{self.name}: initializer {init!r} returned shape {value.shape} "
                             f"for weight '{name}' of shape {shape}")
        full = f"{self.name}/{name if name is not None else f'variable_{len(self._own_weights)}'}"
        var = Variable(value, trainable=bool(trainable) and self._trainable, name=full)
        self._own_weights.append((var, bool(trainable)))
        return var

    def _tracked_children(self):
        """(layers, variables) assigned to attributes, in assignment order, depth one into
        lists/tuples/dicts."""
        layers, variables = [], []
        own = None  # ids of this layer's own weights, built on the first Variable met
        plain = _PLAIN_TYPES

        def visit(v, depth):
            nonlocal own
            if isinstance(v, Layer):
                layers.append(v)
            elif isinstance(v, Variable):
                if own is None:
                    own = {id(w) for w, _ in self._own_weights}
                if id(v) not in own:
                    variables.append(v)
            elif depth < 2 and isinstance(v, (list, tuple)):
                for item in v:
                    if type(item) not in plain:
                        visit(item, depth + 1)
            elif depth < 2 and isinstance(v, dict):
                for item in v.values():
                    if type(item) not in plain:
                        visit(item, depth + 1)

        for key, v in self.__dict__.items():
            # most attributes (flags, sizes, names, arrays) are skipped by type
            if type(v) in plain or key in _UNTRACKED or key == "_own_weights":
                continue
            visit(v, 0)
        return layers, variables

    def _flatten_layers(self, include_self=True, recursive=True):
        seen, out = set(), []

        def walk(layer):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            out.append(layer)
            if recursive or layer is self:
                for child in layer._sub_layers():
                    walk(child)

        walk(self)
        return out if include_self else out[1:]

    def _sub_layers(self):
        return self._tracked_children()[0]

    def _all_weights(self):
        """(variable, counts_as_trainable) for this layer then its sub-layers, no duplicates."""
        # The layers in _flatten_layers' order, each layer's attributes scanned once for both
        # its sub-layers and its attribute Variables (twice per layer, plus isinstance on every
        # attribute, made `model.variables` ~4% of a lab CNN training step on one thread).
        visited, layers, extras = set(), [], {}

        def walk(layer):
            if id(layer) in visited:
                return
            visited.add(id(layer))
            layers.append(layer)
            children, extras[id(layer)] = layer._tracked_children()
            if type(layer)._sub_layers is not Layer._sub_layers:
                children = layer._sub_layers()
            for child in children:
                walk(child)

        walk(self)
        seen, out = set(), []
        for layer in layers:
            extra = extras[id(layer)]
            items = [(v, wants and layer._trainable) for v, wants in layer._own_weights]
            items += [(v, v.trainable and layer._trainable) for v in extra]
            # within a layer: trainable first, then non-trainable (Keras order)
            for v, tr in [i for i in items if i[1]] + [i for i in items if not i[1]]:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append((v, tr))
        return out

    @property
    def weights(self):
        """All Variables: per layer (this one, then sub-layers in order), trainable first."""
        return [v for v, _ in self._all_weights()]

    variables = weights

    @property
    def trainable_weights(self):
        return [v for v, tr in self._all_weights() if tr]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        return [v for v, tr in self._all_weights() if not tr]

    non_trainable_variables = non_trainable_weights

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call count_params on layer '{self.name}', but the "
                             f"layer isn't built. Call it on some data or build() it first.")
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    def get_weights(self):
        """Copies of every weight as float32 NumPy arrays, in ``weights`` order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Load arrays in ``weights`` order. All shapes are checked before anything changes."""
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(
                f"set_weights: layer '{self.name}' ({type(self).__name__}) expects "
                f"{len(params)} weight arrays, got {len(weights)}"
                + ("" if self.built else " (the layer is not built yet)"))
        arrays = []
        for v, w in zip(params, weights):
            arr = np.asarray(w.numpy() if isinstance(w, Tensor) else w)
            if arr.shape != tuple(v.shape):
                raise ValueError(
                    f"set_weights: layer '{self.name}' ({type(self).__name__}): weight "
                    f"'{v.name}' has shape {tuple(v.shape)}, got an array of shape {arr.shape}")
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"set_weights: layer '{self.name}': weight '{v.name}' got "
                                f"dtype {arr.dtype}")
            arrays.append(arr)
        for v, arr in zip(params, arrays):
            v.assign(arr.astype(np.float32))

    # ---- building and calling ------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def compute_output_shape(self, input_shape):
        raise NotImplementedError

    def _inference_step(self, input_shape):
        """For inference plans (keras/models/_plan.py): a function of one float32 C-contiguous
        array of exactly input_shape (a list of arrays for a list of shapes) returning what
        call() would return with training off, as an array, without recording on tapes; or
        None. Built-in layers override this; a layer class that inherits a step but overrides
        call() gets none."""
        return None

    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(input_shape)
            self.built = True
            self._sync_variable_flags()

    def _check_input(self, shapes):
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, list) else [self.input_spec]
        for i, shape in enumerate(shapes[:len(specs)] if len(specs) > 1 else shapes[:1]):
            specs[min(i, len(specs) - 1)].check(self, i, shape)

    def __call__(self, inputs, *args, **kwargs):
        plans = self.__dict__.get("_plans")
        if plans is not None:  # a model that runs inference plans (keras/models/_plan.py)
            out = _call_plan(self, plans, inputs, args, kwargs)
            if out is not _ABSENT:
                return out
        # Fast path for the common eager case, one Tensor/array into a built layer: the same
        # steps as below without the generic structure walks (batch-1 inference and small
        # training steps spend a measurable share of their time in this method otherwise).
        if type(inputs) is Tensor or type(inputs) is np.ndarray:
            d = self.__dict__
            if "_own_weights" in d and self.built:
                if type(inputs) is np.ndarray:
                    inputs = Tensor(inputs)
                spec = self.input_spec
                if spec is not None:
                    if type(spec) is list:
                        self._check_input([inputs._value.shape])
                    else:
                        spec.check(self, 0, inputs._value.shape)
                training = kwargs.pop("training", None)
                stack = _CTX.training
                if training is None and stack:
                    training = stack[-1]
                # Inference of a built-in layer: its step, as in a model's plan (one array in,
                # training off, no other arguments, no tape recording).
                if not training and not args and not kwargs:
                    out = cached_step(self, "_steps", inputs, lambda x: _build_layer_step(self, x))
                    if out is not None:
                        _record_output_shape(self, out)
                        return out
                if training is not None and self._call_has_training:
                    kwargs["training"] = bool(training)
                stack.append(training)
                try:
                    out = self.call(inputs, *args, **kwargs)
                finally:
                    stack.pop()
                _record_output_shape(self, out)
                return out
        if "_own_weights" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: the layer was not initialized; call "
                               f"super().__init__() at the start of __init__")
        flat = flatten(inputs)
        if any(isinstance(t, KerasTensor) for t in flat):
            return self._symbolic_call(inputs, args, kwargs)
        try:
            inputs = map_structure(_to_tensor, inputs)
        except (TypeError, ValueError) as e:  # name the layer, not just "Tensor"
            raise type(e)(f"layer \"{self.name}\" ({type(self).__name__}): {e}") from None
        shapes = [tuple(t.shape) for t in flatten(inputs) if hasattr(t, "shape")]
        self._check_input(shapes)
        if not self.built:
            self._maybe_build(map_structure(
                lambda t: (None,) + tuple(t.shape)[1:] if hasattr(t, "shape") else None, inputs))
        training = kwargs.pop("training", None)
        if training is None and _CTX.training:
            training = _CTX.training[-1]
        if training is not None and self._call_has_training:
            kwargs["training"] = bool(training)
        _CTX.training.append(training)
        try:
            out = self.call(inputs, *args, **kwargs)
        finally:
            _CTX.training.pop()
        _record_output_shape(self, out)
        return out

    def _symbolic_call(self, inputs, args, kwargs):
        if any(isinstance(t, KerasTensor) for t in flatten(list(args))):
            raise NotImplementedError(f"{self.name}: symbolic tensors must be passed as the "
                                      f"first argument")
        for t in flatten(inputs):
            if isinstance(t, KerasTensor) and t._keras_history is None:
                raise ValueError(f"{self.name}: a KerasTensor without history; use "
                                 f"keras.Input(...)")
        in_shapes = map_structure(lambda t: t.shape if isinstance(t, KerasTensor)
                                  else tuple(np.shape(t)), inputs)
        self._check_input([s for s in flatten_shapes(in_shapes)])
        self._maybe_build(in_shapes)
        try:
            out_shape = self.compute_output_shape(in_shapes)
        except NotImplementedError:
            out_shape = self._infer_output_shape(inputs, args, kwargs)
        outputs = map_shape_structure(lambda s: KerasTensor(s), out_shape)
        node = Node(self, inputs, {**kwargs, "__args__": args} if args else dict(kwargs),
                    outputs)
        index = len(self._inbound_nodes)
        self._inbound_nodes.append(node)
        for i, t in enumerate(flatten(outputs)):
            t._keras_history = (self, index, i)
        self._last_output_shape = out_shape
        return outputs

    def _infer_output_shape(self, inputs, args, kwargs):
        """Run call on a batch of one zero example (for layers without compute_output_shape)."""
        def dummy(t):
            if isinstance(t, KerasTensor):
                if any(d is None for d in t.shape[1:]):
                    raise ValueError(f"{self.name}: cannot infer the output shape for an input "
                                     f"with unknown dimensions {t.shape}; implement "
                                     f"compute_output_shape")
                return Tensor(np.zeros((1,) + t.shape[1:], np.float32))
            return t

        kw = dict(kwargs)
        kw.setdefault("training", False)
        out = self.call(map_structure(dummy, inputs), *args,
                        **(kw if self._call_has_training else
                           {k: v for k, v in kw.items() if k != "training"}))
        return map_structure(lambda t: (None,) + tuple(t.shape)[1:], out)

    # ---- misc ----------------------------------------------------------------------------
    @property
    def output_shape(self):
        if self._last_output_shape is None:
            raise AttributeError(f"The layer '{self.name}' has never been called and thus has "
                                 f"no defined output shape.")
        return self._last_output_shape

    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' is not connected, no input to return.")
        return self._inbound_nodes[0].call_inputs

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has no inbound nodes.")
        return self._inbound_nodes[0].outputs

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in s)


def flatten_shapes(shapes):
    if _is_shape(shapes):
        return [shapes]
    out = []
    for s in shapes:
        out.extend(flatten_shapes(s))
    return out


def map_shape_structure(fn, shapes):
    if _is_shape(shapes):
        return fn(shapes)
    if isinstance(shapes, list):
        return [map_shape_structure(fn, s) for s in shapes]
    if isinstance(shapes, tuple):
        return tuple(map_shape_structure(fn, s) for s in shapes)
    raise TypeError(f"unexpected output shape structure {shapes!r}")
