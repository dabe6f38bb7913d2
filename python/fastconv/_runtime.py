"""Process-wide runtime settings: the ISA in use and the thread count."""

from __future__ import annotations

import os


def _libgomp_loaded() -> bool:
    try:
        with open("/proc/self/maps") as fh:
            return "libgomp" in fh.read()
    except OSError:
        return False


def _import_core():
    """Import the extension, with OpenMP workers that sleep instead of spinning when idle.

    libgomp's default lets a thread that waits (for work, or at a barrier for a partner) spin
    for a long while before it sleeps. On a machine where another process keeps a core busy,
    the spinning thread holds its core while the partner it waits for has none, and every
    parallel region costs a scheduler time slice: with one busy process beside it, the lab CNN
    trained at 520 img/s on 2 threads instead of 1,800, and batch-1 inference took 32 ms
    instead of 0.4 ms. With OMP_WAIT_POLICY=PASSIVE it was 1,572-1,804 img/s and 0.41-0.49 ms;
    on an idle machine the two policies measured alike (3,195 vs 3,098 img/s). libgomp reads
    the variable once, when it is loaded with the extension; it is set only for that moment, so
    neither child processes nor other OpenMP runtimes loaded later inherit it, and only when the
    user has not chosen (OMP_WAIT_POLICY or GOMP_SPINCOUNT set, or FASTCONV_OMP_PASSIVE=0) and
    no libgomp is loaded yet (it would not read it again). A library loaded later that links
    libgomp as well (PyTorch's wheels) shares this runtime, policy included.
    """
    env = os.environ
    if (env.get("FASTCONV_OMP_PASSIVE", "1") == "0" or "OMP_WAIT_POLICY" in env
            or "GOMP_SPINCOUNT" in env or _libgomp_loaded()):
        from fastconv import _core
        return _core, False
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        from fastconv import _core
    finally:
        del env["OMP_WAIT_POLICY"]
    return _core, True


_core, _OMP_PASSIVE = _import_core()


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
    ``FASTCONV_MALLOC_TUNING=0``; ``omp_passive_wait``: whether fastconv loaded OpenMP with
    idle threads sleeping instead of spinning (OMP_WAIT_POLICY=PASSIVE, only for its own
    runtime; off when the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT, with
    ``FASTCONV_OMP_PASSIVE=0``, or when libgomp was already loaded).
    """
    info = _core.cpu_info()
    info["omp_passive_wait"] = _OMP_PASSIVE
    return info


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
