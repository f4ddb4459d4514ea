"""Keep freed memory for reuse: glibc's allocator set up for graphs rebuilt every step.

A training step builds the whole unrolled graph (megabytes of arrays) and frees
it at the end. Left as it comes, glibc serves large blocks with ``mmap`` and
hands them, and the top of its heap, back to the OS as soon as they are freed.
The next step then starts on fresh pages, and the first touch of every 4 KiB
page is a page fault: on a virtual machine that makes a float64 RNN step about
twice as slow. So when minigrad is imported on Linux with glibc, it calls
``mallopt`` to serve blocks below ``MMAP_THRESHOLD`` from the heap and to keep
up to ``TRIM_THRESHOLD`` of freed heap for the next step. That is what the
environment variables ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``
do; it affects the whole process, and the memory kept is reused, not leaked.

- ``MINIGRAD_KEEP_MEMORY=0`` in the environment, before the import: leave glibc alone.
- Either ``MALLOC_`` variable set: glibc's own setting wins; minigrad changes nothing.
- Not glibc (macOS, Windows, musl): nothing to do.
"""

from __future__ import annotations

import ctypes
import os
import platform

OPT_OUT = "MINIGRAD_KEEP_MEMORY"
MMAP_THRESHOLD = 32 * 2**20  # blocks below this come from the heap (glibc's documented maximum)
TRIM_THRESHOLD = 256 * 2**20  # freed heap kept for reuse before any is returned to the OS
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameter numbers (malloc.h)
_GLIBC_VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse; True if the setting was applied.

    Called once when minigrad is imported; returns False, changing nothing, when
    opted out, when the environment already sets glibc's thresholds, or off glibc.
    """
    if os.environ.get(OPT_OUT, "1").strip() == "0":
        return False
    if any(name in os.environ for name in _GLIBC_VARIABLES):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


KEPT = keep_freed_memory()  # whether this process keeps freed memory (see above)
