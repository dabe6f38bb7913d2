"""save_model / load_model: architecture (JSON) + weights in one fastconv archive.

The archive is the weights format (see _archive.py) with format "fastconv-model" and two more
manifest keys:

* ``"model"`` — the architecture, Keras-style nested ``{"class_name", "config"}`` dicts:
  - Sequential: ``{"class_name": "Sequential", "config": {"name", "layers": [layer, ...]}}``
  - functional: ``{"class_name": "Functional", "config": {"name", "layers": [{"class_name",
    "config", "name", "inbound": [[layer_name, node_index, tensor_index], ...]}, ...],
    "input_layers": [...], "output_layers": [...]}}`` (see ``_functional_spec``)
  - a layer: ``{"class_name": "Conv2D", "config": layer.get_config()}``; a nested model is a
    layer whose spec is a model spec.
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


def _kind(model: Any) -> str:
    """'sequential', 'functional' or 'subclassed'."""
    kind = getattr(model, "_fastconv_model_kind", None)  # set by fastconv.keras if it wants
    if kind is not None:
        return kind() if callable(kind) else kind
    name = type(model).__name__
    if name == "Sequential":
        return "sequential"
    if name in ("Model", "Functional") and hasattr(model, "inputs") and hasattr(model, "outputs"):
        return "functional"
    return "subclassed"


def _subclassed_error(model: Any) -> NotImplementedError:
    return NotImplementedError(
        f"save_model: {type(model).__name__} is a subclassed model (its architecture is Python "
        f"code in call()), which cannot be saved as JSON; save its weights instead with "
        f"model.save_weights(path), and rebuild the model in code before load_weights(path)")


def serialize_layer(layer: Any) -> dict:
    if _is_model(layer):
        return serialize_model(layer)
    get_config = getattr(layer, "get_config", None)
    try:
        if get_config is None:
            raise NotImplementedError
        config = get_config()
    except NotImplementedError:
        raise NotImplementedError(
            f"save_model: layer {getattr(layer, 'name', '?')!r} ({type(layer).__name__}) has no "
            f"get_config(); give it get_config()/from_config(), or use save_weights") from None
    return {"class_name": type(layer).__name__, "config": _jsonable(config)}


def serialize_model(model: Any) -> dict:
    kind = _kind(model)
    if kind == "sequential":
        return {"class_name": "Sequential",
                "config": {"name": getattr(model, "name", None),
                           "layers": [serialize_layer(l) for l in model.layers]}}
    if kind == "functional":
        return {"class_name": "Functional", "config": _functional_spec(model)}
    raise _subclassed_error(model)


def _functional_spec(model: Any) -> dict:
    hook = getattr(model, "_fastconv_functional_spec", None)
    if hook is not None:
        return _jsonable(hook(serialize_layer))
    raise NotImplementedError(
        f"save_model: functional model {getattr(model, 'name', '?')!r} does not expose its "
        f"graph; use save_weights")


def _lookup(class_name: str, custom_objects: dict | None):
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    import importlib
    for modname in ("fastconv.keras.layers", "fastconv.keras.models", "fastconv.keras"):
        try:
            mod = importlib.import_module(modname)
        except ImportError:
            continue
        cls = getattr(mod, class_name, None)
        if cls is not None:
            return cls
    raise ValueError(f"load_model: unknown class {class_name!r}; pass it in "
                     f"custom_objects={{{class_name!r}: cls}}")


def deserialize_layer(spec: dict, custom_objects: dict | None = None) -> Any:
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"load_model: malformed layer spec {str(spec)[:200]}")
    name = spec["class_name"]
    config = spec.get("config", {})
    if name == "Sequential":
        cls = _lookup("Sequential", custom_objects)
        layers = [deserialize_layer(s, custom_objects) for s in config.get("layers", [])]
        kwargs = {"name": config["name"]} if config.get("name") else {}
        return cls(layers, **kwargs)
    if name == "Functional":
        return _functional_from_spec(config, custom_objects)
    cls = _lookup(name, custom_objects)
    from_config = getattr(cls, "from_config", None)
    return from_config(config) if from_config is not None else cls(**config)


def _functional_from_spec(config: dict, custom_objects):
    cls = _lookup("Model", custom_objects)
    hook = getattr(cls, "_fastconv_from_functional_spec", None)
    if hook is None:
        raise ValueError("load_model: this fastconv build cannot rebuild functional models")
    return hook(config, lambda s: deserialize_layer(s, custom_objects))


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
    except (KeyError, TypeError) as exc:
        raise ValueError(f"load_model: {filepath!r} has a malformed architecture: "
                         f"{type(exc).__name__}: {exc}") from None
    _build(model, manifest.get("build_input_shape"))
    plan = plan_assignment(_tracking.named_variables(model), manifest, arrays, filepath,
                           "load_model")
    assign_all(plan)
    return model
