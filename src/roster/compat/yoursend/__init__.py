"""The yoursend dialect: YourSend's Contacts API (reference 001), served under
``/compat/yoursend`` over Roster's contacts and consent. See docs/dialects.md, "yoursend"."""

from __future__ import annotations

from roster.compat import Dialect
from roster.compat.yoursend.endpoints import router
from roster.compat.yoursend.errors import YoursendError, error

DIALECT = Dialect("yoursend", router, error, YoursendError)
