"""Importing minigrad makes glibc keep freed memory; MINIGRAD_KEEP_MEMORY=0 leaves glibc alone.

Each case runs in a fresh interpreter, since the setting is made once per
process, and reads the allocator's state back with glibc's ``mallinfo2``: a
16 MiB block is served by ``mmap`` (counted in ``hblkhd``) when glibc is left
as it comes, and from the heap when minigrad has raised the thresholds; after
it is freed, the heap keeps it (``fordblks``, free bytes in the heap) only in
the second case.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from minigrad import memory

BLOCK = 16 * 2**20

PROBE = f"""
import ctypes, json
import numpy as np
import minigrad

class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd",
        "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Mallinfo2
block = np.ones({BLOCK} // 8)
mmapped = libc.mallinfo2().hblkhd
del block
print(json.dumps({{"kept": minigrad.memory.KEPT, "mmapped": mmapped,
                  "free_in_heap": libc.mallinfo2().fordblks}}))
"""

needs_glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="the setting applies to glibc only",
)


def probe(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "MINIGRAD_"))}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@needs_glibc
def test_import_serves_large_blocks_from_the_heap_and_keeps_them_after_free() -> None:
    found = probe()
    assert found["kept"] is True
    assert found["mmapped"] < BLOCK  # not mmapped: it came from the heap
    assert found["free_in_heap"] >= BLOCK  # freed, and kept for the next step


@needs_glibc
def test_opt_out_leaves_glibc_as_it_comes() -> None:
    found = probe(MINIGRAD_KEEP_MEMORY="0")
    assert found["kept"] is False
    assert found["mmapped"] >= BLOCK  # glibc's default: a block this large is mmapped
    assert found["free_in_heap"] < BLOCK  # and handed back to the OS when freed


@needs_glibc
def test_glibc_settings_in_the_environment_win() -> None:
    found = probe(MALLOC_MMAP_THRESHOLD_=str(2**20))  # 1 MiB: the 16 MiB block is mmapped
    assert found["kept"] is False
    assert found["mmapped"] >= BLOCK


def test_no_op_off_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))
    monkeypatch.delenv("MINIGRAD_KEEP_MEMORY", raising=False)
    for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"):
        monkeypatch.delenv(name, raising=False)
    assert memory.keep_freed_memory() is False
