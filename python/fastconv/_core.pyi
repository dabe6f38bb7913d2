"""Type stub for the private compiled module fastconv._core (see src/cpp/bindings)."""

from typing import Optional, Tuple

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
def conv2d_fwd(
    x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray],
    stride_h: int, stride_w: int, pad_top: int, pad_bottom: int, pad_left: int, pad_right: int,
    dil_h: int, dil_w: int, relu: bool,
) -> np.ndarray: ...
def conv2d_bwd_data(
    dy: np.ndarray, w: np.ndarray, h: int, w_in: int,
    stride_h: int, stride_w: int, pad_top: int, pad_bottom: int, pad_left: int, pad_right: int,
    dil_h: int, dil_w: int,
) -> np.ndarray: ...
def conv2d_bwd_filter(
    x: np.ndarray, dy: np.ndarray, kh: int, kw: int,
    stride_h: int, stride_w: int, pad_top: int, pad_bottom: int, pad_left: int, pad_right: int,
    dil_h: int, dil_w: int,
) -> Tuple[np.ndarray, np.ndarray]: ...
def fma_peak_probe(seconds: float = 0.2, threads: int = 1) -> float: ...
def image_affine_bilinear(
    x: np.ndarray, coeffs: np.ndarray, fill: np.ndarray, y: np.ndarray
) -> None: ...
def image_median(x: np.ndarray) -> np.ndarray: ...
def image_median_u8(x: np.ndarray) -> np.ndarray: ...
