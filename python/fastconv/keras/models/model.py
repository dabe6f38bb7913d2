"""Model: functional (``Model(inputs=..., outputs=...)``) and subclassed (override ``call``).

A functional model is a DAG of layer calls recorded on KerasTensors: branches, merges and shared
layers work (Inception, ResNet blocks). It runs its nodes in a topological order fixed at
construction. A subclassed model creates layers in ``__init__`` (attributes, also lists/dicts of
layers, are tracked automatically) and defines ``call(self, inputs, training=False)``; its weights
are created on the first call (or by ``build(input_shape)``).
"""

from __future__ import annotations

import numpy as np

from fastconv.autograd.tensor import Tensor, _wrap
from fastconv.keras.layers.base import (_PLAN_CALLS, KerasTensor, Layer, flatten, map_structure,
                                        shape_str)
from fastconv.keras.layers.core import InputLayer
from fastconv.keras.models._plan import fused_step, layer_step, native_plan, run_plan
from fastconv.keras._saving_mixin import SavingMixin
from fastconv.keras.models.training import TrainingMixin

__all__ = ["Model"]


def _is_functional_args(args, kwargs):
    if "inputs" in kwargs or "outputs" in kwargs:
        return True
    return len(args) >= 2 and all(isinstance(t, KerasTensor) for t in flatten(list(args[:2])))


