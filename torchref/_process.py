"""Process-wide set-up, in one place: torch's and the BLAS's threads, and glibc's allocator.

Each call changes the whole process, so the library never makes it on its own: the
command line calls `setup` before a command runs, and the test suite before its tests.
"""

from __future__ import annotations

import ctypes


def one_thread() -> None:
    """torch and NumPy's BLAS on one thread each.

    The registry's shapes are small: a second thread only spins after each product and
    takes a core from whatever else runs (README, Performance).
    """
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(limits=1, user_api="blas")


def keep_freed_memory(mmap_threshold: int = 32 << 20, trim_threshold: int = 1 << 30) -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of handing it back to the OS.

    A parity sweep allocates arrays of ever-changing sizes, from bytes to a few MiB. By
    default glibc serves those above its mmap threshold (128 KiB, moved as it goes) with
    fresh pages and returns them on free, so each case pays page faults on newly zeroed
    memory. Below 32 MiB, blocks now come from the heap and stay there. Returns whether it
    applied (glibc only, a no-op elsewhere).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) & bool(mallopt(M_TRIM_THRESHOLD, trim_threshold))


def setup(single_threaded: bool = True) -> None:
    """What the command line and the tests run under: reused freed memory and, unless a command
    measures what users get (`bench`), one thread of torch and of the BLAS."""
    keep_freed_memory()
    if single_threaded:
        one_thread()
