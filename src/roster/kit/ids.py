"""Time-ordered UUIDv7 ids (RFC 9562), monotonic within one process."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0
# Random bytes are read from the OS in blocks (one system call per 512 ids, not per id):
# bulk writes make three ids per contact.
_BLOCK = 4096
_random = b""
_used = _BLOCK


def _discard_random() -> None:
    """In a forked child: never reuse the parent's unread random bytes."""
    global _used
    _used = _BLOCK


os.register_at_fork(after_in_child=_discard_random)
_new_uuid = object.__new__
_set = object.__setattr__


def uuid7() -> uuid.UUID:
    """A UUIDv7: 48-bit Unix milliseconds, then a 12-bit counter seeded at random each
    millisecond (method 1 of RFC 9562 §6.2), so ids made in one process sort by creation."""
    global _last_ms, _counter, _random, _used
    with _lock:
        if _used >= _BLOCK:
            _random, _used = os.urandom(_BLOCK), 0
        rand = int.from_bytes(_random[_used : _used + 8], "big") & ((1 << 62) - 1)
        _used += 8
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms = now
            _counter = int.from_bytes(os.urandom(2), "big") & 0x7FF
        else:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
        ms, counter = _last_ms, _counter
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    # What uuid.UUID(int=value) does, without re-checking a value built in range.
    made: uuid.UUID = _new_uuid(uuid.UUID)
    _set(made, "int", value)
    _set(made, "is_safe", uuid.SafeUUID.unknown)
    return made