class Model(SavingMixin, TrainingMixin, Layer):
    """Model(inputs, outputs, name=None) for a functional model; subclass it and define call()
    for a subclassed one."""

    def __init__(self, *args, **kwargs):
        if _is_functional_args(args, kwargs):
            inputs = kwargs.pop("inputs", None)
            outputs = kwargs.pop("outputs", None)
            if args:
                inputs, args = args[0], args[1:]
            if args:
                outputs, args = args[0], args[1:]
            if args:
                raise TypeError(f"Model: unexpected positional arguments {args!r}")
            Layer.__init__(self, name=kwargs.pop("name", None),
                           trainable=kwargs.pop("trainable", True))
            if kwargs:
                raise TypeError(f"Model: unexpected keyword argument(s) {sorted(kwargs)}")
            self._init_functional(inputs, outputs)
        else:
            if args:
                raise TypeError(f"Model: unexpected positional arguments {args!r}; a functional "
                                f"model needs inputs= and outputs=")
            Layer.__init__(self, **kwargs)
            self._is_functional = False
        self._init_training()

    # ---- functional graph ----------------------------------------------------------------
    def _init_functional(self, inputs, outputs):
        self._is_functional = True
        for name, struct in (("inputs", inputs), ("outputs", outputs)):
            if struct is None:
                raise ValueError(f"Model: {name}= is required for a functional model")
            for t in flatten(struct):
                if not isinstance(t, KerasTensor):
                    raise TypeError(f"Model: {name} must be KerasTensors (from keras.Input and "
                                    f"layer calls), got {type(t).__name__}")
        flat_in = flatten(inputs)
        for t in flat_in:
            if not isinstance(t._keras_history[0], InputLayer):
                raise ValueError(f"Model: inputs must come straight from keras.Input(); "
                                 f"{t!r} is the output of layer "
                                 f"'{t._keras_history[0].name}'")
        self._functional_inputs = inputs
        self._functional_outputs = outputs
        # post-order DFS from the outputs: every node after the nodes producing its inputs
        order, seen, active = [], set(), set()

        def visit(node):
            if id(node) in seen:
                return
            if id(node) in active:
                raise ValueError("Model: the layer graph has a cycle")
            active.add(id(node))
            for parent in node.parent_nodes:
                visit(parent)
            active.discard(id(node))
            seen.add(id(node))
            order.append(node)

        for t in flatten(outputs):
            layer, ni, _ = t._keras_history
            visit(layer._inbound_nodes[ni])
        input_ids = {id(t) for t in flat_in}
        for node in order:
            if isinstance(node.layer, InputLayer) and id(node.outputs) not in input_ids:
                raise ValueError(
                    f"Model: graph disconnected: the output depends on input "
                    f"'{node.layer.name}' {shape_str(node.outputs.shape)}, which is not among "
                    f"the model's inputs {[t.name for t in flat_in]}")
        # inputs not used by any output still count as model inputs
        for t in flat_in:
            node = t._keras_history[0]._inbound_nodes[0]
            if id(node) not in seen:
                seen.add(id(node))
                order.insert(0, node)
        self._nodes_in_order = order
        layers, lseen = [], set()
        for t in flat_in:  # input layers first, in the order given
            layer = t._keras_history[0]
            lseen.add(id(layer))
            layers.append(layer)
        for node in order:
            if id(node.layer) not in lseen:
                lseen.add(id(node.layer))
                layers.append(node.layer)
        self._functional_layers = layers
        self._last_output_shape = map_structure(lambda t: t.shape, outputs)
        self.built = True

    @property
    def inputs(self):
        if not getattr(self, "_is_functional", False):
            return None
        return flatten(self._functional_inputs)

    @property
    def outputs(self):
        if not getattr(self, "_is_functional", False):
            return None
        return flatten(self._functional_outputs)

    @property
    def layers(self):
        """The model's layers: a functional model's InputLayers first, then its layers in
        execution order; a subclassed model's tracked attributes in assignment order."""
        return list(self._sub_layers())

    def _sub_layers(self):
        if getattr(self, "_is_functional", False):
            return list(self._functional_layers)
        return super()._sub_layers()

    def _check_functional_inputs(self, values):
        flat_in = flatten(self._functional_inputs)
        flat_v = flatten(values)
        if len(flat_v) != len(flat_in):
            raise ValueError(f"Model '{self.name}' expects {len(flat_in)} input(s), got "
                             f"{len(flat_v)}")
        for i, (t, v) in enumerate(zip(flat_in, flat_v)):
            shape = tuple(np.shape(v))
            ok = len(shape) == len(t.shape) and all(
                e is None or e == s for e, s in zip(t.shape, shape))
            if not ok:
                raise ValueError(
                    f"Input {i} of layer \"{self.name}\" is incompatible with the layer: "
                    f"expected shape={shape_str(t.shape)}, found shape={shape_str(shape)}")
        return flat_in, flat_v

    def _run_functional(self, inputs, training=None):
        flat_in, flat_v = self._check_functional_inputs(inputs)
        values = {id(t): v for t, v in zip(flat_in, flat_v)}
        for node in self._nodes_in_order:
            if isinstance(node.layer, InputLayer):
                continue
            args = map_structure(
                lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.call_inputs)
            kwargs = dict(node.call_kwargs)
            extra = kwargs.pop("__args__", ())
            if training is not None and "training" not in kwargs:
                kwargs["training"] = training
            out = node.layer(args, *extra, **kwargs)
            for t, v in zip(node.output_tensors, flatten(out)):
                values[id(t)] = v
        return map_structure(lambda t: values[id(t)], self._functional_outputs)

    # ---- calling -------------------------------------------------------------------------
    def _functional_plan(self, x):
        """(plan, output for x) for a one-input functional model whose nodes are plain calls
        of layers with inference steps (keras/models/_plan.py), else (None, None)."""
        flat_in = flatten(self._functional_inputs)
        if len(flat_in) != 1:
            return None, None
        values = {id(flat_in[0]): x}
        program = []  # (step, id of its input or list of ids, id of its output)
        # A node whose output only one plain single-input node reads, and which is no model
        # output, may be fused with that node (Conv2D + MaxPooling2D; see fused_step).
        readers = {}
        for node in self._nodes_in_order:
            for t in node.input_tensors:
                readers.setdefault(id(t), []).append(node)
        model_outputs = {id(t) for t in flatten(self._functional_outputs)}
        fused_into = set()  # nodes already computed by a fused step
        for node in self._nodes_in_order:
            if isinstance(node.layer, InputLayer) or id(node) in fused_into:
                continue
            ins = node.call_inputs
            if node.call_kwargs or len(node.output_tensors) != 1:
                return None, None
            if isinstance(ins, KerasTensor):
                src = id(ins)
                arg = values[src]
                step = layer_step(node.layer, arg.shape)
                out = id(node.output_tensors[0])
                nxt = readers.get(out, [])
                if (step is not None and out not in model_outputs and len(nxt) == 1
                        and nxt[0].call_inputs is node.output_tensors[0]
                        and not nxt[0].call_kwargs and len(nxt[0].output_tensors) == 1):
                    pair = fused_step(node.layer, nxt[0].layer, arg.shape)
                    if pair is not None:
                        step, node = pair, nxt[0]
                        fused_into.add(id(node))
            elif isinstance(ins, (list, tuple)) and ins and all(
                    isinstance(t, KerasTensor) for t in ins):
                src = [id(t) for t in ins]
                arg = [values[i] for i in src]
                step = layer_step(node.layer, [a.shape for a in arg])
            else:
                return None, None
            if step is None:
                return None, None
            dst = id(node.output_tensors[0])
            values[dst] = step(arg)
            program.append((step, src, dst))
        in_id, outputs = id(flat_in[0]), self._functional_outputs
        flat_out = flatten(outputs)
        # A chain (each step reads the one before; the lab CNN written functionally) whose
        # steps all have native forms runs as one _core.InferencePlan, as a Sequential does.
        native = None
        if (len(flat_out) == 1 and program and id(flat_out[0]) == program[-1][2]
                and all(src == (program[k - 1][2] if k else in_id)
                        for k, (_, src, _) in enumerate(program))):
            native = native_plan(x.shape, [step for step, _, _ in program])
        if native is not None:
            def plan(x):
                out = native(x)
                return map_structure(lambda t: _wrap(out), outputs)
            plan.native = native
            return plan, map_structure(lambda t: _wrap(values[id(t)]), outputs)

        def plan(x):
            vals = {in_id: x}
            for step, src, dst in program:
                vals[dst] = step(vals[src] if type(src) is int else [vals[i] for i in src])
            return map_structure(lambda t: _wrap(vals[id(t)]), outputs)
        return plan, map_structure(lambda t: _wrap(values[id(t)]), outputs)

    def call(self, inputs, training=None):
        if getattr(self, "_is_functional", False):
            if not training and type(inputs) is Tensor:
                out = run_plan(self, inputs, self._functional_plan)
                if out is not None:
                    return out
            return self._run_functional(inputs, training)
        raise NotImplementedError(f"{type(self).__name__}: a subclassed Model must define "
                                  f"call(self, inputs, training=False)")

    def compute_output_shape(self, input_shape):
        if getattr(self, "_is_functional", False):
            return map_structure(lambda t: t.shape, self._functional_outputs)
        raise NotImplementedError

    def _maybe_build(self, input_shape):
        # A subclassed model creates its weights while call() runs (its layers build lazily).
        if not self.built:
            self.built = True

    def build(self, input_shape):
        """Create the weights of a subclassed model by running call on a zero batch of one
        example of the given shape (batch dimension None or any value)."""
        if getattr(self, "_is_functional", False):
            return
        shape = tuple(input_shape)
        if any(d is None for d in shape[1:]):
            raise ValueError(f"{self.name}.build: every dimension but the batch must be known, "
                             f"got {shape}")
        from fastconv.autograd import Tensor

        self(Tensor(np.zeros((1,) + shape[1:], np.float32)), training=False)
        self.built = True

    def get_config(self):
        if getattr(self, "_is_functional", False):
            return _functional_config(self)
        raise NotImplementedError(
            f"{type(self).__name__} is a subclassed model: override get_config() and "
            f"from_config() to serialize it")

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            return _functional_from_config(cls, config, custom_objects)
        return cls(**config)

    def summary(self, line_length=None, positions=None, print_fn=None):
        from fastconv.keras.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)


