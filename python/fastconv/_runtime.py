"""Process-wide runtime settings: the ISA in use and the thread count."""

from __future__ import annotations

from fastconv import _core


def cpu_info() -> dict:
    """Describe the CPU and how fastconv uses it.

    Returns a dict with ``vendor``, ``brand``, ``features`` (CPU flags and whether the OS saves
    the wide registers), ``compiled_isas`` (kernels in this build), ``supported_isas`` (those
    this CPU/OS can run), ``isa`` (in use: the best supported, or ``FASTCONV_ISA``),
    ``num_threads``, ``gemm_kernel`` (the GEMM microkernel in use) and ``malloc_tuned``:
    whether fastconv raised glibc malloc's trim/mmap thresholds at import so that the
    activation-sized arrays a training step frees are reused warm instead of being returned to
    the OS and page-faulted back every step (about a quarter of the lab CNN's step time). Off on
    non-glibc systems, when any ``MALLOC_*``/``GLIBC_TUNABLES`` variable is set, or with
    ``FASTCONV_MALLOC_TUNING=0``.
    """
    return _core.cpu_info()


def get_num_threads() -> int:
    """Number of threads fastconv's kernels use (initially ``OMP_NUM_THREADS`` or all cores)."""
    return _core.get_num_threads()


def set_num_threads(n: int) -> None:
    """Set the number of threads fastconv's kernels use, for every Python thread.

    Results are bit-identical for any thread count.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"set_num_threads: n must be >= 1, got {n}")
    _core.set_num_threads(n)
