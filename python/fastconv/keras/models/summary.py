"""model.summary(): the classic tf.keras (TF 2.0-2.8) table.

Sequential-like models use 65 columns split at 45% / 85% (Layer (type) | Output Shape | Param #);
functional models with branches or merges use 98 columns and a fourth 'Connected to' column.
Each cell is cut at its column (as tf.keras did), rows are separated by '_' lines, the header and
the totals by '=' lines.
"""

from __future__ import annotations

from fastconv.keras.layers.base import shape_str
from fastconv.keras.layers.core import InputLayer

__all__ = ["print_summary"]


def _print_row(fields, positions, print_fn):
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line += str(field)
        line = line[:positions[i]]
        line += " " * (positions[i] - len(line))
    print_fn(line)


def _sequential_like(model):
    if not getattr(model, "_is_functional", False):
        return True
    for node in model._nodes_in_order:
        if len(node.input_tensors) > 1 or len(node.output_tensors) > 1:
            return False
    for layer in model._functional_layers:
        nodes = [n for n in model._nodes_in_order if n.layer is layer]
        if len(nodes) > 1:
            return False
    # every tensor used at most once (no branches)
    uses = {}
    for node in model._nodes_in_order:
        for t in node.input_tensors:
            uses[id(t)] = uses.get(id(t), 0) + 1
    return all(u <= 1 for u in uses.values())


def _output_shape(layer):
    if isinstance(layer, InputLayer):
        return "[" + shape_str(layer._batch_input_shape) + "]"
    shape = layer._last_output_shape
    if shape is None:
        return "multiple" if layer.built else "?"
    return shape_str(shape)


def _params(layer):
    return layer.count_params() if layer.built else 0


def print_summary(model, line_length=None, positions=None, print_fn=None):
    if print_fn is None:
        print_fn = print
    if not model.built:
        raise ValueError(
            f"This model '{model.name}' has not yet been built. Build the model first by calling "
            f"build() or by calling the model on a batch of data.")
    sequential_like = _sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    layers = model.layers
    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    _print_row(header, positions, print_fn)
    print_fn("=" * line_length)
    for i, layer in enumerate(layers):
        name = f"{layer.name} ({type(layer).__name__})"
        fields = [name, _output_shape(layer), _params(layer)]
        if sequential_like:
            _print_row(fields, positions, print_fn)
        else:
            connections = []
            for node in model._nodes_in_order:
                if node.layer is not layer:
                    continue
                for t in node.input_tensors:
                    src, ni, ti = t._keras_history
                    connections.append(f"{src.name}[{ni}][{ti}]")
            _print_row(fields + [connections[0] if connections else ""], positions, print_fn)
            for c in connections[1:]:
                _print_row(["", "", "", c], positions, print_fn)
        print_fn(("=" if i == len(layers) - 1 else "_") * line_length)
    trainable = sum(int(v.size) for v in model.trainable_weights)
    non_trainable = sum(int(v.size) for v in model.non_trainable_weights)
    print_fn(f"Total params: {trainable + non_trainable:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {non_trainable:,}")
    print_fn("_" * line_length)