# ---- functional (de)serialization ------------------------------------------------------------
def _ref(t, node_keys):
    layer, ni, ti = t._keras_history
    return [layer.name, node_keys[(id(layer), ni)], ti]


def _functional_config(model):
    """{"name", "layers": [{"class_name", "name", "config", "inbound_nodes"}], "input_layers",
    "output_layers"}; each inbound node is {"args": [[layer, node, tensor], ...] or one ref,
    "kwargs": {...}}; node indices count only the calls inside this model."""
    from fastconv.keras.layers import serialize

    node_keys, per_layer = {}, {}
    for node in model._nodes_in_order:
        layer = node.layer
        ni = layer._inbound_nodes.index(node)
        node_keys[(id(layer), ni)] = per_layer.get(id(layer), 0)
        per_layer[id(layer)] = per_layer.get(id(layer), 0) + 1
    layers = []
    for layer in model._functional_layers:
        entry = serialize(layer)
        entry["name"] = layer.name
        inbound = []
        for node in model._nodes_in_order:
            if node.layer is not layer or isinstance(layer, InputLayer):
                continue
            kwargs = {k: v for k, v in node.call_kwargs.items() if k != "__args__"}
            args = map_structure(lambda t: _ref(t, node_keys) if isinstance(t, KerasTensor)
                                 else t, node.call_inputs)
            inbound.append({"args": args, "kwargs": kwargs})
        entry["inbound_nodes"] = inbound
        layers.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": map_structure(lambda t: _ref(t, node_keys),
                                          model._functional_inputs),
            "output_layers": map_structure(lambda t: _ref(t, node_keys),
                                           model._functional_outputs)}


def _is_ref(x):
    return (isinstance(x, list) and len(x) == 3 and isinstance(x[0], str)
            and isinstance(x[1], int) and isinstance(x[2], int))


def _map_refs(fn, struct):
    if _is_ref(struct):
        return fn(struct)
    if isinstance(struct, list):
        return [_map_refs(fn, s) for s in struct]
    return struct


def _functional_from_config(cls, config, custom_objects=None):
    from fastconv.keras.layers import deserialize

    by_name, produced = {}, {}
    pending = []
    for entry in config["layers"]:
        layer = deserialize({"class_name": entry["class_name"], "config": entry["config"]},
                            custom_objects)
        by_name[entry["name"]] = layer
        if isinstance(layer, InputLayer):
            produced[(entry["name"], 0, 0)] = layer._input_tensor
        for k, node in enumerate(entry.get("inbound_nodes", [])):
            pending.append((entry["name"], k, node))
    # replay the calls in an order where every input already exists
    while pending:
        progress = False
        for item in list(pending):
            name, k, node = item
            refs = []
            _map_refs(lambda r: refs.append(tuple(r)), node["args"])
            if all(r in produced for r in refs):
                args = _map_refs(lambda r: produced[tuple(r)], node["args"])
                out = by_name[name](args, **node.get("kwargs", {}))
                for ti, t in enumerate(flatten(out)):
                    produced[(name, k, ti)] = t
                pending.remove(item)
                progress = True
        if not progress:
            raise ValueError(f"Model.from_config: cannot resolve the inputs of layers "
                             f"{sorted({p[0] for p in pending})}")
    inputs = _map_refs(lambda r: produced[tuple(r)], config["input_layers"])
    outputs = _map_refs(lambda r: produced[tuple(r)], config["output_layers"])
    return Model(inputs=inputs, outputs=outputs, name=config.get("name"))


_PLAN_CALLS.add(Model.call)
