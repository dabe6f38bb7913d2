"""Reads the ASan/UBSan/LSan logs that tools/sanitize.sh collected and decides the run.

Fails (exit 1) on any AddressSanitizer error, any UndefinedBehaviorSanitizer report, and any
leak whose allocation stack contains a fastconv frame (the extension module or a source under
src/cpp). Leaks allocated wholly inside CPython / NumPy / OpenMP and the like are summarised
but do not fail the run: those are objects the interpreter keeps until exit.
"""

from __future__ import annotations

import pathlib
import re
import sys

FASTCONV_FRAME = re.compile(r"fastconv|_core\.cpython|/src/cpp/")
LEAK_HEAD = re.compile(r"^(Direct|Indirect) leak of (\d+) byte")


def leak_blocks(text):
    block = None
    for line in text.splitlines():
        if LEAK_HEAD.match(line):
            if block:
                yield block
            block = [line]
        elif block is not None:
            if line.strip().startswith("#"):
                block.append(line)
            elif line.strip() == "" and len(block) > 1:
                yield block
                block = None
    if block:
        yield block


def main(logdir: str) -> int:
    bad = []
    ignored = 0
    ignored_bytes = 0
    files = sorted(pathlib.Path(logdir).glob("*"))
    for path in files:
        text = path.read_text(errors="replace")
        if "ERROR: AddressSanitizer" in text or "runtime error:" in text \
                or "ERROR: UndefinedBehaviorSanitizer" in text:
            bad.append(f"== {path.name}: sanitizer error ==\n{text}")
            continue
        for block in leak_blocks(text):
            if any(FASTCONV_FRAME.search(frame) for frame in block[1:]):
                bad.append(f"== {path.name}: leak from fastconv ==\n" + "\n".join(block))
            else:
                ignored += 1
                ignored_bytes += int(LEAK_HEAD.match(block[0]).group(2))
    print(f"check_sanitizer_logs: {len(files)} log file(s); {ignored} leak record(s) "
          f"({ignored_bytes} bytes) allocated only by the interpreter/third-party libraries "
          f"(not fastconv) ignored")
    if bad:
        print("\n\n".join(bad))
        print(f"check_sanitizer_logs: FAILED, {len(bad)} report(s) involve fastconv")
        return 1
    print("check_sanitizer_logs: clean (no ASan/UBSan reports, no fastconv leaks)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/asan/reports"))
