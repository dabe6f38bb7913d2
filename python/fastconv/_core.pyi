"""Type stub for the private compiled module fastconv._core (see src/cpp/bindings)."""

from typing import Optional

import numpy as np

__version__: str

def cpu_info() -> dict: ...
def get_isa() -> str: ...
def set_isa(name: str) -> None: ...
def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def gemm(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    alpha: float = 1.0,
    beta: float = 0.0,
    trans_a: bool = False,
    trans_b: bool = False,
    bias: Optional[np.ndarray] = None,
    relu: bool = False,
) -> None: ...
