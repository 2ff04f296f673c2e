"""Keep the C allocator from giving large bodies' memory back to the kernel after each one.

glibc's ``malloc`` serves a request of ``M_MMAP_THRESHOLD`` or more with a
fresh ``mmap``, and hands the free memory at the top of a heap back to the
kernel once more than ``M_TRIM_THRESHOLD`` of it is free.  Both start at
128 KiB and adapt to the program: freeing an mmapped block raises the mmap
threshold to that block's size and the trim threshold to twice it (the
mmap threshold at most 32 MiB).  Consuming 1 MiB bodies leaves them at
about 1 and 2 MiB, while a consumer holds about two to three bodies' worth
of memory at once (the received chunks a body is joined from, the joined
body, the message being handled).  So the top of the heap keeps growing
past 2 MiB and being trimmed, and a new body keeps landing on pages the
kernel must map and clear again: a page fault every 4 KiB.  Measured, 200
to 300 messages of 1 MiB consumed (``getrusage`` minor faults): about 60
per message on uvloop and 12 to 40 with the blocking adapter, against 2 to
3 for py-amqp, whose client holds less at once.

:func:`make_room_for_body` raises both thresholds the way glibc itself
would after freeing a block of four times the body's size, and at least
1 MiB: it allocates such a block (``bytes(n)`` is a ``calloc``: mapped but
never touched, so it costs two system calls and no page faults) and frees
it at once.  (The floor is for the reads: with 64 KiB bodies it is the
reads of up to 256 KiB that churn the heap.)  Freed bodies and reads then
stay in the heap, up to twice that block (8 MiB for 1 MiB bodies), and are
reused.  Measured the same way: 1 MiB bodies, about 10 faults per message
on uvloop and 5 to 13 with the blocking adapter; 64 KiB bodies on uvloop,
0.5 per message instead of 6.  It runs once per power-of-two size class
and process, for bodies of :data:`SMALLEST` or more.  Allocators other
than glibc's see one allocation freed at once; a program that set the
thresholds itself (``mallopt``, ``MALLOC_TRIM_THRESHOLD_``) keeps them, as
glibc stops adapting them then.
"""

from __future__ import annotations

__all__ = ["SMALLEST", "covered", "make_room_for_body"]

#: Bodies below this size leave the thresholds alone.
SMALLEST = 64 * 1024
#: The smallest block allocated (see the module: the reads).
_SMALLEST_BLOCK = 1024 * 1024
#: The largest block allocated: the trim threshold becomes twice this at most.
_LARGEST_BLOCK = 16 * 1024 * 1024
#: The block freed for each body size: this many times the body.
_BLOCK_PER_BODY = 4

#: Bodies up to this size are covered by a block freed already: callers on a
#: hot path compare with it before calling :func:`make_room_for_body`.
covered = SMALLEST - 1


def make_room_for_body(size: int) -> None:
    """Make the allocator keep freed memory for bodies of ``size`` octets (see the module).

    Past the first body of a size class this is one comparison, which a
    caller on a hot path makes itself (``size > covered``) to save the call.
    """
    global covered
    if size <= covered:
        return
    block = _SMALLEST_BLOCK
    while block < size * _BLOCK_PER_BODY and block < _LARGEST_BLOCK:
        block *= 2
    # Bodies up to a quarter of the block are covered; past the largest
    # block, every size is (nothing more to raise).
    covered = block // _BLOCK_PER_BODY if block < _LARGEST_BLOCK else 1 << 62
    bytes(block)  # allocated untouched, freed at once: glibc raises its thresholds
