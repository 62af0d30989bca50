"""What counts as the database being out (503 with Retry-After), rather than a query refused."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from roster.errors import Unavailable

# Words in a driver's error that mean the server is out of reach, hung or busy.
_OUTAGE_HINTS = (
    "database is locked",
    "unable to open database",
    "connection",
    "timeout",
    "timed out",
    "canceling statement",
    "terminating",
    "shutting down",
    "starting up",
    "closed",
)

LOST = "the connection to the database was lost; retry shortly"

# What waiting for, or talking to, the database can raise when it is out.
FAILURES = (TimeoutError, DBAPIError, PoolTimeout, OSError)


def unreachable() -> Unavailable:
    """The 503 for an outage that ``is_unavailable`` recognises."""
    return Unavailable("the database is not reachable; retry shortly")


def is_unavailable(exc: BaseException) -> bool:
    """True when the database is down, unreachable, hung or busy, rather than refusing a query."""
    if isinstance(exc, PoolTimeout | OSError | asyncio.TimeoutError | ConnectionError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, InterfaceError):
            return True
        orig = exc.orig
        text = f"{type(orig).__name__} {orig}".lower()
        return isinstance(exc, OperationalError | DBAPIError) and any(
            hint in text for hint in _OUTAGE_HINTS
        )
    return False
