"""Large C allocations handed back to the OS once freed, not kept by glibc's malloc.

glibc serves an allocation of 128 KiB or more with a mapping of its own and unmaps it when it is
freed, until the first such block is freed: it then raises that threshold to the block's size (up
to 32 MiB) and its trim threshold to twice that, a "dynamic threshold" meant for programs that
allocate the same large buffer again and again. From then on blocks that size come from an arena
and stay in it once freed. scrypt (`crypto.py`) borrows 128·N·r bytes per password hash (16 MiB at
N=2^14) and hashes run in the event loop's thread (a new customer) and in worker threads
(`asyncio.to_thread`, a sign-in), each thread with an arena of its own: a served process kept
16 MiB free in every arena that ever hashed: 36–38 MB on SQLite, 67–73 MB on PostgreSQL with
Redis, whose calls overlap more and so use more threads (bench/soak.py).

`hand_back_large_blocks()` fixes both thresholds at glibc's defaults (`mallopt`, which also ends
the dynamic adjustment): large blocks are mapped and unmapped again, arenas are trimmed as glibc
trims them before the first large free. What it costs is a mapping per large block and its first
touch of every page: ~5 ms of system time on a 16 MiB scrypt of ~35 ms (4,096 page faults).
Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import sys

#: `mallopt` parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: glibc's defaults for both (DEFAULT_MMAP_THRESHOLD_MIN, DEFAULT_TRIM_THRESHOLD).
DEFAULT_THRESHOLD = 128 * 1024


@functools.cache
def hand_back_large_blocks() -> bool:
    """Fix glibc's mmap and trim thresholds (module doc), once per process; False where the C
    library is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)  # the C library the process runs on
    except OSError:
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # not glibc (musl has a mallopt that does nothing)
        return False
    mallopt = libc.mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    fixed = [mallopt(option, DEFAULT_THRESHOLD) for option in (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD)]
    return all(fixed)
