"""Per-thread stack of the tapes that are recording, and the one call every op makes.

Kept apart from tape.py so tensor.py (arithmetic operators) and the ops can record without an
import cycle. The hot path of an op is ``if _STATE.tapes: record(...)``: one thread-local
attribute read when no tape is active.
"""

from __future__ import annotations

import threading


class _TapeStack(threading.local):
    # threading.local runs __init__ once per thread, so every thread starts with no tapes:
    # a tape only records the ops of the thread that entered it (as TensorFlow's tapes).
    def __init__(self):
        self.tapes = []


_STATE = _TapeStack()


def record(name, inputs, output, backward):
    """Append one op to every tape recording in this thread.

    name: op name for repr/debugging; inputs: tuple of the op's inputs in argument order (Tensors,
    or plain values that never receive gradients); output: the Tensor the op returned;
    backward(dy, needs) -> one gradient (or None) per input, where needs[k] says whether input k
    needs one (so e.g. conv2d skips its data gradient for the network's input).
    """
    rec = (name, inputs, output, backward)
    for tape in _STATE.tapes:
        tape._records.append(rec)


def recording() -> bool:
    """True when at least one tape records the ops of this thread."""
    return bool(_STATE.tapes)
