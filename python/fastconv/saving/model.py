"""save_model / load_model: architecture (JSON) + weights in one fastconv archive.

The archive is the weights format (see _archive.py) with format "fastconv-model" and two more
manifest keys:

* ``"model"`` — the architecture, Keras-style nested ``{"class_name", "config"}`` dicts:
  - Sequential: ``{"class_name": "Sequential", "config": {"name", "trainable", "layers":
    [layer, ...]}}`` (an InputLayer entry first when the input shape is known)
  - functional: ``{"class_name": "Model", "config": {"name", "layers": [{"class_name",
    "config", "name", "inbound_nodes": [{"args": [layer_name, node_index, tensor_index] or a
    list of them, "kwargs": {...}}]}, ...], "input_layers": [...], "output_layers": [...]}}``
  - a layer: ``{"class_name": "Conv2D", "config": layer.get_config()}``; a nested model is a
    layer whose spec is a model spec.
  This is exactly ``fastconv.keras.layers.serialize(model)`` (the models' own get_config), and
  loading uses the classes' ``from_config``, so the file format and ``clone_model`` agree.
* ``"build_input_shape"`` — the input shape the model was built with (or null), used to create
  the variables of a lazily built model before its weights are loaded.

Subclassed models (a user ``call`` method) have no serialisable architecture: save_model raises
NotImplementedError recommending save_weights, as Keras does.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from fastconv.saving import _archive, _tracking
from fastconv.saving.weights import (MODEL_FORMAT, _check_overwrite, assign_all, entries_for,
                                     plan_assignment)


def _jsonable(obj: Any) -> Any:
    """Config values to plain JSON (tuples -> lists, NumPy scalars/arrays -> numbers/lists)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if hasattr(obj, "get_config"):  # e.g. an initializer object left in a config
        return {"class_name": type(obj).__name__, "config": _jsonable(obj.get_config())}
    raise TypeError(f"cannot serialise {obj!r} (type {type(obj).__name__}) to JSON")


def _is_model(obj: Any) -> bool:
    return isinstance(getattr(obj, "layers", None), (list, tuple))


def _subclassed_error(model: Any) -> NotImplementedError:
    return NotImplementedError(
        f"save_model: {type(model).__name__} {getattr(model, 'name', '')!r} is a subclassed "
        f"model (its architecture is Python code in call()), which cannot be saved as JSON; "
        f"save its weights instead with model.save_weights(path), rebuild the model in code "
        f"and call load_weights(path)")


def _config_of(obj: Any) -> dict | None:
    """obj.get_config(), or None if it has none; NotImplementedError when it refuses."""
    get_config = getattr(obj, "get_config", None)
    return None if get_config is None else get_config()


def serialize_layer(layer: Any) -> dict:
    """``{"class_name", "config"}`` of a layer or model (models recurse)."""
    try:
        config = _config_of(layer)
    except NotImplementedError:
        if _is_model(layer):
            raise _subclassed_error(layer) from None
        raise NotImplementedError(
            f"save_model: layer {getattr(layer, 'name', '?')!r} ({type(layer).__name__}) has no "
            f"get_config(); give it get_config()/from_config(), or use save_weights") from None
    if config is None:
        if type(layer).__name__ == "Sequential" and _is_model(layer):
            # a duck-typed Sequential without get_config: its layer list is the architecture
            config = {"name": getattr(layer, "name", None),
                      "layers": [serialize_layer(l) for l in layer.layers]}
        elif _is_model(layer):
            raise _subclassed_error(layer)
        else:
            raise NotImplementedError(
                f"save_model: layer {getattr(layer, 'name', '?')!r} ({type(layer).__name__}) "
                f"has no get_config(); give it get_config()/from_config(), or use save_weights")
    return {"class_name": type(layer).__name__, "config": _jsonable(config)}


def serialize_model(model: Any) -> dict:
    """The architecture of a Sequential or functional model (Keras's own get_config layout:
    Sequential = its layer configs, functional = layer configs + inbound connections)."""
    if not _is_model(model):
        raise TypeError(f"save_model: expected a model, got {type(model).__name__}")
    return serialize_layer(model)


def _lookup(class_name: str, custom_objects: dict | None):
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    import importlib
    try:
        layers = importlib.import_module("fastconv.keras.layers")
    except ImportError:
        layers = None
    if layers is not None:
        getter = getattr(layers, "get_builtin_layer", None)
        cls = getter(class_name) if getter is not None else getattr(layers, class_name, None)
        if cls is not None:
            return cls
    raise ValueError(f"load_model: unknown class {class_name!r}; pass it in "
                     f"custom_objects={{{class_name!r}: cls}}")


def deserialize_layer(spec: dict, custom_objects: dict | None = None) -> Any:
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str) \
            or not isinstance(spec.get("config", {}), dict):
        raise ValueError(f"load_model: malformed layer spec {str(spec)[:200]}")
    name = spec["class_name"]
    config = dict(spec.get("config", {}))
    cls = _lookup(name, custom_objects)
    from_config = getattr(cls, "from_config", None)
    if from_config is not None:
        try:
            return from_config(config, custom_objects=custom_objects)
        except TypeError as exc:
            if "custom_objects" not in str(exc):
                raise
        return from_config(config)
    if name == "Sequential":
        layers = [deserialize_layer(s, custom_objects) for s in config.get("layers", [])]
        kwargs = {"name": config["name"]} if config.get("name") else {}
        return cls(layers, **kwargs)
    return cls(**config)


def _build_input_shape(model: Any):
    for attr in ("_build_input_shape", "build_input_shape", "input_shape"):
        try:
            shape = getattr(model, attr, None)
        except Exception:  # Keras raises AttributeError-like errors for unbuilt models
            shape = None
        if shape is not None:
            return _jsonable(shape)
    return None


def save_model(model: Any, filepath: str, overwrite: bool = True) -> None:
    """Save architecture + weights of a Sequential or functional model to one file (atomic)."""
    filepath = os.fspath(filepath)
    _check_overwrite(filepath, overwrite)
    arch = serialize_model(model)
    json.dumps(arch, allow_nan=False)  # fail here, not half-way through writing
    named = _tracking.named_variables(model)
    _archive.write_archive(filepath, MODEL_FORMAT, entries_for(named),
                           extra={"model": arch, "build_input_shape": _build_input_shape(model)})


def _build(model: Any, shape) -> None:
    if shape is None or _tracking.named_variables(model):
        return
    if hasattr(model, "build"):
        model.build(tuple(shape) if shape and not isinstance(shape[0], list) else shape)


def load_model(filepath: str, custom_objects: dict | None = None, compile: bool = True) -> Any:
    """Rebuild the model saved by save_model and load its weights. ``compile`` is accepted for
    Keras compatibility; optimizer state is not stored (use fastconv.train.Checkpoint)."""
    filepath = os.fspath(filepath)
    manifest, arrays = _archive.read_archive(filepath, (MODEL_FORMAT,))
    arch = manifest.get("model")
    if not isinstance(arch, dict):
        raise _archive.CorruptFileError(f"{filepath!r} has no model architecture")
    try:
        model = deserialize_layer(arch, custom_objects)
        _build(model, manifest.get("build_input_shape"))
    except (KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        # an architecture that the layer classes cannot make sense of (hand-edited or hostile)
        raise ValueError(f"load_model: {filepath!r} has a malformed architecture: "
                         f"{type(exc).__name__}: {exc}") from None
    plan = plan_assignment(_tracking.named_variables(model), manifest, arrays, filepath,
                           "load_model")
    assign_all(plan)
    return model
