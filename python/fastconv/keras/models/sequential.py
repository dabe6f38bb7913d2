"""Sequential: a plain stack of layers, each with one input and one output."""

from __future__ import annotations

from fastconv.autograd.tensor import Tensor, _wrap
from fastconv.keras.layers.base import _PLAN_CALLS, KerasTensor, Layer
from fastconv.keras.layers.core import Input, InputLayer
from fastconv.keras.models._plan import fused_step, layer_step, native_plan, run_plan
from fastconv.keras.models.model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """Sequential(layers=None, name=None). The input shape comes from a first keras.Input /
    InputLayer, from the first layer's input_shape=, from build(input_shape) or from the first
    call; once it is known every layer is built and shapes are checked as layers are added."""

    def __init__(self, layers=None, name=None, trainable=True):
        Model.__init__(self, name=name, trainable=trainable)
        self._seq_layers = []
        self._input_tensor = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._seq_layers)

    def _sub_layers(self):
        return list(self._seq_layers)

    def add(self, layer):
        """Append a layer (or set the input with keras.Input(...) / InputLayer)."""
        if isinstance(layer, KerasTensor):
            if not isinstance(layer._keras_history[0], InputLayer):
                raise TypeError("Sequential.add: a KerasTensor must come from keras.Input()")
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer, got {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._seq_layers or self._input_tensor is not None:
                raise ValueError("Sequential.add: an InputLayer can only be the first layer")
            self._input_tensor = layer._input_tensor
            self._trace()
            return
        if any(existing.name == layer.name for existing in self._seq_layers):
            raise ValueError(f"Sequential.add: all layers must have unique names; "
                             f"'{layer.name}' is already in the model")
        if (not self._seq_layers and self._input_tensor is None
                and layer._batch_input_shape is not None):
            self._input_tensor = Input(batch_shape=layer._batch_input_shape)
        self._seq_layers.append(layer)
        try:
            self._trace()
        except Exception:
            self._seq_layers.pop()
            raise

    def pop(self):
        if not self._seq_layers:
            raise TypeError("Sequential.pop: there are no layers in the model")
        layer = self._seq_layers.pop()
        self._trace()
        return layer

    def _trace(self):
        """Run the layers symbolically from the input: builds them and records output shapes."""
        self.__dict__.pop("_plans", None)  # the layers changed: plans are rebuilt on demand
        if self._input_tensor is None:
            return
        x = self._input_tensor
        for layer in self._seq_layers:
            x = layer(x)
            if isinstance(x, (list, tuple)):
                raise ValueError(f"Sequential: layer '{layer.name}' has several outputs; use a "
                                 f"functional Model")
        self._last_output_shape = x.shape
        self._output_tensor = x
        self.built = bool(self._seq_layers)

    @property
    def input_shape(self):
        if self._input_tensor is None:
            raise AttributeError(f"Sequential '{self.name}' has no defined input shape yet")
        return self._input_tensor.shape

    def build(self, input_shape=None):
        if input_shape is None:
            if self._input_tensor is None:
                raise ValueError("Sequential.build: give input_shape, e.g. (None, 28, 28, 1)")
            return
        self._input_tensor = Input(batch_shape=tuple(input_shape))
        self._trace()

    def _maybe_build(self, input_shape):
        if self._input_tensor is None and isinstance(input_shape, tuple):
            self.build((None,) + tuple(input_shape[1:]))
        self.built = True

    def call(self, inputs, training=None):
        if not training and type(inputs) is Tensor:
            out = run_plan(self, inputs, self._build_plan)
            if out is not None:
                return out
        x = inputs
        for layer in self._seq_layers:
            x = layer(x) if training is None else layer(x, training=training)
        return x

    def _build_plan(self, x):
        """(plan, output for x): the layers' inference steps in order (keras/models/_plan.py)."""
        shape = x.shape
        steps, layers, i = [], self._seq_layers, 0
        while i < len(layers):
            step = layer_step(layers[i], x.shape)
            if step is None:
                return None, None
            if i + 1 < len(layers):  # e.g. Conv2D + MaxPooling2D as one kernel call
                pair = fused_step(layers[i], layers[i + 1], x.shape)
                if pair is not None:
                    step = pair
                    i += 1
            x = step(x)
            steps.append(step)
            i += 1

        native = native_plan(shape, steps)
        if native is not None:
            def plan(x):
                return _wrap(native(x))
            plan.native = native
        else:
            def plan(x):
                for step in steps:
                    x = step(x)
                return _wrap(x)
        return plan, _wrap(x)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._seq_layers:
            try:
                shape = layer.compute_output_shape(shape)
            except NotImplementedError:
                return super().compute_output_shape(input_shape)
        return shape

    def get_config(self):
        """{"name", "trainable", "layers": [serialized layers]} — an InputLayer entry first when
        the input shape is known."""
        from fastconv.keras.layers import serialize

        layers = []
        if self._input_tensor is not None:
            layers.append(serialize(self._input_tensor._keras_history[0]))
        layers += [serialize(layer) for layer in self._seq_layers]
        return {"name": self.name, "trainable": self.trainable, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from fastconv.keras.layers import deserialize

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in config.get("layers", []):
            model.add(deserialize(entry, custom_objects))
        return model


_PLAN_CALLS.add(Sequential.call)
