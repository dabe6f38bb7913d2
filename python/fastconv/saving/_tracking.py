"""Stable names for the variables of layers, models and optimizers.

A variable's *path* is where it lives in the object structure, not its (process-dependent)
auto-generated name, so a file saved from one process loads into an identically built model in
another even when layer names differ (``dense`` vs ``dense_3``):

* a model/layer with a ``layers`` list: ``layers/<i>/vars/<j>`` — variable ``j`` of
  ``layers[i].variables`` (the i-th layer in the model's layer order, the order of
  ``get_weights()``); nested models are just layers whose variables include their sub-layers'.
* variables of the object itself that no listed layer owns: ``vars/<j>``.
* an optimizer: ``vars/<j>`` over ``optimizer.variables`` (slots, in the optimizer's order),
  plus ``iterations`` when the optimizer has an ``iterations`` Variable not already listed.
* in a checkpoint each path is prefixed by the keyword it was given: ``model/layers/0/vars/1``,
  ``optimizer/vars/3``, ``step``.

Variables are duck-typed: anything with ``assign`` and ``numpy()``/``__array__``.
The human-readable ``name`` and owning layer name are stored too, for error messages only.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def is_variable(obj: Any) -> bool:
    return (hasattr(obj, "assign") and (hasattr(obj, "numpy") or hasattr(obj, "__array__"))
            and not hasattr(obj, "variables") and not hasattr(obj, "layers"))


def variables_of(obj: Any) -> list:
    v = getattr(obj, "variables", None)
    if v is None:
        v = getattr(obj, "weights", None)
    if callable(v):  # TF2-era optimizers exposed variables() as a method
        v = v()
    return list(v) if v is not None else []


def value_of(var: Any) -> np.ndarray:
    return np.asarray(var.numpy() if hasattr(var, "numpy") else var)


def var_name(var: Any) -> str:
    name = getattr(var, "name", None)
    return str(name) if name is not None else ""


def named_variables(obj: Any, prefix: str = "") -> list[dict]:
    """[{"path", "var", "name", "layer"}] for every variable reachable from ``obj``, each once."""
    out: list[dict] = []
    seen: set[int] = set()
    layers = getattr(obj, "layers", None)
    if isinstance(layers, (list, tuple)):
        for i, layer in enumerate(layers):
            lname = str(getattr(layer, "name", "") or type(layer).__name__)
            for j, var in enumerate(variables_of(layer)):
                if id(var) in seen:
                    continue
                seen.add(id(var))
                out.append({"path": f"{prefix}layers/{i}/vars/{j}", "var": var,
                            "name": var_name(var), "layer": f"{lname} (layer {i})"})
    own = str(getattr(obj, "name", "") or type(obj).__name__)
    rest = [v for v in variables_of(obj) if id(v) not in seen]
    for j, var in enumerate(rest):
        seen.add(id(var))
        out.append({"path": f"{prefix}vars/{j}", "var": var, "name": var_name(var),
                    "layer": own})
    it = getattr(obj, "iterations", None)
    if it is not None and is_variable(it) and id(it) not in seen:
        out.append({"path": f"{prefix}iterations", "var": it, "name": var_name(it) or
                    "iterations", "layer": own})
    return out
