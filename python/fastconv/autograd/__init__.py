"""fastconv.autograd: Tensor, Variable and the GradientTape that differentiates through ops."""

from fastconv.autograd._state import record, recording
from fastconv.autograd.tape import GradientTape
from fastconv.autograd.tensor import Tensor, Variable, constant, convert_to_tensor

__all__ = ["Tensor", "Variable", "GradientTape", "constant", "convert_to_tensor", "record",
           "recording"]
