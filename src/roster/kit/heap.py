"""The garbage collector and a long-running process's start-up objects."""

from __future__ import annotations

import gc


def freeze_heap() -> None:
    """Leave the objects of a started process (modules, classes, the schema, the routes)
    out of the cyclic garbage collector's full collections, which otherwise walk them all
    while holding the event loop, a pause that lands on whichever request or delivery is
    running (docs/decisions.md). Call once, when the process is set up (again after more
    set-up is harmless)."""
    gc.collect()
    gc.freeze()
