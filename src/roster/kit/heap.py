"""The garbage collector and a long-running process's start-up objects."""

from __future__ import annotations

import gc


def freeze_heap() -> None:
    """Leave the objects of a started process (modules, classes, the schema, the routes:
    about 115k objects in a relay, 179k in a server) out of the cyclic garbage collector's
    full collections. Each full collection walked them all and held the event loop: 40-95 ms
    in a relay at 1,000 events/s (the largest part of B7's p99 delay), 76-86 ms in a server,
    where it landed on whichever request was running. Call once, when the process is set
    up (again after more set-up is harmless)."""
    gc.collect()
    gc.freeze()
